-- One row per digest email sent: the period it covers, claimed with a unique
-- key in the same transaction as the outbox notification that carries it,
-- so each scheduled period is sent once however many runners race for it.
CREATE TABLE digests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- "<from>/<to>" (RFC 3339) for a scheduled period;
    -- "manual:<from>/<to>:<timestamp>" for a hand-sent one (repeatable).
    period_key TEXT NOT NULL UNIQUE,
    period_from TIMESTAMP NOT NULL,
    period_to TIMESTAMP NOT NULL,
    notification_id BIGINT REFERENCES notifications(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    -- "scheduler", "cli" or the console user's email
    created_by TEXT NOT NULL
);
CREATE INDEX digests_created ON digests(created_at);
