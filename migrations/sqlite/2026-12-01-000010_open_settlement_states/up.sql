-- The figures count open settlements by state, and the pending ones by age,
-- from the index alone (settlements_open keeps the payment problems' order).
CREATE INDEX settlements_open_states ON settlements (state, resolved_at) WHERE state <> 'executed';
