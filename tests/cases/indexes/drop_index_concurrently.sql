CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "key" TEXT);
CREATE UNIQUE INDEX "Job_key_key" ON "Job"("key");
-- forward
DROP INDEX CONCURRENTLY "Job_key_key";
