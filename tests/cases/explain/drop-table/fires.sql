CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT REFERENCES "User"("id"));
-- forward
DROP TABLE "Post";
