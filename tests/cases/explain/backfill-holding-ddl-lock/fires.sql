CREATE TABLE "traces" ("id" TEXT PRIMARY KEY, "project_id" TEXT);
CREATE TABLE "observations" ("id" TEXT PRIMARY KEY, "trace_id" TEXT);
-- forward
ALTER TABLE "observations" ADD COLUMN "project_id" TEXT;
UPDATE "observations" o SET "project_id" = t."project_id" FROM "traces" t WHERE o."trace_id" = t."id";
DELETE FROM "observations" WHERE "project_id" IS NULL;
