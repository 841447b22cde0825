-- Evidence the buyer must attach at opening (see the PostgreSQL migration of
-- the same name). SQLite cannot change a CHECK constraint in place, so
-- complaints and settlements are rebuilt: their rows wait in copies while
-- the tables are made again, and the references to them are checked when
-- the migration commits.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE complaints_keep AS SELECT * FROM complaints;
CREATE TABLE settlements_keep AS SELECT * FROM settlements;
DROP TABLE settlements;
DROP TABLE complaints;

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
    status              TEXT NOT NULL CHECK (status IN ('awaiting_evidence', 'awaiting_seller', 'awaiting_buyer',
                                                        'awaiting_fulfilment', 'under_review', 'resolved')),
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
    evidence_requests   TEXT NOT NULL DEFAULT '[]',
    timeline_seq        BIGINT NOT NULL DEFAULT 0,
    evidence_checklist  TEXT NOT NULL DEFAULT '[]',
    CHECK ((deadline_at IS NULL) = (deadline_on_expiry IS NULL))
);
INSERT INTO complaints (id, order_id, buyer_id, seller_id, reason, description, currency, held_amount,
                        disputed_amount, status, deadline_at, deadline_on_expiry, pending_proposal_id,
                        fulfilment, seller_answered, assignee_id, escalated_at, version, opened_at,
                        updated_at, evidence_requests, timeline_seq)
SELECT id, order_id, buyer_id, seller_id, reason, description, currency, held_amount, disputed_amount,
       status, deadline_at, deadline_on_expiry, pending_proposal_id, fulfilment, seller_answered,
       assignee_id, escalated_at, version, opened_at, updated_at, evidence_requests, timeline_seq
FROM complaints_keep;
DROP TABLE complaints_keep;
CREATE UNIQUE INDEX complaints_one_active_per_order ON complaints (order_id) WHERE status <> 'resolved';
CREATE UNIQUE INDEX complaints_id_order_id ON complaints (id, order_id);
CREATE INDEX complaints_buyer ON complaints (buyer_id, id);
CREATE INDEX complaints_seller ON complaints (seller_id, id);
CREATE INDEX complaints_status ON complaints (status, id);
CREATE INDEX complaints_due ON complaints (deadline_at, id) WHERE deadline_on_expiry <> 'none';
CREATE INDEX complaints_queue ON complaints (deadline_at, id) WHERE status = 'under_review';
CREATE INDEX complaints_queue_assignee ON complaints (assignee_id, deadline_at, id) WHERE status = 'under_review';

CREATE TABLE settlements (
    complaint_id       TEXT PRIMARY KEY REFERENCES complaints (id),
    resolved_by        TEXT NOT NULL CHECK (resolved_by IN ('agreement', 'decision', 'withdrawal', 'timer', 'lapsed')),
    currency           TEXT NOT NULL,
    held_amount        BIGINT NOT NULL,
    refund_to_buyer    BIGINT NOT NULL CHECK (refund_to_buyer >= 0),
    release_to_seller  BIGINT NOT NULL CHECK (release_to_seller >= 0),
    event_id           TEXT NOT NULL UNIQUE,
    resolved_at        TIMESTAMP NOT NULL,
    order_id           TEXT NOT NULL,
    state              TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'executed', 'failed')),
    payment_reference  TEXT,
    refund_destination TEXT CHECK (refund_destination IN ('balance', 'card', 'bank')),
    failure_reason     TEXT,
    reported_at        TIMESTAMP,
    CHECK (refund_to_buyer + release_to_seller = held_amount),
    FOREIGN KEY (complaint_id, order_id) REFERENCES complaints (id, order_id),
    CHECK (
        (state = 'pending' AND reported_at IS NULL AND payment_reference IS NULL)
        OR (state = 'executed' AND reported_at IS NOT NULL AND payment_reference IS NOT NULL
            AND (refund_to_buyer = 0 OR refund_destination IS NOT NULL))
        OR (state = 'failed' AND reported_at IS NOT NULL AND failure_reason IS NOT NULL)
    )
);
INSERT INTO settlements SELECT * FROM settlements_keep;
DROP TABLE settlements_keep;
CREATE UNIQUE INDEX settlements_one_per_hold ON settlements (order_id);
CREATE INDEX settlements_open ON settlements (resolved_at) WHERE state <> 'executed';
CREATE INDEX settlements_open_states ON settlements (state, resolved_at) WHERE state <> 'executed';
