CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT REFERENCES "User"("id"));
CREATE TABLE "Comment" ("id" TEXT PRIMARY KEY, "postId" TEXT CONSTRAINT "Comment_postId_fkey" REFERENCES "Post"("id"));
CREATE VIEW "PostAuthors" AS SELECT "id", "authorId" FROM "Post";
-- forward
ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";
DROP TABLE "Post" CASCADE;
CREATE VIEW "Users" AS SELECT "id" FROM "User";
WITH moved AS (DELETE FROM "Comment" RETURNING "id") INSERT INTO "User" ("id") SELECT "id" FROM moved;
