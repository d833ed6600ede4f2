CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT);
-- forward
CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job"("status");
