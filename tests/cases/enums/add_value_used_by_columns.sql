CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "role" "Role" NOT NULL DEFAULT 'USER', "roles" "Role"[]);
CREATE TABLE "Invite" ("id" TEXT PRIMARY KEY, "role" "Role");
-- forward
-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'OWNER' BEFORE 'ADMIN';
ALTER TYPE "Role" ADD VALUE IF NOT EXISTS 'USER';
