CREATE TABLE "io_mapping" ("job_version_uuid" UUID NOT NULL, "dataset_uuid" UUID NOT NULL, "io_type" VARCHAR(64) NOT NULL DEFAULT 'INPUT', "label" TEXT COLLATE "C");
CREATE TABLE "io_mapping_inputs" AS SELECT * FROM "io_mapping" WHERE io_type = 'INPUT';
CREATE TABLE "io_mapping_outputs" ("version", "dataset") AS SELECT m.job_version_uuid, m.dataset_uuid, m.label AS "name" FROM "io_mapping" m WHERE m.io_type = 'OUTPUT';
ALTER TABLE "io_mapping_inputs" ADD COLUMN "job_uuid" UUID;
CREATE INDEX "io_mapping_inputs_jv_idx" ON "io_mapping_inputs" ("job_version_uuid") INCLUDE ("dataset_uuid");
-- forward
-- As marquez's V35 (the tables came from V31's CREATE TABLE … AS SELECT * FROM …): a table
-- created from the columns of one table the model knows has those columns, with their types
-- and collations but without NOT NULL or defaults, so it can be created again.
DROP TABLE "io_mapping_inputs";
DROP TABLE "io_mapping_outputs";
