CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT, "key" TEXT);
CREATE INDEX "Job_status_idx" ON "Job"("status");
CREATE TABLE "Old" ("id" TEXT PRIMARY KEY, "name" TEXT);
CREATE INDEX "Old_name_idx" ON "Old"("name");
CREATE TABLE "Log" ("at" TIMESTAMP(3) NOT NULL, "msg" TEXT) PARTITION BY RANGE ("at");
-- forward
DROP INDEX "Job_status_idx";
CREATE INDEX "Job_key_idx" ON "Job"("key");
CREATE TABLE "New" ("id" TEXT PRIMARY KEY, "name" TEXT);
CREATE INDEX "New_name_idx" ON "New"("name");
DROP INDEX "Old_name_idx";
DROP TABLE "Old";
CREATE INDEX "Log_at_idx" ON "Log"("at");
