-- The deadlines that can fire (not the arbitration targets, whose expiry is
-- 'none'), in the order the timer claims them and reminders page through
-- them. The predicate is a literal in the queries as well, so generic plans
-- can use the index.
CREATE INDEX complaints_due ON complaints (deadline_at, id) WHERE deadline_on_expiry <> 'none';
