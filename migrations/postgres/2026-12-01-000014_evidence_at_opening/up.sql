-- Evidence the buyer must attach at opening (seed 003): a complaint waits as
-- `awaiting_evidence` until its checklist is complete, and lapses (its own
-- resolution kind) when the buyer never completes it.
ALTER TABLE complaints ADD COLUMN evidence_checklist TEXT NOT NULL DEFAULT '[]';
ALTER TABLE complaints DROP CONSTRAINT complaints_status_check;
ALTER TABLE complaints ADD CONSTRAINT complaints_status_check CHECK (status IN
    ('awaiting_evidence', 'awaiting_seller', 'awaiting_buyer', 'awaiting_fulfilment', 'under_review', 'resolved'));
ALTER TABLE settlements DROP CONSTRAINT settlements_resolved_by_check;
ALTER TABLE settlements ADD CONSTRAINT settlements_resolved_by_check CHECK (resolved_by IN
    ('agreement', 'decision', 'withdrawal', 'timer', 'lapsed'));
