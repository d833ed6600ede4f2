ALTER TABLE "Comment" VALIDATE CONSTRAINT "Comment_authorId_fkey";
