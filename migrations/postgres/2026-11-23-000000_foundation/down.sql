DROP TABLE site_revision;
DROP TABLE audit_log;
DROP TABLE component_status_changes;
DROP TABLE components;
DROP TABLE component_groups;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
