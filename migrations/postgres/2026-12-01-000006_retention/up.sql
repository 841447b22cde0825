-- Retention walks what was sent and acknowledged, oldest first.
CREATE INDEX mail_deliveries_sent ON mail_deliveries (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries (delivered_at) WHERE delivered_at IS NOT NULL;
