CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
-- forward
SET lock_timeout = '5s';
ALTER TABLE "User" ADD COLUMN "bio" TEXT;
