ALTER TABLE maintenances DROP COLUMN reminded_for;
ALTER TABLE maintenances DROP COLUMN notify;
