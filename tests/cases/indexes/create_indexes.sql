CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT, "runAt" TIMESTAMP(3), "payload" JSONB);
-- forward
CREATE INDEX "Job_status_idx" ON "Job"("status");
CREATE UNIQUE INDEX "Job_status_runAt_key" ON "Job"("status", "runAt" DESC) INCLUDE ("id") WHERE "status" <> 'done';
CREATE INDEX ON "Job" USING gin ("payload" jsonb_path_ops);
CREATE INDEX ON "Job" (lower("status"));
CREATE INDEX ON "Job" ("status");
