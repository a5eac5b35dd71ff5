DROP TABLE incident_milestones;
ALTER TABLE incidents DROP COLUMN failure_occurred_at;
ALTER TABLE incidents DROP COLUMN operations_notified_at;
ALTER TABLE incidents DROP COLUMN operations_on_site_at;
ALTER TABLE incidents DROP COLUMN second_level_on_site_at;
ALTER TABLE incidents DROP COLUMN services_restored_at;
ALTER TABLE incidents DROP COLUMN closed_at;
