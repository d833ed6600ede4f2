-- forward
CREATE TABLE "tmp_members" ("id" TEXT PRIMARY KEY);
ALTER TABLE "tmp_members" RENAME TO "members";
