-- docs.rs's initial schema: a pg_dump's sequence owned by its column.
ALTER SEQUENCE "crates_id_seq" OWNED BY "crates"."id";
