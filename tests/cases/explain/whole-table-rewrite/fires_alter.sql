CREATE TABLE "Log" ("id" TEXT PRIMARY KEY, "at" TIMESTAMP(3));
CREATE INDEX "Log_at_idx" ON "Log"("at");
-- forward
CLUSTER "Log" USING "Log_at_idx";
ALTER TABLE "Log" SET UNLOGGED;
