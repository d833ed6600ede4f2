CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "updatedAt" TIMESTAMP);
CREATE FUNCTION "touch"() RETURNS trigger AS $$ BEGIN NEW."updatedAt" = now(); RETURN NEW; END $$ LANGUAGE plpgsql;
-- forward
CREATE OR REPLACE FUNCTION "touch"() RETURNS trigger AS $$ BEGIN NEW."updatedAt" = clock_timestamp(); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE FUNCTION "add"(a int, b int) RETURNS int AS 'SELECT a + b' LANGUAGE sql IMMUTABLE;
CREATE OR REPLACE FUNCTION "unknown_before"() RETURNS int AS 'SELECT 1' LANGUAGE sql;
CREATE TRIGGER "user_touch" BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION "touch"();
DROP TRIGGER "user_touch" ON "User";
DROP FUNCTION "add"(int, int);
