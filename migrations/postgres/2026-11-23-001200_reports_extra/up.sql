-- The last "return to draft" of an incident report: who sent it back, when,
-- and what they asked to change (shown to the writers until resubmitted).
ALTER TABLE incident_reports ADD COLUMN returned_by TEXT;
ALTER TABLE incident_reports ADD COLUMN returned_at TIMESTAMP;
ALTER TABLE incident_reports ADD COLUMN return_comment TEXT;
