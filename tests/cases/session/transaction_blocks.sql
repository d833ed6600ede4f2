CREATE TABLE "a" ("id" INT);
-- forward
SET lock_timeout = '5s';
BEGIN;
ALTER TABLE "a" ADD COLUMN "b" INT;
COMMIT;
