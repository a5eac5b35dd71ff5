-- The email outbox: a notification is written in the same transaction as the
-- change it announces; each delivery is one message to one recipient, claimed
-- by a sender with a lease and marked sent or failed.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    subject TEXT,
    payload_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    fanned_out_at TIMESTAMP
);
CREATE INDEX notifications_pending_fan_out ON notifications(fanned_out_at, id);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id BIGINT NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    message_id TEXT NOT NULL,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (notification_id, recipient)
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_recipient ON deliveries(recipient, status);
