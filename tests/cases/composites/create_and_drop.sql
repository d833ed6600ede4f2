CREATE TYPE "semver_triple" AS ("major" int4, "minor" int4, "teeny" int4);
COMMENT ON TYPE "semver_triple" IS 'a version without its prerelease';
CREATE FUNCTION "to_semver"(text) RETURNS "semver_triple" IMMUTABLE LANGUAGE sql AS $$
  SELECT (split_part($1, '.', 1)::int4, split_part($1, '.', 2)::int4, split_part($1, '.', 3)::int4)::semver_triple
$$;
-- forward
-- As crates.io's fix_int_type_in_to_semver_no_prerelease: a composite type is dropped (after
-- the function that returns it) and created again with other attribute types, then used by a
-- new function and a table. The undo drops what the migration created and creates the
-- earlier type and function again.
DROP FUNCTION "to_semver"(text);
DROP TYPE "semver_triple";
CREATE TYPE "semver_triple" AS ("major" numeric, "minor" numeric, "teeny" numeric);
CREATE FUNCTION "to_semver"(text) RETURNS "semver_triple" IMMUTABLE LANGUAGE sql AS $$
  SELECT (split_part($1, '.', 1)::numeric, split_part($1, '.', 2)::numeric, split_part($1, '.', 3)::numeric)::semver_triple
$$;
CREATE TYPE "dataset_name" AS ("namespace" VARCHAR(255), "name" VARCHAR(255));
CREATE TABLE "symlinks" ("name" "dataset_name" NOT NULL);
