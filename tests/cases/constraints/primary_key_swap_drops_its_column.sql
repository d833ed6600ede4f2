CREATE TABLE "version_downloads" (
    "id" SERIAL PRIMARY KEY,
    "version_id" INT NOT NULL,
    "date" DATE NOT NULL,
    "processed" BOOLEAN NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX "version_downloads_unique" ON "version_downloads" ("version_id", "date");
CREATE UNIQUE INDEX "index_version_downloads_not_processed" ON "version_downloads" ("id") WHERE processed = false;
-- forward
-- As crates.io's remove_version_downloads_pk: one statement swaps the primary key onto a
-- unique index and drops the old key's column. The undo re-adds the column first, so the
-- check that no two rows share an id runs after that step, right before the key comes back.
ALTER TABLE version_downloads
  DROP CONSTRAINT version_downloads_pkey,
  ADD CONSTRAINT version_downloads_pkey PRIMARY KEY USING INDEX version_downloads_unique,
  DROP COLUMN id;
