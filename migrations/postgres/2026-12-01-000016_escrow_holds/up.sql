-- Several escrow holds per order (seed 002: the milestones of a job, each
-- funded and released on its own). An order registered with one amount is
-- its own single hold, which complaints and settlements name with the empty
-- hold id; every other hold is a row here. Each hold is settled at most once.
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

-- A complaint concerns one hold, and a seller may open one (arbitration).
ALTER TABLE complaints ADD COLUMN hold_id TEXT NOT NULL DEFAULT '';
ALTER TABLE complaints ADD COLUMN opened_by TEXT NOT NULL DEFAULT 'buyer' CHECK (opened_by IN ('buyer', 'seller'));
DROP INDEX complaints_one_active_per_order;
CREATE UNIQUE INDEX complaints_one_active_per_hold ON complaints (order_id, hold_id) WHERE status <> 'resolved';
ALTER TABLE complaints ADD CONSTRAINT complaints_id_order_hold UNIQUE (id, order_id, hold_id);

-- A settlement moves the money of its complaint's hold, once per hold.
ALTER TABLE settlements ADD COLUMN hold_id TEXT NOT NULL DEFAULT '';
ALTER TABLE settlements DROP CONSTRAINT settlements_complaint_of_order;
ALTER TABLE settlements ADD CONSTRAINT settlements_complaint_of_hold
    FOREIGN KEY (complaint_id, order_id, hold_id) REFERENCES complaints (id, order_id, hold_id);
DROP INDEX settlements_one_per_hold;
CREATE UNIQUE INDEX settlements_one_per_hold ON settlements (order_id, hold_id);
