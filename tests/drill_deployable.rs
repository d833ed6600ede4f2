//! The generated undo deploys on tables with rows (issue 13): a seeded drill fills every table
//! with 1,000 rows before the forward migration, then applies the undo `generate` would write
//! (its `lock_timeout`, `CONCURRENTLY` index work, `NOT VALID` constraints validated later) on
//! a real embedded PostgreSQL, in both apply modes.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::Value;

use unmigrate::drill::script::Seed;
use unmigrate::drill::{self, DrillPlan};
use unmigrate::migrations::ApplyMode;
use unmigrate::report::{self, ReportFormat};
use unmigrate::scratch::{ScratchOptions, ScratchSource};

mod common;
use common::undo::last_undo_files;
use common::{array, phase, write_history};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_loosen";

/// Tables that exist before the undo, with an index, a foreign key, a check and a NOT NULL
/// that the forward migration drops, and an index it adds.
const INIT_SQL: &str = r#"CREATE TABLE "Team" ("id" INTEGER NOT NULL, "name" TEXT NOT NULL, CONSTRAINT "Team_pkey" PRIMARY KEY ("id"));
CREATE TABLE "User" ("id" INTEGER NOT NULL, "teamId" INTEGER, "email" TEXT NOT NULL, "age" INTEGER, "nick" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE INDEX "User_email_idx" ON "User"("email");
ALTER TABLE "User" ADD CONSTRAINT "User_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "User" ADD CONSTRAINT "User_age_check" CHECK ("age" >= 0);
"#;

const FORWARD_SQL: &str = r#"DROP INDEX "User_email_idx";
ALTER TABLE "User" DROP CONSTRAINT "User_teamId_fkey";
ALTER TABLE "User" DROP CONSTRAINT "User_age_check";
ALTER TABLE "User" ALTER COLUMN "nick" DROP NOT NULL;
CREATE INDEX "User_age_idx" ON "User"("age");
"#;

fn history() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    write_history(&migrations, &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)]);
    (dir, migrations)
}

fn seeded_drill(migrations: PathBuf, mode: ApplyMode) -> Value {
    let mut plan = DrillPlan::whole_history(
        migrations,
        ScratchSource::Embedded(ScratchOptions::default()),
    );
    plan.apply_mode = mode;
    plan.seed = Some(Seed { rows: 1000 });
    plan.jobs = Some(1);
    let report = drill::run(&plan, &mut |_| {}).unwrap_or_else(|e| panic!("{mode}: {e}"));
    serde_json::from_str(&report::render(&report, ReportFormat::Json, false)).unwrap()
}

#[test]
fn every_undo_file_that_takes_locks_sets_lock_timeout_and_resets_it() {
    let (_dir, migrations) = history();
    let files = last_undo_files(&migrations);
    let with_timeout: Vec<&String> = files
        .iter()
        .filter(|f| f.contains("\nSET lock_timeout = '5s';\n"))
        .collect();
    assert!(!with_timeout.is_empty(), "{files:#?}");
    for file in &files {
        let statements: Vec<&str> = file
            .lines()
            .filter(|l| !l.starts_with("--") && !l.is_empty())
            .collect();
        if statements.len() == 1 && statements[0].contains("CONCURRENTLY") {
            continue; // alone: batch mode would run it inside a transaction otherwise
        }
        assert_eq!(
            statements.first(),
            Some(&"SET lock_timeout = '5s';"),
            "{file}"
        );
        assert_eq!(statements.last(), Some(&"RESET lock_timeout;"), "{file}");
    }
}

#[test]
fn indexes_are_concurrent_and_constraints_validated_in_a_later_file() {
    let (_dir, migrations) = history();
    let files = last_undo_files(&migrations);
    let file_of = |needle: &str| {
        files
            .iter()
            .position(|f| {
                f.lines()
                    .any(|l| !l.starts_with("--") && l.contains(needle))
            })
            .unwrap_or_else(|| panic!("{needle:?} in none of {files:#?}"))
    };
    let code = files
        .iter()
        .flat_map(|f| f.lines())
        .filter(|l| !l.starts_with("--"));
    for line in code {
        assert!(!line.starts_with("CREATE INDEX \""), "{line}");
        assert!(!line.starts_with("DROP INDEX \""), "{line}");
    }
    file_of("DROP INDEX CONCURRENTLY \"User_age_idx\";");
    file_of("CREATE INDEX CONCURRENTLY \"User_email_idx\"");
    for name in ["User_teamId_fkey", "User_age_check"] {
        let add = file_of(&format!("ADD CONSTRAINT \"{name}\""));
        let validate = file_of(&format!("VALIDATE CONSTRAINT \"{name}\";"));
        assert!(files[add].contains("NOT VALID;"), "{}", files[add]);
        assert!(add < validate, "{name}: {files:#?}");
    }
    // SET NOT NULL after a validated helper CHECK, which it then drops.
    let helper = file_of("CHECK (nick IS NOT NULL) NOT VALID;");
    let set = file_of("ALTER COLUMN nick SET NOT NULL;");
    assert!(helper < set, "{files:#?}");
    let later = &files[set];
    let at = |needle: &str| {
        later
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}: {later}"))
    };
    assert!(at("VALIDATE CONSTRAINT \"User_nick_not_null\";") < at("SET NOT NULL;"));
    assert!(at("SET NOT NULL;") < at("DROP CONSTRAINT \"User_nick_not_null\";"));
}

#[test]
fn the_undo_runs_on_tables_of_1000_rows_in_both_modes() {
    for mode in [ApplyMode::Batch, ApplyMode::Split] {
        let (_dir, migrations) = history();
        let json = seeded_drill(migrations, mode);
        let forward = array(&json["report"]["migrations"])
            .iter()
            .find(|m| m["name"] == FORWARD)
            .unwrap_or_else(|| panic!("{mode}: {FORWARD} not in {json}"));
        assert_eq!(
            phase(forward, "undo")["status"],
            "passed",
            "{mode}: {forward}"
        );
        assert_eq!(
            phase(forward, "reapply")["status"],
            "passed",
            "{mode}: {forward}"
        );
        let result = forward["result"].as_str().unwrap();
        assert!(result.starts_with("passed"), "{mode}: {forward}");
        let seeded = &forward["data"]["seeded"];
        let rows: Vec<u64> = array(seeded)
            .iter()
            .map(|s| s["rows"].as_u64().unwrap())
            .collect();
        assert!(
            rows.iter().all(|&r| r >= 1000) && rows.len() == 2,
            "{mode}: {seeded}"
        );
    }
}
