ALTER TABLE notifications DROP COLUMN fan_out_cursor;
ALTER TABLE notifications DROP COLUMN fan_out_components;
