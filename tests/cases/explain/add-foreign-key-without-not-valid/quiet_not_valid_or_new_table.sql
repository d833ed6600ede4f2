CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT);
-- forward
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;
CREATE TABLE "Comment" ("id" TEXT PRIMARY KEY, "postId" TEXT NOT NULL);
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"("id");
