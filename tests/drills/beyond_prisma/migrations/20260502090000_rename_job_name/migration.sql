-- marquez's V61: the views follow the rename; a new column takes the old name.
ALTER TABLE "jobs" RENAME COLUMN "name" TO "simple_name";
ALTER TABLE "jobs" ADD COLUMN "name" VARCHAR;
