DROP INDEX complaints_evidence_due;
ALTER TABLE complaints DROP COLUMN evidence_due_at;
ALTER TABLE mail_deliveries DROP COLUMN reminder_request;
