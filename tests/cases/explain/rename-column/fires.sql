CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "name" TEXT);
-- forward
ALTER TABLE "User" RENAME COLUMN "name" TO "displayName";
