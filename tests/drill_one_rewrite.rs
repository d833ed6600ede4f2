//! Type changes of one table are undone by one `ALTER TABLE` (issue 13): the undo
//! `generate` writes converts every column of the table back in one statement, so on a real
//! PostgreSQL with 1,000 rows (and a session TimeZone other than UTC) the table is rewritten
//! once (one `table_rewrite` event, a new relfilenode), not once per column, and every row
//! comes back as it was, defaults included.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::query_strings;
use common::undo::{berlin_session, deploy, embedded_server, undo_files};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_widen_columns";

const INIT_SQL: &str = r#"CREATE TABLE "Score" (
    "id" INTEGER NOT NULL,
    "value" INTEGER NOT NULL DEFAULT 0,
    "label" VARCHAR(20),
    "big" BIGINT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Score_pkey" PRIMARY KEY ("id")
);
"#;

const FORWARD_SQL: &str = r#"-- AlterTable
ALTER TABLE "Score" ALTER COLUMN "value" SET DATA TYPE BIGINT,
ALTER COLUMN "label" SET DATA TYPE TEXT;

-- AlterTable
ALTER TABLE "Score" ALTER COLUMN "big" SET DATA TYPE INTEGER;

-- AlterTable
ALTER TABLE "Score" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(3) USING "at" AT TIME ZONE 'UTC';
"#;

/// Every row as text, in one checksum, with the column types and defaults.
const ROWS: &str = r#"SELECT md5(string_agg(concat_ws('|', id, value, label, big, at), ',' ORDER BY id)) FROM "Score""#;
const SHAPE: &str = "SELECT string_agg(column_name || ' ' || data_type || ' ' || coalesce(character_maximum_length::text, '-') || ' ' || coalesce(column_default, '-'), ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'Score'";
const RELFILENODE: &str =
    r#"SELECT relfilenode::text FROM pg_class WHERE oid = '"Score"'::regclass"#;

#[test]
fn type_changes_of_one_table_are_undone_by_one_rewrite_on_1000_rows() {
    let dir = tempfile::tempdir().unwrap();
    let undo = undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = undo.join("\n");
    let type_statements = text
        .lines()
        .filter(|l| l.starts_with("ALTER TABLE") && l.contains(" TYPE "))
        .count();
    assert_eq!(type_statements, 1, "{text}");
    assert!(text.contains("so the table is rewritten once"), "{text}");

    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client
        .batch_execute(
            r#"INSERT INTO "Score"
               SELECT i, i * 7, 'label-' || i, i * 1000, TIMESTAMP '2024-03-31 00:30:00' + i * INTERVAL '37 minutes'
               FROM generate_series(1, 1000) AS i"#,
        )
        .unwrap();
    let rows_before = query_strings(&mut client, ROWS);
    let shape_before = query_strings(&mut client, SHAPE);
    client.batch_execute(FORWARD_SQL).unwrap();
    // Every rewrite of a table fires `table_rewrite`: count them.
    client
        .batch_execute(
            "CREATE TABLE rewrites (n serial);
             CREATE FUNCTION count_rewrite() RETURNS event_trigger LANGUAGE plpgsql AS
               $$ BEGIN INSERT INTO rewrites DEFAULT VALUES; END $$;
             CREATE EVENT TRIGGER count_rewrites ON table_rewrite EXECUTE FUNCTION count_rewrite();",
        )
        .unwrap();
    let node_before = query_strings(&mut client, RELFILENODE);
    deploy(&mut client, &undo);
    let rewrites = query_strings(&mut client, "SELECT count(*)::text FROM rewrites");
    assert_eq!(rewrites, ["1"], "{text}");
    let node_after = query_strings(&mut client, RELFILENODE);
    assert_ne!(node_before, node_after);
    assert_eq!(query_strings(&mut client, SHAPE), shape_before);
    assert_eq!(query_strings(&mut client, ROWS), rows_before);
    db.destroy().unwrap();
}
