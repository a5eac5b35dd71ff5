-- The roster: for each incident role of the roles & comms worksheet, a main
-- and a backup contact. One row per role once someone has filled it in.
CREATE TABLE roster_entries (
    -- major_incident_manager, communication_manager_internal, …
    role TEXT PRIMARY KEY NOT NULL,
    main_name TEXT NOT NULL,
    main_email TEXT,
    main_phone TEXT,
    backup_name TEXT,
    backup_email TEXT,
    backup_phone TEXT,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Who held each role of an incident, and every handover: a role is held by
-- one person at a time, so at most one row per (incident, role) is open.
CREATE TABLE incident_role_holdings (
    id BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    holder_email TEXT,
    holder_phone TEXT,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    assigned_by TEXT NOT NULL,
    ended_by TEXT,
    -- Why the role changed hands (written by whoever handed it over).
    note TEXT
);
CREATE INDEX incident_role_holdings_incident ON incident_role_holdings(incident_id, role, started_at);
CREATE UNIQUE INDEX incident_role_holdings_open ON incident_role_holdings(incident_id, role) WHERE ended_at IS NULL;
