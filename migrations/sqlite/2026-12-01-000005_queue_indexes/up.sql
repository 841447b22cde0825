-- The arbitration queue, oldest deadline first, all of it or one agent's.
CREATE INDEX complaints_queue ON complaints (deadline_at, id) WHERE status = 'under_review';
CREATE INDEX complaints_queue_assignee ON complaints (assignee_id, deadline_at, id) WHERE status = 'under_review';
-- The deadline index that held every deadline is replaced by complaints_due
-- (those that fire) and the two queue indexes.
DROP INDEX complaints_deadline;
