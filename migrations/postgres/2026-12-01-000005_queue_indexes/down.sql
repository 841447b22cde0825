DROP INDEX complaints_queue_assignee;
DROP INDEX complaints_queue;
CREATE INDEX complaints_deadline ON complaints (deadline_at) WHERE deadline_at IS NOT NULL;
