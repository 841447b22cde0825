-- Mails about the same thing to the same recipient (the latest proposal of a
-- complaint) share a key: a burst of counter-proposals mails each party the
-- newest one, not one per proposal.
ALTER TABLE mail_deliveries ADD COLUMN collapse_key TEXT;
CREATE INDEX mail_deliveries_collapse ON mail_deliveries (collapse_key, created_at)
    WHERE collapse_key IS NOT NULL;
