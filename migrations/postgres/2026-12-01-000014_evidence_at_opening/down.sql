ALTER TABLE settlements DROP CONSTRAINT settlements_resolved_by_check;
ALTER TABLE settlements ADD CONSTRAINT settlements_resolved_by_check CHECK (resolved_by IN
    ('agreement', 'decision', 'withdrawal', 'timer'));
ALTER TABLE complaints DROP CONSTRAINT complaints_status_check;
ALTER TABLE complaints ADD CONSTRAINT complaints_status_check CHECK (status IN
    ('awaiting_seller', 'awaiting_buyer', 'awaiting_fulfilment', 'under_review', 'resolved'));
ALTER TABLE complaints DROP COLUMN evidence_checklist;
