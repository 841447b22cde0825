DROP INDEX webhook_attempts_failed;
DROP INDEX mail_deliveries_given_up;
DROP INDEX webhook_deliveries_given_up;
