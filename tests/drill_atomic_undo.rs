//! The forward's own transaction carried into its undo (issue 13): a forward written as
//! `BEGIN; … COMMIT;` gets an undo whose statements run in a transaction block too, so under
//! Prisma's split mode (each statement sent alone) a failure in the middle of the undo
//! leaves nothing of it committed. On a real PostgreSQL with 1,000 rows, TimeZone
//! Europe/Berlin.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::Path;

mod common;
use common::query_strings;
use common::undo::{berlin_session, embedded_server, undo_files};

const INIT_SQL: &str = r#"CREATE TABLE "A" ("id" INTEGER PRIMARY KEY, "name" TEXT);
CREATE TABLE "B" ("id" INTEGER PRIMARY KEY, "y" VARCHAR(20));
"#;

const FORWARD_SQL: &str = r#"BEGIN;
ALTER TABLE "A" ADD COLUMN "x" TEXT;
ALTER TABLE "B" ALTER COLUMN "y" SET DATA TYPE TEXT;
COMMIT;
"#;

#[test]
fn a_failure_in_the_middle_of_a_carried_block_commits_nothing_in_split_mode() {
    let dir = tempfile::tempdir().unwrap();
    let files = undo_files(
        &dir.path().join("migrations"),
        &[
            ("20260101000000_init", INIT_SQL),
            ("20260102000000_block", FORWARD_SQL),
        ],
    );
    assert_eq!(files.len(), 1, "{files:?}");
    let statements: Vec<String> = unmigrate::sql::parse_file(Path::new("undo.sql"), &files[0])
        .unwrap()
        .into_iter()
        .map(|s| s.text)
        .collect();
    let begin = statements.iter().position(|s| s == "BEGIN").unwrap();
    let alter_b = statements
        .iter()
        .position(|s| s.contains(r#"ALTER TABLE "B""#))
        .unwrap();
    let drop_x = statements
        .iter()
        .position(|s| s.contains("DROP COLUMN x"))
        .unwrap();
    let commit = statements.iter().position(|s| s == "COMMIT").unwrap();
    assert!(
        begin < alter_b && alter_b < drop_x && drop_x < commit,
        "{statements:#?}"
    );

    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client
        .batch_execute(
            r#"INSERT INTO "A" SELECT i, 'a' || i FROM generate_series(1, 1000) AS i;
               INSERT INTO "B" SELECT i, 'b' || i FROM generate_series(1, 1000) AS i"#,
        )
        .unwrap();
    client.batch_execute(FORWARD_SQL).unwrap();
    // Written since the forward: a view on the new column stops the undo's DROP COLUMN,
    // after the undo has already changed "B".
    client
        .batch_execute(r#"CREATE VIEW "AX" AS SELECT "x" FROM "A""#)
        .unwrap();

    // Split mode: each statement sent alone, the deploy stopping at the first error.
    let failed = statements
        .iter()
        .position(|s| client.batch_execute(s).is_err())
        .unwrap();
    assert_eq!(failed, drop_x, "{statements:#?}");
    // The deploy ends there and its connection with it: the open block rolls back.
    client.batch_execute("ROLLBACK").unwrap();
    let y = query_strings(
        &mut client,
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'B' AND column_name = 'y'",
    );
    assert_eq!(y, ["text"], "the change to \"B\" was not committed");
    let rows = query_strings(
        &mut client,
        r#"SELECT count(*)::text FROM "B" WHERE "y" LIKE 'b%'"#,
    );
    assert_eq!(rows, ["1000"]);
    db.destroy().unwrap();
}
