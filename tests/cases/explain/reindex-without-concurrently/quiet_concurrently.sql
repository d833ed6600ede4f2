CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT);
CREATE INDEX "Job_status_idx" ON "Job"("status");
-- forward
REINDEX INDEX CONCURRENTLY "Job_status_idx";
