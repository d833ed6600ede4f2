CREATE TABLE "models" ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "price" NUMERIC);
CREATE TABLE "usages" ("id" SERIAL PRIMARY KEY, "model_id" TEXT REFERENCES "models"("id") ON DELETE CASCADE);
CREATE TABLE "tags" ("project" TEXT NOT NULL, "name" TEXT NOT NULL, "colour" TEXT, PRIMARY KEY ("project", "name"));
CREATE TABLE "flags" ("id" SERIAL PRIMARY KEY, "key" TEXT NOT NULL, "on" BOOLEAN);
CREATE UNIQUE INDEX "flags_key_key" ON "flags"("key");
CREATE TABLE "events" ("id" UUID DEFAULT gen_random_uuid() PRIMARY KEY, "kind" TEXT);
-- forward
-- Seeds with literal primary keys: deleted by key.
INSERT INTO "models" ("id", "name", "price") VALUES ('gpt-4', 'GPT-4', 0.03), ('claude', 'Claude', NULL);
-- A composite key.
INSERT INTO "tags" ("project", "name", "colour") VALUES ('p1', 'bug', 'red'), ('p1', 'feature', 'green');
-- No column list: the table's columns in order; the key is a unique index, not the primary key.
INSERT INTO "flags" VALUES (DEFAULT, 'beta', true);
-- The key comes from a default: these rows cannot be told apart from older ones.
INSERT INTO "events" ("kind") VALUES ('created');
-- ON CONFLICT: the row may have been there already.
INSERT INTO "models" ("id", "name") VALUES ('old', 'Old') ON CONFLICT DO NOTHING;
-- Rows from a query.
INSERT INTO "tags" ("project", "name") SELECT 'p2', "name" FROM "tags" WHERE "project" = 'p1';
-- A data-modifying WITH changes another table as well.
WITH gone AS (DELETE FROM "events" RETURNING "id") INSERT INTO "models" ("id", "name") VALUES ('x', 'X');
-- A cast constant key and a delete that cascades.
INSERT INTO "events" ("id", "kind") VALUES ('7a1b2c3d-0000-4000-8000-000000000001'::uuid, 'seed');
DELETE FROM "models" WHERE "id" = 'retired';
TRUNCATE "flags" RESTART IDENTITY;
-- A trigger ran for the rows: its effects are named.
CREATE FUNCTION "touch"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER "models_touch" BEFORE UPDATE ON "models" FOR EACH ROW EXECUTE FUNCTION "touch"();
UPDATE "models" SET "price" = 0 WHERE "price" IS NULL;
