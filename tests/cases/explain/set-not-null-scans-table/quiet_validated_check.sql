CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT);
ALTER TABLE "User" ADD CONSTRAINT "User_email_not_null" CHECK ("email" IS NOT NULL) NOT VALID;
ALTER TABLE "User" VALIDATE CONSTRAINT "User_email_not_null";
-- forward
ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;
ALTER TABLE "User" DROP CONSTRAINT "User_email_not_null";
