-- The queue of deliveries to send is the partial index below: claims read
-- it in (next_attempt_at, id) order, and a delivery leaves it when it is
-- sent or fails for good, so it stays as small as the queue. The two
-- indexes it replaces held every delivery ever made, and each status change
-- added an entry to both.
DROP INDEX deliveries_due;
DROP INDEX deliveries_due_in_order;
CREATE INDEX deliveries_pending ON deliveries(next_attempt_at, id) WHERE status = 'pending';
