CREATE TYPE "ObservationType" AS ENUM ('SPAN', 'EVENT', 'GENERATION', 'LOG');
CREATE TABLE "observations" ("id" TEXT PRIMARY KEY, "type" "ObservationType" NOT NULL DEFAULT 'SPAN');
-- forward
-- AlterEnum
BEGIN;
CREATE TYPE "ObservationType_new" AS ENUM ('SPAN', 'EVENT', 'GENERATION');
ALTER TABLE "observations" ALTER COLUMN "type" DROP DEFAULT;
ALTER TABLE "observations" ALTER COLUMN "type" TYPE "ObservationType_new" USING ("type"::text::"ObservationType_new");
ALTER TYPE "ObservationType" RENAME TO "ObservationType_old";
ALTER TYPE "ObservationType_new" RENAME TO "ObservationType";
DROP TYPE "ObservationType_old";
ALTER TABLE "observations" ALTER COLUMN "type" SET DEFAULT 'SPAN';
COMMIT;
