-- Columns added after the views: replaying a view's text would now select them too.
ALTER TABLE "models" ADD COLUMN "unit" TEXT;
ALTER TABLE "observations" ADD COLUMN "end_time" TIMESTAMP(3);
ALTER TABLE "prompts" ADD COLUMN "labels" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
