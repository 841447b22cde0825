-- One hold, one settlement (see the PostgreSQL migration of the same name).
-- SQLite cannot add a NOT NULL column or a constraint to a table in place,
-- so settlements is rebuilt.
CREATE UNIQUE INDEX complaints_id_order_id ON complaints (id, order_id);
CREATE TABLE settlements_new (
    complaint_id       TEXT PRIMARY KEY REFERENCES complaints (id),
    resolved_by        TEXT NOT NULL CHECK (resolved_by IN ('agreement', 'decision', 'withdrawal', 'timer')),
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
INSERT INTO settlements_new (complaint_id, resolved_by, currency, held_amount, refund_to_buyer,
                             release_to_seller, event_id, resolved_at, order_id)
SELECT s.complaint_id, s.resolved_by, s.currency, s.held_amount, s.refund_to_buyer,
       s.release_to_seller, s.event_id, s.resolved_at, c.order_id
FROM settlements s JOIN complaints c ON c.id = s.complaint_id;
DROP TABLE settlements;
ALTER TABLE settlements_new RENAME TO settlements;
CREATE UNIQUE INDEX settlements_one_per_hold ON settlements (order_id);
CREATE INDEX settlements_open ON settlements (resolved_at) WHERE state <> 'executed';
