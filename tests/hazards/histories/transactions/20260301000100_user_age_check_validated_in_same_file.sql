ALTER TABLE "User" ADD CONSTRAINT "User_age_check" CHECK ("age" >= 0) NOT VALID;
ALTER TABLE "User" VALIDATE CONSTRAINT "User_age_check";
