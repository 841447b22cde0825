DROP INDEX mail_deliveries_reminders;
