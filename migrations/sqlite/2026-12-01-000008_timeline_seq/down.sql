ALTER TABLE complaints DROP COLUMN timeline_seq;
