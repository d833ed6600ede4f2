-- crates.io's fix_int_type_in_to_semver_no_prerelease: a composite type defined anew.
DROP FUNCTION "to_semver"(text);
DROP TYPE "semver_triple";
CREATE TYPE "semver_triple" AS ("major" numeric, "minor" numeric, "teeny" numeric);
CREATE FUNCTION "to_semver"(text) RETURNS "semver_triple" IMMUTABLE LANGUAGE sql AS $$
  SELECT (split_part($1, '.', 1)::numeric, split_part($1, '.', 2)::numeric, split_part($1, '.', 3)::numeric)::semver_triple
$$;
