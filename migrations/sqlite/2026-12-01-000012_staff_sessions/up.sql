-- Console sessions, shared by every instance. The cookie carries a random
-- token; only its SHA-256 is kept, so a copy of this table signs nobody in.
-- Each session has its own anti-forgery token for the console's forms.
CREATE TABLE staff_sessions (
    token_hash   TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL REFERENCES staff_accounts (id),
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);

-- Failed sign-ins, per account and per address, which slow the next
-- attempts down; kept a day.
CREATE TABLE staff_sign_in_failures (
    key TEXT NOT NULL,
    at  TIMESTAMP NOT NULL
);
CREATE INDEX staff_sign_in_failures_key ON staff_sign_in_failures (key, at);
CREATE INDEX staff_sign_in_failures_at ON staff_sign_in_failures (at);
