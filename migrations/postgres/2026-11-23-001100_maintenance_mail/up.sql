-- Maintenance emails: whether a maintenance emails subscribers, and the
-- window start its reminder was sent for (so each window gets one).
ALTER TABLE maintenances ADD COLUMN notify BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE maintenances ADD COLUMN reminded_for TIMESTAMP;
