CREATE FUNCTION "normalize"(character varying) RETURNS character varying LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1) $$;
CREATE TABLE "crates" ("id" SERIAL PRIMARY KEY, "name" VARCHAR NOT NULL);
CREATE UNIQUE INDEX "crates_normalized_name_idx" ON "crates" ("normalize"("name"));
CREATE TABLE "downloads" ("crate_id" INT NOT NULL, "date" TIMESTAMP NOT NULL, "count" INT NOT NULL);
CREATE INDEX "downloads_date_idx" ON "downloads" (date("date"));
CREATE INDEX "downloads_recent_idx" ON "downloads" ("crate_id") WHERE "date" > '2020-01-01';
-- forward
-- As crates.io's downloads_need_no_id and docs.rs's crate_version_name_field_length: the
-- indexes computed on a retyped column are rebuilt by PostgreSQL from their text under the
-- new type (date(date) of a date is the date itself; normalize(name) of a text gets a cast),
-- so the undo builds them again from their definitions.
ALTER TABLE "downloads" ALTER COLUMN "date" TYPE date;
ALTER TABLE "crates" ALTER COLUMN "name" TYPE text;
