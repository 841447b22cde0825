-- The sequence number of each complaint's last timeline entry, kept on the
-- complaint row it locks: a command numbers its entries from it instead of
-- asking the timeline for max(seq). The timeline's primary key
-- (complaint_id, seq) still refuses a number taken twice.
ALTER TABLE complaints ADD COLUMN timeline_seq BIGINT NOT NULL DEFAULT 0;
UPDATE complaints SET timeline_seq = COALESCE((SELECT max(seq) FROM timeline WHERE timeline.complaint_id = complaints.id), 0);
