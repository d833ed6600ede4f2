CREATE TYPE "Plan" AS ENUM ('FREE', 'PRO');
CREATE TABLE "Org" ("id" TEXT PRIMARY KEY, "plan" "Plan" NOT NULL DEFAULT 'FREE');
-- forward
-- The removed value is the column's old default: restoring that default in the same
-- transaction as ADD VALUE would fail, so the undo recreates the type instead.
BEGIN;
CREATE TYPE "Plan_new" AS ENUM ('PRO');
ALTER TABLE "Org" ALTER COLUMN "plan" DROP DEFAULT;
ALTER TABLE "Org" ALTER COLUMN "plan" TYPE "Plan_new" USING ("plan"::text::"Plan_new");
ALTER TYPE "Plan" RENAME TO "Plan_old";
ALTER TYPE "Plan_new" RENAME TO "Plan";
DROP TYPE "Plan_old";
ALTER TABLE "Org" ALTER COLUMN "plan" SET DEFAULT 'PRO';
COMMIT;
