DROP INDEX deliveries_due_in_order;
ALTER TABLE notifications DROP COLUMN fan_out_cursor;
ALTER TABLE notifications DROP COLUMN fan_out_components;
