CREATE TABLE "models" ("id" TEXT PRIMARY KEY, "name" TEXT);
-- forward
CREATE TABLE "prices" ("id" TEXT PRIMARY KEY, "amount" INT);
INSERT INTO "prices" ("id", "amount") VALUES ('a', 1);
ALTER TABLE "models" ADD COLUMN "price" INT;
UPDATE "models" SET "price" = 1;
UPDATE "models" SET "name" = lower("name");
INSERT INTO "models" ("id", "name") VALUES ('gpt', 'GPT');
DELETE FROM "models" WHERE "id" = 'old';
DO $$ BEGIN PERFORM 1; END $$;
