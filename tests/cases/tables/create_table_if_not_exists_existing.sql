CREATE TABLE "a" ("id" int);
-- forward
CREATE TABLE IF NOT EXISTS "a" ("id" int);
