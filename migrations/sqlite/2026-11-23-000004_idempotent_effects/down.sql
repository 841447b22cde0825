ALTER TABLE idempotency_keys DROP COLUMN complaint_id;
