CREATE TABLE "Visit" ("id" INTEGER PRIMARY KEY, "kind" TEXT NOT NULL, "owner_id" TEXT NOT NULL);
CREATE TYPE "Role" AS ENUM ('OWNER', 'MEMBER');
CREATE TABLE "Member" ("id" INTEGER PRIMARY KEY, "role" "Role" NOT NULL, "legacy" TEXT NOT NULL);
CREATE UNIQUE INDEX "Member_legacy_key" ON "Member"("legacy");
-- forward
ALTER TABLE "Visit" ADD COLUMN "visitor_id" TEXT;
ALTER TABLE "Visit" ALTER COLUMN "owner_id" DROP NOT NULL;
UPDATE "Visit" SET "visitor_id" = "owner_id", "owner_id" = NULL WHERE "kind" = 'guest';
ALTER TABLE "Member" ADD COLUMN "role_temp" TEXT;
ALTER TABLE "Member" ADD COLUMN "legacy_copy" TEXT;
UPDATE "Member" SET "role_temp" = "role"::text;
UPDATE "Member" SET "legacy_copy" = "legacy";
ALTER TABLE "Member" DROP COLUMN "role";
ALTER TABLE "Member" DROP COLUMN "legacy";
ALTER TABLE "Member" RENAME COLUMN "role_temp" TO "role";
