-- Listing violations that do not come from a complaint (seed 004): the
-- marketplace or staff file a notice, the seller has a window to explain,
-- staff confirm or dismiss it, an unanswered one is confirmed when the
-- window passes. A confirmed notice adds a violation like a decision does.
CREATE TABLE listing_notices (
    id             TEXT PRIMARY KEY,
    seller_id      TEXT NOT NULL,
    listing_id     TEXT NOT NULL,
    description    TEXT NOT NULL,
    filed_by       TEXT NOT NULL,
    filed_by_role  TEXT NOT NULL CHECK (filed_by_role IN ('staff', 'service')),
    status         TEXT NOT NULL CHECK (status IN ('open', 'explained', 'confirmed', 'dismissed')),
    explanation    TEXT,
    due_at         TIMESTAMP NOT NULL,
    decided_by     TEXT,
    decided_at     TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX listing_notices_due ON listing_notices (due_at, id) WHERE status = 'open';
CREATE INDEX listing_notices_seller ON listing_notices (seller_id, created_at, id);

ALTER TABLE violations ALTER COLUMN decision_id DROP NOT NULL;
ALTER TABLE violations ALTER COLUMN complaint_id DROP NOT NULL;
ALTER TABLE violations ADD COLUMN notice_id TEXT UNIQUE REFERENCES listing_notices (id);
ALTER TABLE violations ADD CONSTRAINT violations_one_source
    CHECK ((decision_id IS NULL) <> (notice_id IS NULL) AND (decision_id IS NULL) = (complaint_id IS NULL));
