DROP TABLE action_items;
DROP TABLE incident_report_versions;
DROP TABLE incident_reports;
