-- The reminders of each deadline, so the reminder pass leaves out a
-- deadline already reminded instead of reading its whole window again.
CREATE INDEX mail_deliveries_reminders ON mail_deliveries (complaint_id, reminder_for) WHERE reminder_for IS NOT NULL;
