-- Escrowed orders, complaints and everything that settles them.
-- Invariants live here as constraints; the domain code checks them too.

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    buyer_id        TEXT NOT NULL,
    seller_id       TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount >= 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('paid', 'shipped', 'delivered', 'completed', 'cancelled')),
    delivered_at    TIMESTAMP,
    auto_release_at TIMESTAMP,
    contacts        TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK (buyer_id <> seller_id)
);

CREATE TABLE complaints (
    id                  TEXT PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id),
    buyer_id            TEXT NOT NULL,
    seller_id           TEXT NOT NULL,
    reason              TEXT NOT NULL,
    description         TEXT NOT NULL,
    currency            TEXT NOT NULL,
    held_amount         BIGINT NOT NULL CHECK (held_amount >= 0),
    disputed_amount     BIGINT NOT NULL CHECK (disputed_amount > 0 AND disputed_amount <= held_amount),
    status              TEXT NOT NULL CHECK (status IN ('awaiting_seller', 'awaiting_buyer', 'awaiting_fulfilment', 'under_review', 'resolved')),
    deadline_at         TIMESTAMP,
    deadline_on_expiry  TEXT,
    pending_proposal_id TEXT,
    fulfilment          TEXT,
    seller_answered     BOOLEAN NOT NULL DEFAULT FALSE,
    assignee_id         TEXT,
    escalated_at        TIMESTAMP,
    version             BIGINT NOT NULL CHECK (version >= 1),
    opened_at           TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    CHECK ((deadline_at IS NULL) = (deadline_on_expiry IS NULL))
);
-- One active complaint per order.
CREATE UNIQUE INDEX complaints_one_active_per_order ON complaints (order_id) WHERE status <> 'resolved';
CREATE INDEX complaints_buyer ON complaints (buyer_id, id);
CREATE INDEX complaints_seller ON complaints (seller_id, id);
CREATE INDEX complaints_status ON complaints (status, id);
CREATE INDEX complaints_deadline ON complaints (deadline_at) WHERE deadline_at IS NOT NULL;

CREATE TABLE proposals (
    id            TEXT PRIMARY KEY,
    complaint_id  TEXT NOT NULL REFERENCES complaints (id),
    author_id     TEXT NOT NULL,
    author_role   TEXT NOT NULL CHECK (author_role IN ('buyer', 'seller', 'staff')),
    kind          TEXT NOT NULL CHECK (kind IN ('full_refund', 'partial_refund', 'return_and_refund', 'replacement', 'release')),
    refund_amount BIGINT NOT NULL CHECK (refund_amount >= 0),
    note          TEXT,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'superseded')),
    required      TEXT NOT NULL,
    accepted_by   TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX proposals_complaint ON proposals (complaint_id, id);
-- At most one pending proposal per complaint.
CREATE UNIQUE INDEX proposals_one_pending ON proposals (complaint_id) WHERE status = 'pending';

CREATE TABLE timeline (
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    seq          BIGINT NOT NULL CHECK (seq >= 1),
    kind         TEXT NOT NULL,
    actor_id     TEXT,
    actor_role   TEXT NOT NULL,
    visibility   TEXT NOT NULL CHECK (visibility IN ('parties', 'staff')),
    data         TEXT NOT NULL,
    at           TIMESTAMP NOT NULL,
    PRIMARY KEY (complaint_id, seq)
);

CREATE TABLE decisions (
    id              TEXT PRIMARY KEY,
    complaint_id    TEXT NOT NULL UNIQUE REFERENCES complaints (id),
    staff_id        TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('refund', 'release', 'split')),
    refund_amount   BIGINT NOT NULL CHECK (refund_amount >= 0),
    seller_at_fault BOOLEAN NOT NULL,
    reason_code     TEXT NOT NULL,
    evidence_ids    TEXT NOT NULL,
    rationale       TEXT NOT NULL,
    decided_at      TIMESTAMP NOT NULL
);

-- Exactly one settlement per resolved complaint, and it always adds up.
CREATE TABLE settlements (
    complaint_id      TEXT PRIMARY KEY REFERENCES complaints (id),
    resolved_by       TEXT NOT NULL CHECK (resolved_by IN ('agreement', 'decision', 'withdrawal', 'timer')),
    currency          TEXT NOT NULL,
    held_amount       BIGINT NOT NULL,
    refund_to_buyer   BIGINT NOT NULL CHECK (refund_to_buyer >= 0),
    release_to_seller BIGINT NOT NULL CHECK (release_to_seller >= 0),
    event_id          TEXT NOT NULL UNIQUE,
    resolved_at       TIMESTAMP NOT NULL,
    CHECK (refund_to_buyer + release_to_seller = held_amount)
);

-- One violation per decision; the ordinal is unique per seller so two
-- concurrent decisions cannot both claim the same rung of the ladder.
CREATE TABLE violations (
    id              TEXT PRIMARY KEY,
    seller_id       TEXT NOT NULL,
    decision_id     TEXT NOT NULL UNIQUE REFERENCES decisions (id),
    complaint_id    TEXT NOT NULL REFERENCES complaints (id),
    ordinal         INTEGER NOT NULL CHECK (ordinal >= 1),
    suspended_until TIMESTAMP,
    permanent       BOOLEAN NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (seller_id, ordinal)
);

CREATE TABLE evidence (
    id            TEXT PRIMARY KEY,
    complaint_id  TEXT NOT NULL REFERENCES complaints (id),
    uploader_id   TEXT NOT NULL,
    uploader_role TEXT NOT NULL,
    kind          TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256        TEXT,
    file_name     TEXT,
    object_key    TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'stored')),
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX evidence_complaint ON evidence (complaint_id, id);

-- Events for the payment system. The feed reads them in (txid, seq) order and
-- only from transactions older than every running one (see
-- store::outbox::after), so a consumer's cursor never passes an event
-- that commits later. SQLite has one writer at a time: txid stays 0 and seq
-- alone is the order.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    txid         BIGINT NOT NULL DEFAULT 0,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    complaint_id TEXT,
    data         TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL
);
CREATE INDEX outbox_feed ON outbox (txid, seq);

CREATE TABLE idempotency_keys (
    caller       TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER,
    response     TEXT,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
