CREATE TABLE "deps" ("crate_id" INT, "version_id" INT);
-- forward
-- As crates.io's create_reverse_dependencies: the columns of RETURNS TABLE and OUT parameters
-- are not part of a function's identity, so DROP FUNCTION names only the others.
CREATE FUNCTION "compute"(crate_ids integer[]) RETURNS TABLE (crate_id integer, version_id integer)
    LANGUAGE sql STABLE AS $$ SELECT crate_id, version_id FROM deps WHERE crate_id = ANY(crate_ids) $$;
CREATE FUNCTION "split"(IN whole int, OUT half int, INOUT rest int) LANGUAGE sql AS $$ SELECT whole / 2, whole - whole / 2 $$;
