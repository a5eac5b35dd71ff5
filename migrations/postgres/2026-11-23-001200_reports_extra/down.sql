ALTER TABLE incident_reports DROP COLUMN return_comment;
ALTER TABLE incident_reports DROP COLUMN returned_at;
ALTER TABLE incident_reports DROP COLUMN returned_by;
