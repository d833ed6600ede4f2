-- marquez's V73: views dropped with CASCADE before their tables' timestamps change type.
DROP VIEW IF EXISTS "jobs_view" CASCADE;
ALTER TABLE "jobs" ALTER COLUMN "created_at" TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC';
ALTER TABLE "runs" ALTER COLUMN "created_at" TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC';
