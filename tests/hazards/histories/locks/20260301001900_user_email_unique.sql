ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE ("email");
