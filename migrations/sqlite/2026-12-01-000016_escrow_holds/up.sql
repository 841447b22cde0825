-- Several escrow holds per order (see the PostgreSQL migration of the same
-- name). SQLite cannot change a foreign key in place, so settlements are
-- rebuilt; their rows wait in a copy while the table is made again.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE holds (
    order_id        TEXT NOT NULL REFERENCES orders (id),
    id              TEXT NOT NULL CHECK (id <> ''),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    status          TEXT NOT NULL CHECK (status IN ('paid', 'shipped', 'delivered', 'completed', 'cancelled')),
    delivered_at    TIMESTAMP,
    auto_release_at TIMESTAMP,
    description     TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (order_id, id)
);

-- A digital good (seed 004) is proved delivered by a screenshot or a screen
-- recording, not a tracking number; its complaints remember it.
ALTER TABLE orders ADD COLUMN digital BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE complaints ADD COLUMN digital BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE complaints ADD COLUMN hold_id TEXT NOT NULL DEFAULT '';
ALTER TABLE complaints ADD COLUMN opened_by TEXT NOT NULL DEFAULT 'buyer' CHECK (opened_by IN ('buyer', 'seller'));
DROP INDEX complaints_one_active_per_order;
CREATE UNIQUE INDEX complaints_one_active_per_hold ON complaints (order_id, hold_id) WHERE status <> 'resolved';
CREATE UNIQUE INDEX complaints_id_order_hold ON complaints (id, order_id, hold_id);

CREATE TABLE settlements_keep AS SELECT * FROM settlements;
DROP TABLE settlements;
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
    hold_id            TEXT NOT NULL DEFAULT '',
    CHECK (refund_to_buyer + release_to_seller = held_amount),
    FOREIGN KEY (complaint_id, order_id, hold_id) REFERENCES complaints (id, order_id, hold_id),
    CHECK (
        (state = 'pending' AND reported_at IS NULL AND payment_reference IS NULL)
        OR (state = 'executed' AND reported_at IS NOT NULL AND payment_reference IS NOT NULL
            AND (refund_to_buyer = 0 OR refund_destination IS NOT NULL))
        OR (state = 'failed' AND reported_at IS NOT NULL AND failure_reason IS NOT NULL)
    )
);
INSERT INTO settlements (complaint_id, resolved_by, currency, held_amount, refund_to_buyer, release_to_seller,
                         event_id, resolved_at, order_id, state, payment_reference, refund_destination,
                         failure_reason, reported_at)
SELECT complaint_id, resolved_by, currency, held_amount, refund_to_buyer, release_to_seller, event_id,
       resolved_at, order_id, state, payment_reference, refund_destination, failure_reason, reported_at
FROM settlements_keep;
DROP TABLE settlements_keep;
CREATE UNIQUE INDEX settlements_one_per_hold ON settlements (order_id, hold_id);
CREATE INDEX settlements_open ON settlements (resolved_at) WHERE state <> 'executed';
CREATE INDEX settlements_open_states ON settlements (state, resolved_at) WHERE state <> 'executed';
