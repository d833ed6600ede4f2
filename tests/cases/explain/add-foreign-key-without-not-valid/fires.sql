CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT, "parentId" TEXT);
-- forward
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Post" ADD CONSTRAINT "Post_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Post"("id");
