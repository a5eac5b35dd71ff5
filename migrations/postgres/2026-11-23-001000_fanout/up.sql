-- Fan-out in batches: a subscriber notification is written with its
-- component filter (JSON array of component ids) and fanned out later, in
-- subscriber id order, the cursor (last subscriber id done) kept here so a
-- crash resumes where the last committed batch ended.
ALTER TABLE notifications ADD COLUMN fan_out_components TEXT;
ALTER TABLE notifications ADD COLUMN fan_out_cursor BIGINT NOT NULL DEFAULT 0;
-- Claims take due deliveries in (next_attempt_at, id) order; with id in the
-- index PostgreSQL reads the first rows in order instead of sorting every
-- pending delivery of a large fan-out at each claim. (On SQLite the
-- existing index already ends with the rowid, which is id.)
CREATE INDEX deliveries_due_in_order ON deliveries(status, next_attempt_at, id);
