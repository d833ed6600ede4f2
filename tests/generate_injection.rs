//! Text copied into the comments of a generated undo must never become live SQL. PostgreSQL
//! ends a `--` comment at a line feed and at a carriage return, so a folder name or a forward
//! statement holding either once smuggled `DROP TABLE "Keep"` into a rollback, and a file with
//! carriage-return-only line endings gave an undo that did not parse.
//!
//! Each case is generated, the undo re-parsed (it must hold exactly the intended statements),
//! and the history drilled with the generated undos on a real PostgreSQL: a drill passes only
//! if every undo brings back exactly the schema before its migration, "Keep" included.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use serde_json::Value;

mod common;
use common::{arg, array, run_in, text, write_history, Sandbox};

const TS: &str = "20990101000000";
const INIT: &str = "20240101000000_init";
const NAMED: &str = "20240102000000_add\nDROP TABLE \"Keep\";";
const LITERAL: &str = "20240103000000_literal";
const CR_ONLY: &str = "20240104000000_cr_only";

/// The statements of a file, as the parser reads them.
fn statements(sql: &str) -> Vec<String> {
    unmigrate::sql::parse_file(Path::new("undo"), sql)
        .unwrap_or_else(|e| panic!("the undo does not parse: {e}\n{sql}"))
        .into_iter()
        .map(|s| s.text)
        .collect()
}

/// The undo folder written for `source`, and its text.
fn undo_of(migrations: &Path, source: &str) -> (String, String) {
    let marker = format!(
        "-- unmigrate: undo of {}\n",
        unmigrate::untrusted::encode_name(source)
    );
    for entry in fs::read_dir(migrations).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(sql) = fs::read_to_string(dir.join("migration.sql")) else {
            continue;
        };
        if sql.starts_with(&marker) {
            return (dir.file_name().unwrap().to_string_lossy().into_owned(), sql);
        }
    }
    panic!("no undo of {source:?} in {}", migrations.display());
}

#[test]
fn names_and_statements_in_comments_cannot_hide_live_sql() {
    let sandbox = Sandbox::new();
    let migrations = sandbox.project().join("migrations");
    write_history(
        &migrations,
        &[
            (
                INIT,
                "CREATE TABLE \"Keep\" (\"id\" int);\nCREATE TABLE \"User\" (\"id\" int);\n",
            ),
            (NAMED, "ALTER TABLE \"User\" ADD COLUMN \"x\" int;\n"),
            (
                LITERAL,
                "ALTER TABLE \"User\" ADD COLUMN \"n\" text DEFAULT 'a\rDROP TABLE \"Keep\"; --';\n",
            ),
            (
                CR_ONLY,
                "-- a file saved with classic Mac line endings\rALTER TABLE \"User\" ADD COLUMN \"y\" int;\rCREATE TABLE \"t\" (\r  \"id\" int\r);\r",
            ),
        ],
    );
    let run = run_in(
        &sandbox.project(),
        &[
            "generate",
            arg(&migrations),
            "--last",
            "3",
            "--timestamp",
            TS,
        ],
    );
    assert_eq!(run.code, 0, "{run}");

    let expected: [(&str, &[&str]); 3] = [
        (NAMED, &["ALTER TABLE \"User\" DROP COLUMN x"]),
        (LITERAL, &["ALTER TABLE \"User\" DROP COLUMN n"]),
        (
            CR_ONLY,
            &["DROP TABLE t", "ALTER TABLE \"User\" DROP COLUMN y"],
        ),
    ];
    for (source, statements_built) in expected {
        let (folder, sql) = undo_of(&migrations, source);
        // Each file sets its own lock_timeout and resets it at its end.
        let framed: Vec<&str> = ["SET lock_timeout = '5s'"]
            .into_iter()
            .chain(statements_built.iter().copied())
            .chain(["RESET lock_timeout"])
            .collect();
        assert_eq!(statements(&sql), framed, "{folder}:\n{sql}");
        assert!(!sql.contains('\r'), "{folder}:\n{sql}");
    }

    let run = sandbox.output(&["drill", arg(&migrations), "--format", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let report = run.json();
    let drilled: Vec<(String, String, String)> = array(&report["report"]["migrations"])
        .iter()
        .map(|m: &Value| {
            (
                text(&m["name"]).to_string(),
                text(&m["result"]).to_string(),
                text(&m["undo_source"]["kind"]).to_string(),
            )
        })
        .collect();
    let committed = |name: &str| {
        (
            name.to_string(),
            "passed".to_string(),
            "committed".to_string(),
        )
    };
    assert_eq!(
        drilled[1..],
        [committed(NAMED), committed(LITERAL), committed(CR_ONLY)],
        "{report:#}"
    );
}
