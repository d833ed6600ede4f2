ALTER TABLE "User" VALIDATE CONSTRAINT "User_name_not_null";
