DROP INDEX webhook_deliveries_delivered;
DROP INDEX mail_deliveries_sent;
