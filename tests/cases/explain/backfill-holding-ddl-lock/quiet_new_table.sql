-- forward
CREATE TABLE "settings" ("id" TEXT PRIMARY KEY, "value" TEXT);
ALTER TABLE "settings" ADD COLUMN "scope" TEXT;
UPDATE "settings" SET "scope" = 'global';
