CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT);
CREATE TABLE "Team" ("id" TEXT PRIMARY KEY, "name" TEXT);
-- forward
ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "teamId" TEXT;
ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "email" TEXT;
CREATE TABLE "Membership" ("id" TEXT PRIMARY KEY, "userId" TEXT, "role" TEXT);
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'User_teamId_fkey') THEN
    ALTER TABLE "User" ADD CONSTRAINT "User_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE SET NULL;
  END IF;
END $$;
DO $$ BEGIN INSERT INTO "Membership" ("id", "role") VALUES ('m1', upper('owner')); CREATE INDEX "Membership_role_idx" ON "Membership" ("role"); END $$;
DO $$ BEGIN ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id"); END $$;
DO $$ BEGIN ALTER TABLE "User" ADD CONSTRAINT "User_teamId_member_fkey" FOREIGN KEY ("teamId") REFERENCES "Membership" ("id"); END $$;
DO $$ BEGIN ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE ("email"); END $$;
DO $$ BEGIN UPDATE "User" SET "teamId" = 't1'; END $$;
DO $$ BEGIN EXECUTE 'ALTER TABLE "Team" ADD COLUMN "size" int'; END $$;
DO $$ BEGIN PERFORM pg_notify('chan', 'done'); END $$;
