CREATE TABLE maintenances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    scheduled_for TIMESTAMP NOT NULL,
    scheduled_until TIMESTAMP NOT NULL,
    rrule TEXT,
    recurrence_start TIMESTAMP,
    auto_start BOOLEAN NOT NULL DEFAULT TRUE,
    auto_end BOOLEAN NOT NULL DEFAULT TRUE,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX maintenances_status_window ON maintenances(status, scheduled_for, scheduled_until);

CREATE TABLE maintenance_components (
    maintenance_id BIGINT NOT NULL REFERENCES maintenances(id) ON DELETE CASCADE,
    component_id BIGINT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    previous_status TEXT,
    PRIMARY KEY (maintenance_id, component_id)
);
CREATE INDEX maintenance_components_component ON maintenance_components(component_id);

CREATE TABLE maintenance_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    maintenance_id BIGINT NOT NULL REFERENCES maintenances(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX maintenance_updates_maintenance ON maintenance_updates(maintenance_id, created_at);
