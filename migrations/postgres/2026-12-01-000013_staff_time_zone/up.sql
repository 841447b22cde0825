-- The zone an agent reads the console's times in (IANA, e.g. Asia/Jakarta).
ALTER TABLE staff_accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
