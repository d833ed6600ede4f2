CREATE TABLE "Org" ("id" TEXT PRIMARY KEY);
CREATE TABLE "Invite" ("id" TEXT PRIMARY KEY, "role" TEXT NOT NULL, "orgId" TEXT NOT NULL, "code" TEXT NOT NULL, "tenant" TEXT NOT NULL, "note" TEXT);
ALTER TABLE "Invite" ADD CONSTRAINT "Invite_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id");
CREATE UNIQUE INDEX "Invite_code_key" ON "Invite"("code");
CREATE UNIQUE INDEX "Invite_tenant_note_key" ON "Invite"("tenant", "note");
-- forward
ALTER TABLE "Invite" ALTER COLUMN "role" DROP NOT NULL;
ALTER TABLE "Invite" DROP CONSTRAINT "Invite_orgId_fkey";
DROP INDEX "Invite_code_key";
DROP INDEX "Invite_tenant_note_key";
ALTER TABLE "Invite" DROP COLUMN "role", DROP COLUMN "orgId", DROP COLUMN "code", DROP COLUMN "tenant";
