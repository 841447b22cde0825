DROP INDEX settlements_open_states;
