CREATE TABLE "Trace" ("id" TEXT PRIMARY KEY, "projectId" TEXT, "name" TEXT);
CREATE INDEX "Trace_projectId_idx" ON "Trace"("projectId");
-- forward
DROP INDEX "Trace_projectId_idx";
CREATE INDEX "Trace_projectId_name_idx" ON "Trace"("projectId", "name");
