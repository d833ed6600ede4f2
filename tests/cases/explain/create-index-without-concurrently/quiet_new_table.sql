-- forward
CREATE TABLE "Run" ("id" TEXT PRIMARY KEY, "jobId" TEXT);
CREATE INDEX "Run_jobId_idx" ON "Run"("jobId");
