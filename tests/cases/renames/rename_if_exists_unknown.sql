CREATE TABLE "downloads" ("id" INT PRIMARY KEY, "date" DATE NOT NULL);
-- forward
-- As crates.io's add_experimental_indexes: an index made by hand in production is renamed if
-- it exists, then created for every other database. No earlier migration creates it, so the
-- rename renamed nothing, and the undo drops the index the migration created.
ALTER INDEX IF EXISTS "made_by_hand" RENAME TO "downloads_by_date";
ALTER TABLE IF EXISTS "downloads" RENAME COLUMN "date" TO "day";
CREATE INDEX IF NOT EXISTS "downloads_by_date" ON "downloads" USING brin ("day");
