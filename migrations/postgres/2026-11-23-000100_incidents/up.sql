CREATE TABLE incidents (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    impact TEXT NOT NULL,
    urgency TEXT NOT NULL,
    priority TEXT NOT NULL,
    business_critical BOOLEAN NOT NULL DEFAULT FALSE,
    client_impact TEXT NOT NULL DEFAULT '',
    checklist_json TEXT NOT NULL DEFAULT '[]',
    started_at TIMESTAMP NOT NULL,
    identified_at TIMESTAMP,
    monitoring_at TIMESTAMP,
    resolved_at TIMESTAMP,
    next_update_by TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX incidents_started_at ON incidents(started_at);
CREATE INDEX incidents_resolved_at ON incidents(resolved_at);

CREATE TABLE incident_components (
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    component_id BIGINT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, component_id)
);

CREATE TABLE incident_updates (
    id BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    external_body TEXT,
    internal_body TEXT,
    external_html TEXT,
    internal_html TEXT,
    template_set TEXT,
    author TEXT NOT NULL,
    notify BOOLEAN NOT NULL DEFAULT TRUE,
    regression BOOLEAN NOT NULL DEFAULT FALSE,
    next_update_by TIMESTAMP,
    affected_components_json TEXT NOT NULL DEFAULT '[]',
    display_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates(incident_id, display_at);

CREATE TABLE phase_template_sets (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE phase_templates (
    id BIGSERIAL PRIMARY KEY,
    set_id BIGINT NOT NULL REFERENCES phase_template_sets(id) ON DELETE CASCADE,
    phase TEXT NOT NULL,
    audience TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (set_id, phase, audience)
);
