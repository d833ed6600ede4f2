CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER);
-- forward
ALTER TABLE "Score" ADD CONSTRAINT "Score_value_check" CHECK ("value" >= 0);
