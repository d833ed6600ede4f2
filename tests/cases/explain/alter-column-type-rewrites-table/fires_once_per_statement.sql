CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER NOT NULL, "count" INTEGER NOT NULL);
-- forward
-- Two columns retyped by one statement: one rewrite of the table, one hazard naming both.
ALTER TABLE "Score" ALTER COLUMN "value" SET DATA TYPE BIGINT, ALTER COLUMN "count" SET DATA TYPE BIGINT;
