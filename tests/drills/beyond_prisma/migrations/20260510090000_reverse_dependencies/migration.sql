-- crates.io's create_reverse_dependencies: a function returning a table.
CREATE FUNCTION "compute"(crate_ids integer[]) RETURNS TABLE (crate_id integer, downloads bigint)
    LANGUAGE sql STABLE AS $$ SELECT crate_id, sum(count)::bigint FROM downloads WHERE crate_id = ANY(crate_ids) GROUP BY crate_id $$;
COMMENT ON FUNCTION "compute" IS 'downloads of the crates given';
