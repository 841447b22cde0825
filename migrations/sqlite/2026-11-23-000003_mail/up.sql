-- One mail per (event, recipient) or per reminder, rendered when queued and
-- sent with retries until the mail server takes it.
CREATE TABLE mail_deliveries (
    id              TEXT PRIMARY KEY,
    event_id        TEXT,
    complaint_id    TEXT,
    recipient_role  TEXT NOT NULL,
    address         TEXT NOT NULL,
    locale          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- For a reminder: the deadline it is about; it is dropped if that
    -- deadline is no longer the complaint's when it would be sent.
    reminder_for    TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP,
    given_up_at     TIMESTAMP,
    last_error      TEXT
);
CREATE INDEX mail_deliveries_due ON mail_deliveries (next_attempt_at)
    WHERE sent_at IS NULL AND given_up_at IS NULL;
