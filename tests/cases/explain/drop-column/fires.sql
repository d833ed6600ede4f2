CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "legacy" TEXT, "type" TEXT);
-- forward
ALTER TABLE "User" DROP COLUMN "legacy";
ALTER TABLE "User" DROP COLUMN "type", ADD COLUMN "type" TEXT NOT NULL DEFAULT 'a';
