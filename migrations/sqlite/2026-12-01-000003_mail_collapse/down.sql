DROP INDEX mail_deliveries_collapse;
ALTER TABLE mail_deliveries DROP COLUMN collapse_key;
