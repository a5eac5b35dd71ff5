-- The queue of deliveries to send is the partial index below: claims read
-- it in (next_attempt_at, id) order, and a delivery leaves it when it is
-- sent or fails for good, so it stays as small as the queue.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_pending ON deliveries(next_attempt_at, id) WHERE status = 'pending';
