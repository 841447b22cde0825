-- The operators' figures count what failed from partial indexes, so a
-- count reads only the failures, not the tables.
CREATE INDEX webhook_deliveries_given_up ON webhook_deliveries (given_up_at) WHERE given_up_at IS NOT NULL;
CREATE INDEX mail_deliveries_given_up ON mail_deliveries (given_up_at) WHERE given_up_at IS NOT NULL;
CREATE INDEX webhook_attempts_failed ON webhook_attempts (at) WHERE (status IS NULL OR status < 200 OR status > 299);
