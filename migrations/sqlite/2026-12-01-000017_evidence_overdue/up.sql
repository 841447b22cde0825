-- Evidence requests have teeth: the earliest due time of a complaint's open
-- requests not yet marked overdue, for the timer to find them by index.
ALTER TABLE complaints ADD COLUMN evidence_due_at TIMESTAMP;
CREATE INDEX complaints_evidence_due ON complaints (evidence_due_at, id) WHERE evidence_due_at IS NOT NULL;
