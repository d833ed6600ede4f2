CREATE SCHEMA "s";
CREATE TYPE "metric_type" AS ENUM ('a');
CREATE TABLE "metrics" ("id" TEXT, "val" INT, CONSTRAINT "metrics_pkey" PRIMARY KEY ("id"));
CREATE INDEX "metrics_val_idx" ON "metrics"("val");
-- forward
ALTER TABLE "metrics" RENAME TO "gradings";
ALTER TABLE "gradings" RENAME COLUMN "val" TO "value";
ALTER INDEX "metrics_val_idx" RENAME TO "gradings_value_idx";
ALTER TABLE "gradings" RENAME CONSTRAINT "metrics_pkey" TO "gradings_pkey";
ALTER TYPE "metric_type" RENAME TO "grading_type";
ALTER SCHEMA "s" RENAME TO "s2";
