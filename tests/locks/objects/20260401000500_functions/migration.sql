CREATE OR REPLACE FUNCTION "touch"() RETURNS trigger AS $$ BEGIN NEW."updatedAt" = clock_timestamp(); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE FUNCTION "add"(a int, b int) RETURNS int AS 'SELECT a + b' LANGUAGE sql IMMUTABLE;
