-- New to the history: dropped again by the undo (lossy, as a body made outside the
-- migrations would go with it).
CREATE OR REPLACE FUNCTION "stamp"() RETURNS trigger AS $$ BEGIN NEW."updatedAt" = clock_timestamp(); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER "user_stamp" BEFORE INSERT ON "User" FOR EACH ROW EXECUTE FUNCTION "stamp"();
-- Created by the history: recreated by the undo.
DROP TRIGGER IF EXISTS "user_touch" ON "User";
-- Never created by the history: nothing to undo.
DROP TRIGGER IF EXISTS "legacy_touch" ON "User";
DROP FUNCTION IF EXISTS "cleanup"(int);
DROP VIEW IF EXISTS "ActiveUser";
DROP INDEX IF EXISTS "User_email_idx";
DROP TYPE IF EXISTS "Role";
DROP SEQUENCE IF EXISTS "ticket_seq";
DROP TABLE IF EXISTS "Gone";
