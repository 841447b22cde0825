-- Customer-care agents whom the service signs in itself (the staff
-- console), for a marketplace without single sign-on. The password is an
-- argon2id PHC string; a disabled account keeps its row (decisions name it).
CREATE TABLE staff_accounts (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    email         TEXT,
    locale        TEXT NOT NULL CHECK (locale IN ('en', 'id')),
    password_hash TEXT NOT NULL,
    disabled_at   TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
