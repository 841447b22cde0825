-- Direct uploads: a pending row reserves the file's place until the client
-- completes it or the upload URL expires (then a sweep removes both).
ALTER TABLE evidence ADD COLUMN description TEXT;
ALTER TABLE evidence ADD COLUMN upload_expires_at TIMESTAMP;
CREATE INDEX evidence_pending ON evidence (upload_expires_at) WHERE status = 'pending';

-- Staff requests for evidence, kept with the complaint (a JSON array).
ALTER TABLE complaints ADD COLUMN evidence_requests TEXT NOT NULL DEFAULT '[]';
