CREATE TYPE "Role" AS ENUM ('USER', 'STAFF');
CREATE TABLE "User" (
    "id" TEXT PRIMARY KEY,
    "email" TEXT,
    "name" TEXT,
    "age" INTEGER,
    "title" VARCHAR(100),
    "role" "Role" NOT NULL DEFAULT 'USER'
);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT NOT NULL, "slug" TEXT);
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
CREATE TABLE "Comment" ("id" TEXT PRIMARY KEY, "authorId" TEXT NOT NULL);
CREATE TABLE "Tag" ("id" TEXT PRIMARY KEY, "name" TEXT);
CREATE MATERIALIZED VIEW "UserStats" AS SELECT "role", count(*) AS "users" FROM "User" GROUP BY "role";
CREATE UNIQUE INDEX "UserStats_role_key" ON "UserStats"("role");
INSERT INTO "User" ("id", "email", "name", "age", "title")
VALUES ('u1', 'ann@example.com', 'Ann', 30, 'Dr'), ('u2', 'bob@example.com', 'Bob', 40, 'Mr');
INSERT INTO "Post" VALUES ('p1', 'u1', 'hello'), ('p2', 'u2', 'world');
INSERT INTO "Comment" VALUES ('c1', 'u1');
INSERT INTO "Tag" VALUES ('t1', 'rust'), ('t2', 'sql');
