CREATE TABLE "User" ("id" TEXT NOT NULL, "email" TEXT);
CREATE UNIQUE INDEX CONCURRENTLY "User_email_key" ON "User"("email");
-- forward
ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE USING INDEX "User_email_key";
