ALTER TABLE "User" RENAME COLUMN "email" TO "emailAddress";
