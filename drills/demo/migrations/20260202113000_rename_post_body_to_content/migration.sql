-- AlterTable
ALTER TABLE "Post" RENAME COLUMN "body" TO "content";
