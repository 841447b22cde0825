-- How far each consumer of the outbox has read (the webhook dispatcher).
CREATE TABLE outbox_cursors (
    name TEXT PRIMARY KEY,
    txid BIGINT NOT NULL,
    seq  BIGINT NOT NULL
);

-- One delivery per event to RC_WEBHOOK_URL, retried with backoff until
-- acknowledged or given up; every attempt is kept.
CREATE TABLE webhook_deliveries (
    event_id        TEXT PRIMARY KEY,
    payload         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP,
    given_up_at     TIMESTAMP,
    last_error      TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;

CREATE TABLE webhook_attempts (
    event_id    TEXT NOT NULL REFERENCES webhook_deliveries (event_id),
    attempt     INTEGER NOT NULL,
    at          TIMESTAMP NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (event_id, attempt)
);
