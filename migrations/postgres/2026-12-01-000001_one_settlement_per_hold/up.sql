-- One hold, one settlement: a settlement names the order whose escrow it
-- moves, the pair must be a real complaint of that order, and an order's hold
-- is settled at most once. If an order was already settled twice, creating
-- the index fails: find such orders with
--   SELECT order_id FROM settlements GROUP BY order_id HAVING count(*) > 1
-- and reconcile them with the payment system before migrating.
ALTER TABLE complaints ADD CONSTRAINT complaints_id_order_id UNIQUE (id, order_id);
ALTER TABLE settlements ADD COLUMN order_id TEXT;
UPDATE settlements s SET order_id = c.order_id FROM complaints c WHERE c.id = s.complaint_id;
ALTER TABLE settlements ALTER COLUMN order_id SET NOT NULL;
ALTER TABLE settlements ADD CONSTRAINT settlements_complaint_of_order
    FOREIGN KEY (complaint_id, order_id) REFERENCES complaints (id, order_id);
CREATE UNIQUE INDEX settlements_one_per_hold ON settlements (order_id);

-- The settlement's own life: pending until the payment system reports it
-- executed (with its reference, and where a refund went) or failed (why).
ALTER TABLE settlements ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'executed', 'failed'));
ALTER TABLE settlements ADD COLUMN payment_reference TEXT;
ALTER TABLE settlements ADD COLUMN refund_destination TEXT
    CHECK (refund_destination IN ('balance', 'card', 'bank'));
ALTER TABLE settlements ADD COLUMN failure_reason TEXT;
ALTER TABLE settlements ADD COLUMN reported_at TIMESTAMP;
ALTER TABLE settlements ADD CONSTRAINT settlements_reported CHECK (
    (state = 'pending' AND reported_at IS NULL AND payment_reference IS NULL)
    OR (state = 'executed' AND reported_at IS NOT NULL AND payment_reference IS NOT NULL
        AND (refund_to_buyer = 0 OR refund_destination IS NOT NULL))
    OR (state = 'failed' AND reported_at IS NOT NULL AND failure_reason IS NOT NULL)
);
-- Settlements not yet executed, oldest first: the staff's payment problems.
CREATE INDEX settlements_open ON settlements (resolved_at) WHERE state <> 'executed';
