DROP INDEX deliveries_pending;
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_due_in_order ON deliveries(status, next_attempt_at, id);
