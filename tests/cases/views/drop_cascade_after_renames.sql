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
ALTER TABLE "jobs" RENAME COLUMN "name" TO "simple_name";
ALTER TABLE "jobs" ADD COLUMN "name" VARCHAR;
-- forward
-- As marquez's V73: a view is dropped with CASCADE (runs_view reads it) before its table's
-- timestamps get a time zone. The views were defined before jobs.name was renamed
-- simple_name (and a new name added): PostgreSQL's views follow the rename, and so does the
-- model, so the undo creates them again as they stood, runs_view after jobs_view.
DROP VIEW IF EXISTS "jobs_view" CASCADE;
ALTER TABLE "jobs" ALTER COLUMN "created_at" TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC';
ALTER TABLE "runs" ALTER COLUMN "created_at" TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC';
