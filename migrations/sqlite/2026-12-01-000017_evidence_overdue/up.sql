-- Evidence requests have teeth: the earliest due time of a complaint's open
-- requests not yet marked overdue, for the timer to find them by index.
ALTER TABLE complaints ADD COLUMN evidence_due_at TIMESTAMP;
CREATE INDEX complaints_evidence_due ON complaints (evidence_due_at, id) WHERE evidence_due_at IS NOT NULL;
-- A reminder of an evidence request names it, so it is dropped once the
-- request is answered or overdue.
ALTER TABLE mail_deliveries ADD COLUMN reminder_request TEXT;
