CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" VARCHAR(255) NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "tags" TEXT[],
    "score" INTEGER CHECK ("score" > 0),
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE INDEX "User_lower_email_idx" ON "User"(lower("email")) WHERE "role" = 'ADMIN';
CREATE TABLE "Team" ("id" INTEGER PRIMARY KEY, "ownerId" INTEGER NOT NULL REFERENCES "User"("id") ON DELETE CASCADE);
ALTER TABLE "User" ADD COLUMN "teamId" INTEGER;
ALTER TABLE "User" ADD CONSTRAINT "User_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE;
-- forward
DROP TABLE "User" CASCADE;
