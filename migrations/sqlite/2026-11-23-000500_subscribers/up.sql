-- Email subscribers (double opt-in) and the site secret that signs their
-- manage / unsubscribe links.
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    audience TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    unsubscribed_at TIMESTAMP,
    quarantined_at TIMESTAMP,
    bounce_count INTEGER NOT NULL DEFAULT 0,
    confirm_token_hash TEXT UNIQUE,
    link_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (email, audience)
);
CREATE INDEX subscribers_active ON subscribers(audience, confirmed_at, unsubscribed_at, quarantined_at);

CREATE TABLE subscriber_components (
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    component_id BIGINT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, component_id)
);
CREATE INDEX subscriber_components_component ON subscriber_components(component_id);

-- Generated once when SITREP_SECRET_KEY is not set.
CREATE TABLE site_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
