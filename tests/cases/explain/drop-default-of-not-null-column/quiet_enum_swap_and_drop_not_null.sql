CREATE TYPE "Status" AS ENUM ('A', 'B', 'C');
CREATE TABLE "Run" ("id" TEXT PRIMARY KEY, "status" "Status" NOT NULL DEFAULT 'A', "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
-- forward
CREATE TYPE "Status_new" AS ENUM ('A', 'B');
ALTER TABLE "Run" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "Run" ALTER COLUMN "status" TYPE "Status_new" USING ("status"::text::"Status_new");
ALTER TYPE "Status" RENAME TO "Status_old";
ALTER TYPE "Status_new" RENAME TO "Status";
DROP TYPE "Status_old";
ALTER TABLE "Run" ALTER COLUMN "status" SET DEFAULT 'A';
ALTER TABLE "Run" ALTER COLUMN "startedAt" DROP NOT NULL, ALTER COLUMN "startedAt" DROP DEFAULT;
