CREATE TABLE "User" ("id" TEXT NOT NULL, "email" TEXT);
-- forward
ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE ("email");
ALTER TABLE "User" ADD CONSTRAINT "User_pkey" PRIMARY KEY ("id");
