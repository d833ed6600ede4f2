CREATE TABLE "User" ("id" TEXT NOT NULL, "email" TEXT NOT NULL, "name" TEXT DEFAULT 'anon', "orgId" TEXT, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Org" ("id" TEXT PRIMARY KEY);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE INDEX "User_email_name_idx" ON "User"("email", "name");
ALTER TABLE "User" ADD CONSTRAINT "User_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id");
ALTER TABLE "User" ADD CONSTRAINT "email_shape" CHECK ("email" LIKE '%@%');
-- forward
ALTER TABLE "User" DROP COLUMN "email";
ALTER TABLE "User" DROP COLUMN "orgId";
