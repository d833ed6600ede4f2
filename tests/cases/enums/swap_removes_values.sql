CREATE TYPE "Plan" AS ENUM ('FREE', 'HOBBY', 'PRO', 'TEAM', 'LEGACY');
CREATE TABLE "Org" ("id" TEXT PRIMARY KEY, "plan" "Plan" NOT NULL DEFAULT 'PRO', "plans" "Plan"[]);
-- forward
-- AlterEnum
BEGIN;
CREATE TYPE "Plan_new" AS ENUM ('PRO', 'TEAM');
ALTER TABLE "Org" ALTER COLUMN "plan" DROP DEFAULT;
ALTER TABLE "Org" ALTER COLUMN "plan" TYPE "Plan_new" USING ("plan"::text::"Plan_new");
ALTER TABLE "Org" ALTER COLUMN "plans" TYPE "Plan_new"[] USING ("plans"::text::"Plan_new"[]);
DROP TYPE "Plan";
ALTER TYPE "Plan_new" RENAME TO "Plan";
ALTER TABLE "Org" ALTER COLUMN "plan" SET DEFAULT 'PRO';
COMMIT;
