CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT, "key" TEXT);
CREATE INDEX "Job_status_idx" ON "Job" USING hash ("status");
CREATE UNIQUE INDEX "Job_key_key" ON "Job"("key");
-- forward
DROP INDEX "Job_status_idx";
DROP INDEX "Job_key_key";
DROP INDEX IF EXISTS "ghost";
