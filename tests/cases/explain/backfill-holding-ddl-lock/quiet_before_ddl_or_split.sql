-- apply-mode: split
CREATE TABLE "observations" ("id" TEXT PRIMARY KEY, "tokens" INTEGER);
-- forward
UPDATE "observations" SET "tokens" = 0 WHERE "tokens" IS NULL;
ALTER TABLE "observations" ALTER COLUMN "tokens" SET DEFAULT 0;
UPDATE "observations" SET "tokens" = 0 WHERE "tokens" IS NULL;
