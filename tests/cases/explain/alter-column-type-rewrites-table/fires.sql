CREATE TYPE "Status" AS ENUM ('A', 'B');
CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER NOT NULL, "status" "Status", "at" TIMESTAMP(3));
-- forward
ALTER TABLE "Score" ALTER COLUMN "value" SET DATA TYPE BIGINT;
CREATE TYPE "Status_new" AS ENUM ('A');
ALTER TABLE "Score" ALTER COLUMN "status" TYPE "Status_new" USING ("status"::text::"Status_new");
ALTER TABLE "Score" ALTER COLUMN "at" TYPE TIMESTAMPTZ(3);
