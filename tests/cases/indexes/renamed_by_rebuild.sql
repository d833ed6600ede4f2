CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT NOT NULL, "org" TEXT);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE INDEX "User_org_idx" ON "User"("org");
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT NOT NULL, "n" INTEGER);
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Post" ADD CONSTRAINT "Post_n_check" CHECK ("n" > 0);
-- forward
-- DropIndex
DROP INDEX "User_email_key";

-- DropIndex
DROP INDEX "User_org_idx";

-- DropForeignKey
ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";

-- AlterTable
ALTER TABLE "Post" DROP CONSTRAINT "Post_n_check";

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "User"("email");

-- CreateIndex: not the same definition (another column list), so rebuilt
CREATE INDEX "users_org_idx" ON "User"("org", "id");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "posts_author_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddCheck: not the same definition, so added back
ALTER TABLE "Post" ADD CONSTRAINT "posts_n_check" CHECK ("n" >= 0);
