ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "teamId" TEXT;
CREATE TABLE "Membership" ("id" TEXT NOT NULL, "userId" TEXT, "role" TEXT, CONSTRAINT "Membership_pkey" PRIMARY KEY ("id"));

-- AddForeignKey
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'User_teamId_fkey') THEN
    ALTER TABLE "User" ADD CONSTRAINT "User_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE;
  END IF;
END $$;

DO $$
BEGIN
  ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE;
  INSERT INTO "Membership" ("id", "role") VALUES ('m1', upper('owner'));
  CREATE INDEX "Membership_role_idx" ON "Membership"("role");
END $$;
