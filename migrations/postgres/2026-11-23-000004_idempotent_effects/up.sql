-- The complaint an idempotent request changed, written in the same
-- transaction as the change: a retry after a crash that lost the answer
-- replays the complaint instead of running the request again.
ALTER TABLE idempotency_keys ADD COLUMN complaint_id TEXT;
