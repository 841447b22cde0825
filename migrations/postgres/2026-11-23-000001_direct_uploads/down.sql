ALTER TABLE complaints DROP COLUMN evidence_requests;
DROP INDEX evidence_pending;
ALTER TABLE evidence DROP COLUMN upload_expires_at;
ALTER TABLE evidence DROP COLUMN description;
