-- The incident report (the seed template's sections), its frozen versions,
-- and the post-incident action items.
CREATE TABLE incident_reports (
    id BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL UNIQUE REFERENCES incidents(id) ON DELETE CASCADE,
    -- draft, submitted, reviewed, approved
    status TEXT NOT NULL DEFAULT 'draft',
    -- The version being worked on: 1 until the first approval, then one more
    -- each time an approved report is edited again.
    version INTEGER NOT NULL DEFAULT 1,
    description TEXT NOT NULL DEFAULT '',
    -- JSON array of {"label": "JIRA", "url": "https://…"}
    links_json TEXT NOT NULL DEFAULT '[]',
    client_impact TEXT NOT NULL DEFAULT '',
    resolution TEXT NOT NULL DEFAULT '',
    worked_well TEXT NOT NULL DEFAULT '',
    did_not_work TEXT NOT NULL DEFAULT '',
    recommendations TEXT NOT NULL DEFAULT '',
    -- Show the latest approved version as a postmortem on the external incident page.
    published BOOLEAN NOT NULL DEFAULT FALSE,
    submitted_by TEXT,
    submitted_at TIMESTAMP,
    reviewed_by TEXT,
    reviewed_at TIMESTAMP,
    approved_by TEXT,
    approved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_reports_status ON incident_reports(status);

-- One row per approval: the whole report (sections, time summary, action
-- items) as approved, never changed afterwards.
CREATE TABLE incident_report_versions (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES incident_reports(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    content_json TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at TIMESTAMP NOT NULL,
    UNIQUE (report_id, version)
);

CREATE TABLE action_items (
    id BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    responsibility TEXT NOT NULL DEFAULT '',
    -- high, medium, low
    priority TEXT NOT NULL DEFAULT 'medium',
    due_on DATE,
    -- open, in_progress, done, wont_do
    status TEXT NOT NULL DEFAULT 'open',
    done_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX action_items_incident ON action_items(incident_id);
CREATE INDEX action_items_open ON action_items(status, due_on);
