CREATE TABLE settlements_old (
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
INSERT INTO settlements_old SELECT complaint_id, resolved_by, currency, held_amount, refund_to_buyer,
    release_to_seller, event_id, resolved_at FROM settlements;
DROP TABLE settlements;
ALTER TABLE settlements_old RENAME TO settlements;
DROP INDEX complaints_id_order_id;
