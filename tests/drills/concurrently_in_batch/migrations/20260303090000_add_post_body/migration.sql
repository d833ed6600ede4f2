-- AlterTable
ALTER TABLE "Post" ADD COLUMN "body" TEXT;
