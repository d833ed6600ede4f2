-- forward
CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
CREATE INDEX "User_id_idx" ON "User"("id");
