-- Listing notices (see the PostgreSQL migration of the same name). SQLite
-- cannot relax NOT NULL in place, so violations is rebuilt.
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

CREATE TABLE violations_new (
    id              TEXT PRIMARY KEY,
    seller_id       TEXT NOT NULL,
    decision_id     TEXT UNIQUE REFERENCES decisions (id),
    complaint_id    TEXT REFERENCES complaints (id),
    ordinal         INTEGER NOT NULL CHECK (ordinal >= 1),
    suspended_until TIMESTAMP,
    permanent       BOOLEAN NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    notice_id       TEXT UNIQUE REFERENCES listing_notices (id),
    UNIQUE (seller_id, ordinal),
    CHECK ((decision_id IS NULL) <> (notice_id IS NULL) AND (decision_id IS NULL) = (complaint_id IS NULL))
);
INSERT INTO violations_new (id, seller_id, decision_id, complaint_id, ordinal, suspended_until, permanent, created_at)
SELECT id, seller_id, decision_id, complaint_id, ordinal, suspended_until, permanent, created_at FROM violations;
DROP TABLE violations;
ALTER TABLE violations_new RENAME TO violations;
