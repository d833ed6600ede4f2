CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT);
CREATE INDEX "User_email_idx" ON "User"("email");
-- forward
REINDEX INDEX "User_email_idx";
ANALYZE "User";
CLUSTER "User" USING "User_pkey";
