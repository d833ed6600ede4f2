CREATE TABLE "memberships" ("id" TEXT PRIMARY KEY);
-- forward
ALTER TABLE "memberships" RENAME TO "project_memberships";
