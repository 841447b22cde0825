DROP INDEX complaints_evidence_due;
ALTER TABLE complaints DROP COLUMN evidence_due_at;
