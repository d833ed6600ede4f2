CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT);
-- forward
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job"("status");
