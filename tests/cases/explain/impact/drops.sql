CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT REFERENCES "User"("id"));
CREATE VIEW "PostView" AS SELECT "id" FROM "Post";
CREATE TYPE "Kind" AS ENUM ('A');
-- forward
DROP VIEW "PostView";
DROP TABLE "Post";
DROP TYPE "Kind";
