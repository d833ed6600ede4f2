-- The shapes of the other tools' histories (crates.io, docs.rs, openmeter, marquez) whose
-- undo rules this drill proves: each later migration is one of them.
CREATE TYPE "semver_triple" AS ("major" int4, "minor" int4, "teeny" int4);
COMMENT ON TYPE "semver_triple" IS 'a version without its prerelease';
CREATE FUNCTION "to_semver"(text) RETURNS "semver_triple" IMMUTABLE LANGUAGE sql AS $$
  SELECT (split_part($1, '.', 1)::int4, split_part($1, '.', 2)::int4, split_part($1, '.', 3)::int4)::semver_triple
$$;
CREATE FUNCTION "normalize_name"(character varying) RETURNS character varying LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1) $$;
COMMENT ON FUNCTION "normalize_name" IS 'crate names compare case-insensitively';
CREATE FUNCTION "touch"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;

CREATE TABLE "crates" ("id" INTEGER NOT NULL, "name" VARCHAR NOT NULL, "updated_at" TIMESTAMPTZ, CONSTRAINT "crates_pkey" PRIMARY KEY ("id"));
CREATE SEQUENCE "crates_id_seq" AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER TABLE ONLY "crates" ALTER COLUMN "id" SET DEFAULT nextval('crates_id_seq'::regclass);
CREATE UNIQUE INDEX "crates_normalized_name_idx" ON "crates" ("normalize_name"("name"));
COMMENT ON TABLE "crates" IS 'published crates';
COMMENT ON COLUMN "crates"."name" IS 'as published';
CREATE TRIGGER "crates_touch" BEFORE UPDATE ON "crates" FOR EACH ROW EXECUTE FUNCTION "touch"();

CREATE TABLE "queue" ("id" INTEGER NOT NULL, "crate_name" TEXT NOT NULL);
CREATE SEQUENCE "queue_id_seq" START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE "queue_id_seq" OWNED BY "queue"."id";
ALTER TABLE ONLY "queue" ALTER COLUMN "id" SET DEFAULT nextval('queue_id_seq'::regclass);

CREATE TABLE "downloads" ("crate_id" INTEGER NOT NULL, "date" TIMESTAMP NOT NULL, "count" INTEGER NOT NULL);
CREATE TABLE "version_downloads" ("version_id" INTEGER NOT NULL, "date" TIMESTAMP NOT NULL);
CREATE INDEX "version_downloads_date_idx" ON "version_downloads" (date("date"));
CREATE MATERIALIZED VIEW "recent_downloads" ("crate_id", "downloads") AS
    SELECT crate_id, SUM(count) FROM downloads WHERE date > CURRENT_DATE - 90 GROUP BY crate_id;
CREATE UNIQUE INDEX "recent_downloads_crate_id" ON "recent_downloads" ("crate_id");
COMMENT ON MATERIALIZED VIEW "recent_downloads" IS 'downloads of the last 90 days';

CREATE TABLE "jobs" ("uuid" UUID PRIMARY KEY, "name" VARCHAR NOT NULL, "parent_uuid" UUID, "created_at" TIMESTAMP NOT NULL);
CREATE TABLE "runs" ("uuid" UUID PRIMARY KEY, "job_uuid" UUID NOT NULL, "created_at" TIMESTAMP NOT NULL);
CREATE VIEW "jobs_view" AS
    WITH RECURSIVE job_fqn AS (
        SELECT uuid, name, parent_uuid FROM jobs
        UNION
        SELECT j1.uuid, CASE WHEN j2.name IS NOT NULL THEN j2.name || '.' || j1.name ELSE j1.name END AS name, j2.parent_uuid
        FROM jobs j1 INNER JOIN job_fqn j2 ON j2.uuid = j1.parent_uuid
    )
    SELECT f.uuid, f.name, j.name AS simple_name, j.created_at FROM job_fqn f, jobs j WHERE j.uuid = f.uuid;
CREATE VIEW "runs_view" AS SELECT r.uuid, r.created_at, j.name AS job_name FROM runs r JOIN jobs_view j ON j.uuid = r.job_uuid;
COMMENT ON VIEW "runs_view" IS 'runs with their job';

CREATE TABLE "io_mapping" ("job_uuid" UUID NOT NULL, "dataset_uuid" UUID NOT NULL, "io_type" VARCHAR(64) NOT NULL DEFAULT 'INPUT');
CREATE TABLE "io_mapping_inputs" AS SELECT * FROM "io_mapping" WHERE io_type = 'INPUT';
CREATE INDEX "io_mapping_inputs_job_idx" ON "io_mapping_inputs" ("job_uuid") INCLUDE ("dataset_uuid");

CREATE TABLE "currencies" ("id" CHAR(26) PRIMARY KEY);
CREATE TABLE "charges" ("id" CHAR(26) PRIMARY KEY, "currency" VARCHAR NOT NULL, "tax_code_id" CHAR(26));
