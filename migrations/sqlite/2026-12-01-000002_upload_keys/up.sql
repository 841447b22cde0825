-- The evidence an idempotent upload attached, written in the transaction that
-- attaches it: a retry after a crash or a lapsed lease answers that file
-- instead of storing a second one.
ALTER TABLE idempotency_keys ADD COLUMN evidence_id TEXT;
