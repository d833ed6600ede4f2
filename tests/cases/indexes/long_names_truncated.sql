CREATE TABLE "observation_evaluation_configuration_templates" ("id" TEXT PRIMARY KEY, "project_identifier_for_tenancy" TEXT, "created_at_timestamp_utc" TIMESTAMP);
-- forward
CREATE INDEX ON "observation_evaluation_configuration_templates" ("project_identifier_for_tenancy", "created_at_timestamp_utc");
