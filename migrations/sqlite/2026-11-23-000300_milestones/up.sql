ALTER TABLE incidents ADD COLUMN failure_occurred_at TIMESTAMP;
ALTER TABLE incidents ADD COLUMN operations_notified_at TIMESTAMP;
ALTER TABLE incidents ADD COLUMN operations_on_site_at TIMESTAMP;
ALTER TABLE incidents ADD COLUMN second_level_on_site_at TIMESTAMP;
ALTER TABLE incidents ADD COLUMN services_restored_at TIMESTAMP;
ALTER TABLE incidents ADD COLUMN closed_at TIMESTAMP;

CREATE TABLE incident_milestones (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    milestone TEXT NOT NULL,
    at TIMESTAMP,
    set_by TEXT NOT NULL,
    set_at TIMESTAMP NOT NULL,
    live BOOLEAN NOT NULL
);
CREATE INDEX incident_milestones_incident ON incident_milestones(incident_id, milestone);
