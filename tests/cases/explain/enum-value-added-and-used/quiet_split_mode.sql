-- apply-mode: split
CREATE TYPE "Role" AS ENUM ('USER');
CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "role" "Role" NOT NULL DEFAULT 'USER');
-- forward
ALTER TYPE "Role" ADD VALUE 'ADMIN';
UPDATE "User" SET "role" = 'ADMIN' WHERE "id" = 'root';
