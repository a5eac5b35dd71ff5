-- Fan-out in batches: a subscriber notification is written with its
-- component filter (JSON array of component ids) and fanned out later, in
-- subscriber id order, the cursor (last subscriber id done) kept here so a
-- crash resumes where the last committed batch ended.
ALTER TABLE notifications ADD COLUMN fan_out_components TEXT;
ALTER TABLE notifications ADD COLUMN fan_out_cursor BIGINT NOT NULL DEFAULT 0;
