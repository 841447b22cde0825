DROP INDEX settlements_one_per_hold;
CREATE UNIQUE INDEX settlements_one_per_hold ON settlements (order_id);
ALTER TABLE settlements DROP CONSTRAINT settlements_complaint_of_hold;
ALTER TABLE settlements ADD CONSTRAINT settlements_complaint_of_order
    FOREIGN KEY (complaint_id, order_id) REFERENCES complaints (id, order_id);
ALTER TABLE settlements DROP COLUMN hold_id;
ALTER TABLE complaints DROP CONSTRAINT complaints_id_order_hold;
DROP INDEX complaints_one_active_per_hold;
CREATE UNIQUE INDEX complaints_one_active_per_order ON complaints (order_id) WHERE status <> 'resolved';
ALTER TABLE complaints DROP COLUMN opened_by;
ALTER TABLE complaints DROP COLUMN hold_id;
ALTER TABLE complaints DROP COLUMN digital;
ALTER TABLE orders DROP COLUMN digital;
DROP TABLE holds;
