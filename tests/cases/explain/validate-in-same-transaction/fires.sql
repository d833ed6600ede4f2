CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER);
-- forward
ALTER TABLE "Score" ADD CONSTRAINT "Score_value_check" CHECK ("value" >= 0) NOT VALID;
ALTER TABLE "Score" VALIDATE CONSTRAINT "Score_value_check";
