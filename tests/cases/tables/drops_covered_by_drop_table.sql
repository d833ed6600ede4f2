CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
-- forward
CREATE TABLE "Team" ("id" TEXT PRIMARY KEY, "inviteId" TEXT);
CREATE TABLE "Member" ("id" TEXT PRIMARY KEY, "teamId" TEXT, "userId" TEXT);
ALTER TABLE "Member" ADD CONSTRAINT "Member_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id");
ALTER TABLE "Member" ADD CONSTRAINT "Member_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id");
ALTER TABLE "Member" ALTER COLUMN "userId" SET NOT NULL;
ALTER TABLE "Member" ALTER COLUMN "teamId" SET DEFAULT 'none';
-- "Invite" is dropped before "Team" in the undo: the drop of the key on "Team" that points at it stays
CREATE TABLE "Invite" ("id" TEXT PRIMARY KEY);
ALTER TABLE "Team" ADD CONSTRAINT "Team_inviteId_fkey" FOREIGN KEY ("inviteId") REFERENCES "Invite"("id");
