CREATE TABLE "Invite" ("id" TEXT PRIMARY KEY, "projectId" TEXT NOT NULL, "role" TEXT NOT NULL);
-- forward
ALTER TABLE "Invite" ALTER COLUMN "projectId" DROP NOT NULL, ALTER COLUMN "role" DROP NOT NULL;
UPDATE "Invite" SET "projectId" = NULL;
UPDATE "Invite" SET "role" = NULL WHERE "id" LIKE 'a%';
