-- The wider constraints stay: no row needs them narrowed back.
ALTER TABLE complaints DROP COLUMN evidence_checklist;
