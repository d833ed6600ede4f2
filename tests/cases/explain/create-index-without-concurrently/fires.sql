CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT, "key" TEXT);
-- forward
CREATE INDEX "Job_status_idx" ON "Job"("status");
CREATE UNIQUE INDEX "Job_key_key" ON "Job"("key");
