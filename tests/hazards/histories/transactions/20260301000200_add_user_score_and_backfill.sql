ALTER TABLE "User" ADD COLUMN "score" INTEGER;
UPDATE "User" SET "score" = 0;
