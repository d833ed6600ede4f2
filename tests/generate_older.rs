//! The undo of an older migration, generated alone (`generate --migration OLD`), deployed
//! where `prisma migrate deploy` puts it: after the later migrations, which stay deployed. It
//! must leave the schema of the history without the migration it undoes.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use common::undo::{berlin_session, deploy, embedded_server};
use common::{fixed_plan, write_history};
use unmigrate::generate::Selection;
use unmigrate::migrations::read_history;
use unmigrate::snapshot::{SchemaWatcher, Tracking};

const BASE: (&str, &str) = (
    "20230101000000_base",
    "CREATE TABLE \"users\" (\"id\" INTEGER PRIMARY KEY, \"name\" TEXT);",
);
const ADD_A: (&str, &str) = (
    "20230102000000_add_a",
    "ALTER TABLE \"users\" ADD COLUMN \"a\" INTEGER NOT NULL DEFAULT 0;\n\
     CREATE INDEX \"users_a_idx\" ON \"users\"(\"a\");",
);
const ADD_B: (&str, &str) = (
    "20230103000000_add_b",
    "ALTER TABLE \"users\" ADD COLUMN \"b\" TEXT;\n\
     CREATE UNIQUE INDEX \"users_b_key\" ON \"users\"(\"b\");",
);

/// The schema `migrations` (and then `undo`) leave on a fresh database, as drills compare it.
fn schema_after(server: &unmigrate::scratch::ScratchServer, files: &[String]) -> String {
    let (_db, mut client) = berlin_session(server);
    deploy(&mut client, files);
    let mut watcher = SchemaWatcher::install(&mut client, Tracking::Full).unwrap();
    watcher.render_full(&mut client).unwrap().to_text()
}

#[test]
fn the_undo_of_an_older_migration_deploys_after_a_later_one_on_the_same_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    write_history(&dir, &[BASE, ADD_A, ADD_B]);
    let history = read_history(&dir).unwrap();
    let plan = fixed_plan(&history, &Selection::Named(vec![ADD_A.0.to_string()]));
    let undo: Vec<String> = plan.folders().map(|f| f.unwrap().sql).collect();
    assert!(!undo.is_empty());

    let server = embedded_server();
    let mut deployed: Vec<String> = [BASE, ADD_A, ADD_B]
        .iter()
        .map(|m| m.1.to_string())
        .collect();
    deployed.extend(undo);
    let without: Vec<String> = [BASE, ADD_B].iter().map(|m| m.1.to_string()).collect();
    let (after_undo, expected) = (
        schema_after(&server, &deployed),
        schema_after(&server, &without),
    );
    assert!(expected.contains("users_b_key"), "{expected}");
    assert!(!after_undo.contains("users_a_idx"), "{after_undo}");
    assert_eq!(after_undo, expected);
}
