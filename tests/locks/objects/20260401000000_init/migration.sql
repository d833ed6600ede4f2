CREATE TYPE "Role" AS ENUM ('A', 'B');
CREATE TYPE "Unused" AS ENUM ('x');
CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT, "role" "Role", "updatedAt" TIMESTAMP);
CREATE INDEX "User_email_idx" ON "User"("email");
CREATE TABLE "Tag" ("id" TEXT PRIMARY KEY);
CREATE VIEW "TagView" AS SELECT "id" FROM "Tag";
CREATE FUNCTION "touch"() RETURNS trigger AS $$ BEGIN NEW."updatedAt" = now(); RETURN NEW; END $$ LANGUAGE plpgsql;
INSERT INTO "User" ("id", "email", "role") VALUES ('u1', 'a@example.com', 'A');
