CREATE TABLE "lines" ("id" TEXT PRIMARY KEY, "type" TEXT NOT NULL, "amount" INT);
CREATE TABLE "configs" ("id" TEXT PRIMARY KEY, "line_id" TEXT NOT NULL);
-- forward
-- As openmeter's migrate_flat_fees_to_ubp_flat_fees: a data migration runs a function it
-- defines for every row. The function inserts and updates rows unmigrate cannot tell apart,
-- so the undo is manual, and its note names the tables to repair. A SELECT that only reads
-- (crates.io's users_lowercase_index ends with one) changes nothing.
CREATE OR REPLACE FUNCTION pg_temp.migrate_line(line_id TEXT)
RETURNS TEXT
AS $$
BEGIN
    INSERT INTO configs (id, line_id) VALUES (md5(line_id), line_id);
    UPDATE lines SET type = 'usage_based' WHERE id = line_id;
    RETURN line_id;
END;
$$ LANGUAGE plpgsql;
SELECT pg_temp.migrate_line(id) FROM lines WHERE type = 'flat_fee';
SELECT 1;
SELECT count(*) FROM lines WHERE amount IS NULL;
