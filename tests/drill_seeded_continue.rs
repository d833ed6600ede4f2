//! A seeded drill goes on past a forward migration that fails only because of the rows
//! (issue 14): the failure is recorded with PostgreSQL's error and classified, the migration
//! is drilled again on emptied tables (forward, undo, re-apply), every table is seeded afresh
//! before the next migration, and the later migrations are drilled. A forward that carries
//! its own `BEGIN; … COMMIT;` is classified the same way, never a crash.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use unmigrate::drill::outcome::{DataFailure, DrillReport, DrillResult, Phase, PhaseStatus};
use unmigrate::drill::script::Seed;
use unmigrate::drill::{self, DrillPlan};
use unmigrate::scratch::{ScratchOptions, ScratchSource};

mod common;
use common::write_history;

const INIT_SQL: &str = r#"CREATE TABLE "User" ("id" INTEGER NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
"#;
/// Fails on any row: a NOT NULL column with no default (Prisma warns, and the team backfills
/// in production first).
const REQUIRED_COLUMN: &str = r#"ALTER TABLE "User" ADD COLUMN "name" TEXT NOT NULL;
"#;
const LATER_SQL: &str = r#"CREATE TABLE "Post" ("id" INTEGER NOT NULL, "title" TEXT NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
ALTER TABLE "User" ADD COLUMN "bio" TEXT;
"#;

fn seeded_drill(dir: &Path, history: &[(&str, &str)]) -> DrillReport {
    let migrations = dir.join("migrations");
    write_history(&migrations, history);
    let mut plan = DrillPlan::whole_history(
        migrations,
        ScratchSource::Embedded(ScratchOptions::default()),
    );
    plan.seed = Some(Seed { rows: 20 });
    plan.jobs = Some(1);
    drill::run(&plan, &mut |_| {}).unwrap()
}

fn text(report: &DrillReport) -> String {
    unmigrate::report::render(report, unmigrate::report::ReportFormat::Human, false)
}

/// The forward migration's failure with the rows, then the phases of the second run.
fn assert_failed_only_with_data_then_drilled(report: &DrillReport, name: &str, message: &str) {
    let text = text(report);
    let m = report.migrations.iter().find(|m| m.name == name).unwrap();
    assert_eq!(m.result, DrillResult::Failed, "{text}");
    let data = m.data.as_ref().unwrap();
    assert_eq!(
        data.forward_failure,
        Some(DataFailure::OnlyWithData),
        "{text}"
    );
    let phases: Vec<(Phase, bool)> = m
        .phases
        .iter()
        .map(|p| (p.phase, matches!(p.status, PhaseStatus::Passed)))
        .collect();
    assert_eq!(
        phases,
        [
            (Phase::Forward, false),
            (Phase::Forward, true),
            (Phase::Undo, true),
            (Phase::Reapply, true)
        ],
        "{text}"
    );
    let PhaseStatus::Error(error) = &m.phases[0].status else {
        unreachable!()
    };
    assert!(error.message.contains(message), "{text}");
}

#[test]
fn a_forward_that_fails_only_with_rows_is_a_finding_and_the_drill_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let report = drill_past_required_name(dir.path(), REQUIRED_COLUMN);
    let text = text(&report);
    // The next migration is drilled on freshly seeded tables.
    let later = report
        .migrations
        .iter()
        .find(|m| m.name == "20260103000000_later")
        .unwrap();
    assert_eq!(later.result, DrillResult::Passed, "{text}");
    let seeded: Vec<String> = later
        .data
        .as_ref()
        .unwrap()
        .seeded
        .iter()
        .map(|s| s.table.to_string())
        .collect();
    assert_eq!(seeded, [r#""User""#], "{text}");
    assert_eq!(report.counts().not_run, 0, "{text}");
}

#[test]
fn a_forward_with_its_own_transaction_that_fails_on_rows_is_reported_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let in_a_block = format!("BEGIN;\n{REQUIRED_COLUMN}COMMIT;\n");
    let report = drill_past_required_name(dir.path(), &in_a_block);
    assert_eq!(report.counts().not_run, 0, "{}", text(&report));
}

/// A seeded drill of the history init, `required_name` (whose forward fails only on seeded
/// rows: NULLs in the column it makes NOT NULL), then a later migration; the drill goes on
/// past `required_name` and reports that failure as a finding.
fn drill_past_required_name(dir: &Path, required_name: &str) -> DrillReport {
    let report = seeded_drill(
        dir,
        &[
            ("20260101000000_init", INIT_SQL),
            ("20260102000000_required_name", required_name),
            ("20260103000000_later", LATER_SQL),
        ],
    );
    assert!(report.stopped.is_none(), "{}", text(&report));
    assert_failed_only_with_data_then_drilled(
        &report,
        "20260102000000_required_name",
        r#"column "name" of relation "User" contains null values"#,
    );
    report
}

#[test]
fn a_do_block_that_inserts_is_the_migrations_own_data_change_not_a_finding() {
    const SETTINGS: &str = r#"CREATE TABLE "Setting" ("id" INTEGER NOT NULL, "value" TEXT, CONSTRAINT "Setting_pkey" PRIMARY KEY ("id"));
"#;
    const INSERTS: &str = r#"DO $$ BEGIN INSERT INTO "Setting" ("id", "value") VALUES (100000, 'on'); END $$;
"#;
    let dir = tempfile::tempdir().unwrap();
    let report = seeded_drill(
        dir.path(),
        &[
            ("20260101000000_init", SETTINGS),
            ("20260102000000_default_setting", INSERTS),
        ],
    );
    let text = text(&report);
    let m = report
        .migrations
        .iter()
        .find(|m| m.name == "20260102000000_default_setting")
        .unwrap();
    // Its undo is manual (unmigrate does not reverse procedural code); the row it adds is
    // what the migration does, not data it changed behind its back.
    assert_eq!(m.result, DrillResult::Manual, "{text}");
    assert!(m.data.as_ref().unwrap().unannounced.is_empty(), "{text}");
    assert!(report.passed(), "{text}");
}
