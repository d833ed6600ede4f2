CREATE TABLE "Event" ("id" TEXT PRIMARY KEY, "payload" TEXT);
-- forward
ALTER TABLE "Event" ADD COLUMN "payload_new" JSONB;
UPDATE "Event" SET "payload_new" = "payload"::jsonb;
ALTER TABLE "Event" DROP COLUMN "payload";
ALTER TABLE "Event" RENAME COLUMN "payload_new" TO "payload";
