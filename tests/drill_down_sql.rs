//! A `down.sql` beside a `migration.sql`, as Prisma's guide on down migrations keeps one, is
//! drilled as that migration's undo (run whole, as `prisma db execute` runs it) and compared
//! with the undo unmigrate would generate. On the embedded PostgreSQL.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

mod common;
use common::{arg, Sandbox};

const INIT: &str = "CREATE TABLE \"User\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\"));\n";
const ADD_EMAIL: &str = "ALTER TABLE \"User\" ADD COLUMN \"email\" TEXT;\n\
    CREATE UNIQUE INDEX \"User_email_key\" ON \"User\"(\"email\");\n\
    CREATE TABLE \"Audit\" (\"id\" SERIAL PRIMARY KEY);\n";
const ADD_EMAIL_NAME: &str = "20260102000000_add_email";

fn history(sandbox: &Sandbox, down: &str) -> std::path::PathBuf {
    let dir = sandbox.history(&[("20260101000000_init", INIT), (ADD_EMAIL_NAME, ADD_EMAIL)]);
    fs::write(dir.join(ADD_EMAIL_NAME).join("down.sql"), down).unwrap();
    dir
}

fn drilled(sandbox: &Sandbox, dir: &Path) -> (i32, serde_json::Value) {
    let run = sandbox.output(&["drill", arg(dir), "--format", "json", "--jobs", "1"]);
    let json = run.json();
    let migration = json["report"]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == ADD_EMAIL_NAME)
        .unwrap()
        .clone();
    (run.code, migration)
}

#[test]
fn a_down_sql_that_restores_the_schema_passes_and_is_compared() {
    let sandbox = Sandbox::new();
    // As `prisma migrate diff --script` writes one: comments, its own order.
    let dir = history(
        &sandbox,
        "-- DropTable\nDROP TABLE \"Audit\";\n\n-- DropIndex\nDROP INDEX \"User_email_key\";\n\n\
         -- AlterTable\nALTER TABLE \"User\" DROP COLUMN \"email\";\n",
    );
    let (code, migration) = drilled(&sandbox, &dir);
    assert_eq!(code, 0, "{migration}");
    assert_eq!(migration["result"], "passed", "{migration}");
    let source = &migration["undo_source"];
    assert_eq!(source["kind"], "down_sql", "{migration}");
    assert!(
        source["file"].as_str().unwrap().ends_with("down.sql"),
        "{source}"
    );
    // Hand-written: it claims no more than lossy, and says why.
    assert_eq!(migration["claimed"], "lossy", "{migration}");
    assert!(
        migration["reasons"][0]
            .as_str()
            .unwrap()
            .contains("hand-written"),
        "{migration}"
    );
    assert!(
        ["same", "differs"].contains(&source["compared"]["kind"].as_str().unwrap()),
        "{source}"
    );

    // The human report names the file as the undo drilled, with its verdict; so does JSON.
    assert_eq!(migration["down_verdict"], "restores_exactly", "{migration}");
    let run = sandbox.output(&["drill", arg(&dir), "--jobs", "1"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("hand-written down.sql: restores exactly"),
        "{run}"
    );
}

#[test]
fn a_down_sql_that_leaves_a_table_fails_with_the_diff_and_the_difference() {
    let sandbox = Sandbox::new();
    let dir = history(
        &sandbox,
        "DROP INDEX \"User_email_key\";\nALTER TABLE \"User\" DROP COLUMN \"email\";\n",
    );
    let (code, migration) = drilled(&sandbox, &dir);
    assert_eq!(code, 1, "{migration}");
    assert_eq!(migration["result"], "failed", "{migration}");
    let compared = &migration["undo_source"]["compared"];
    assert_eq!(compared["kind"], "differs", "{compared}");
    // The generated undo drops the table; it leaves the index to its column's drop.
    assert_eq!(compared["only_in_generated"], 1, "{compared}");
    assert_eq!(compared["only_in_down"], 1, "{compared}");
    assert!(
        compared["diff"].as_str().unwrap().contains("-DROP TABLE"),
        "{compared}"
    );

    let run = sandbox.output(&["drill", arg(&dir), "--jobs", "1"]);
    assert!(
        run.stdout
            .contains("differs from the undo unmigrate generates: 1 statement(s) only in the down, 1 only in the generated undo"),
        "{run}"
    );
    assert!(run.stdout.contains("Audit"), "{run}");
}

#[test]
fn a_down_sql_runs_whole_as_prisma_db_execute_runs_it() {
    // Its second statement fails: sent as one query, the first is rolled back with it, in
    // split mode too (db execute does not split), so the drill reports the failure and the
    // schema is as the forward left it.
    let sandbox = Sandbox::new();
    let dir = history(
        &sandbox,
        "DROP TABLE \"Audit\";\nDROP INDEX \"No_such_index\";\n",
    );
    let run = sandbox.output(&[
        "drill",
        arg(&dir),
        "--format",
        "json",
        "--jobs",
        "1",
        "--apply-mode",
        "split",
    ]);
    assert_eq!(run.code, 1, "{run}");
    let json = run.json();
    let migration = json["report"]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == ADD_EMAIL_NAME)
        .unwrap();
    let undo = migration["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == "undo")
        .unwrap();
    let text = undo.to_string();
    assert!(text.contains("No_such_index"), "{undo}");
    assert!(text.contains("does not exist"), "{undo}");
}
