DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE outbox_cursors;
