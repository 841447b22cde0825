ALTER TABLE staff_accounts DROP COLUMN time_zone;
