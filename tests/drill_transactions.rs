//! Files that control their own transactions, or `COPY` with the client, on a real embedded
//! PostgreSQL, in both apply modes: each is a failed result for its migration, with file, line
//! and the error, in every report format; the drill then stops (forward) or goes on (an undo
//! rolled back whole) exactly as for any failed migration, and the session is clean after.
//!
//! The drill runs through the library once per case and renders all four formats from that
//! one report, so the formats are compared on the same run.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use unmigrate::drill::outcome::DrillReport;
use unmigrate::drill::script::Seed;
use unmigrate::drill::{self, DrillPlan};
use unmigrate::migrations::ApplyMode;
use unmigrate::report::{self, ReportFormat};
use unmigrate::scratch::{ScratchOptions, ScratchSource};

mod common;
use common::{array, phase, text, write_history};

const INIT: &str = "20260101000000_init";
const SHAPE: &str = "20260102000000_shape";
const AFTER: &str = "20260103000000_after";

/// A history of three migrations whose middle one is `shape`, in `migrations/` of a temp dir;
/// and that folder.
fn shape_history(shape: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    write_history(
        &migrations,
        &[
            (INIT, "CREATE TABLE a (id int);\n"),
            (SHAPE, shape),
            (AFTER, "CREATE TABLE c (id int);\n"),
        ],
    );
    (dir, migrations)
}

/// One drill's report, in every format.
struct Drilled {
    report: DrillReport,
    json: Value,
    texts: Vec<(ReportFormat, String)>,
}

fn run(mode: ApplyMode, migrations: PathBuf, undo_dir: Option<PathBuf>) -> Drilled {
    let mut plan = DrillPlan::whole_history(
        migrations,
        ScratchSource::Embedded(ScratchOptions::default()),
    );
    plan.apply_mode = mode;
    plan.undo_dir = undo_dir;
    plan.jobs = Some(1);
    run_plan(plan)
}

fn run_plan(plan: DrillPlan) -> Drilled {
    let mode = plan.apply_mode;
    let report = drill::run(&plan, &mut |_| {}).unwrap_or_else(|e| panic!("{mode}: {e}"));
    let json: Value =
        serde_json::from_str(&report::render(&report, ReportFormat::Json, false)).unwrap();
    let texts = [
        ReportFormat::Human,
        ReportFormat::Junit,
        ReportFormat::Markdown,
    ]
    .into_iter()
    .map(|format| (format, report::render(&report, format, false)))
    .collect();
    Drilled {
        report,
        json,
        texts,
    }
}

impl Drilled {
    fn migration(&self, name: &str) -> &Value {
        array(&self.json["report"]["migrations"])
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {}", self.json))
    }

    /// The phase failed with this file, line and message, in JSON and in every text format.
    fn assert_failed(&self, name: &str, phase_name: &str, file: &Path, line: u64, error: &str) {
        let migration = self.migration(name);
        assert_eq!(migration["result"], "failed", "{migration}");
        let failed = phase(migration, phase_name);
        assert_eq!(failed["status"], "error", "{failed}");
        assert_eq!(
            text(&failed["file"]),
            file.display().to_string(),
            "{failed}"
        );
        assert_eq!(failed["line"], line, "{failed}");
        assert!(text(&failed["message"]).contains(error), "{failed}");
        let location = format!("in {}, line {line} (", file.display());
        for (format, rendered) in &self.texts {
            assert!(
                rendered.contains(&location) && rendered.contains(error),
                "{format:?} lacks {location:?} or {error:?}:\n{rendered}"
            );
        }
        assert!(!self.report.passed());
    }

    /// A failed forward migration stops the drill: the next one is not run.
    fn assert_stopped_after(&self, name: &str) {
        assert_eq!(self.migration(AFTER)["result"], "not_run", "{}", self.json);
        let stopped = text(&self.json["report"]["stopped"]);
        assert!(stopped.contains(name), "{stopped}");
        assert_eq!(self.migration(INIT)["result"], "passed");
    }
}

fn shape_file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path()
        .join("migrations")
        .join(SHAPE)
        .join("migration.sql")
}

/// Drills the history of [`shape_history`] in `mode`: its forward migration must fail at `line`
/// saying `error`, and the drill stop after it. Its forward phase in the JSON report.
fn failed_forward(mode: ApplyMode, shape: &str, line: u64, error: &str) -> Value {
    let (dir, migrations) = shape_history(shape);
    let drilled = run(mode, migrations, None);
    drilled.assert_failed(SHAPE, "forward", &shape_file(&dir), line, error);
    drilled.assert_stopped_after(SHAPE);
    phase(drilled.migration(SHAPE), "forward").clone()
}

/// [`failed_forward`] in both modes: in batch mode the whole file is rolled back. The effect of
/// the failure in split mode.
fn split_effect_of_failed_forward(shape: &str, line: u64, error: &str) -> String {
    let batch = failed_forward(ApplyMode::Batch, shape, line, error);
    let effect = text(&batch["effect"]);
    assert!(effect.starts_with("rolled back"), "{effect}");
    let split = failed_forward(ApplyMode::Split, shape, line, error);
    text(&split["effect"]).to_string()
}

const FAILS_IN_ITS_BLOCK: &str = "BEGIN;\nCREATE TABLE b (id int);\nSELECT 1/0;\nCOMMIT;\n";

#[test]
fn a_statement_failing_inside_the_files_own_block_fails_the_migration_in_batch_mode() {
    let forward = failed_forward(ApplyMode::Batch, FAILS_IN_ITS_BLOCK, 3, "division by zero");
    assert_eq!(forward["code"], "22012");
    assert!(
        text(&forward["effect"]).starts_with("rolled back"),
        "{forward}"
    );
}

#[test]
fn a_statement_failing_inside_the_files_own_block_fails_the_migration_in_split_mode() {
    let forward = failed_forward(ApplyMode::Split, FAILS_IN_ITS_BLOCK, 3, "division by zero");
    assert_eq!(forward["code"], "22012");
    // The block was never committed: nothing of it stays.
    assert_eq!(
        forward["effect"],
        "half-applied: 0 of 4 statement(s) committed before this one"
    );
}

const COPY_FROM_STDIN: &str = "CREATE TABLE b (id int);\nCOPY a FROM stdin;\n";

#[test]
fn copy_from_stdin_fails_the_migration_at_its_line_in_both_modes() {
    let split = split_effect_of_failed_forward(COPY_FROM_STDIN, 2, "COPY … FROM STDIN");
    assert_eq!(
        split,
        "half-applied: 1 of 2 statement(s) committed before this one"
    );
}

/// Seeded, a failed forward migration is tried again on emptied tables: never one that copies
/// with the client, which no query can serve.
#[test]
fn a_seeded_drill_does_not_try_copy_from_stdin_again() {
    let (dir, migrations) = shape_history(COPY_FROM_STDIN);
    let mut plan = DrillPlan::whole_history(
        migrations,
        ScratchSource::Embedded(ScratchOptions::default()),
    );
    plan.seed = Some(Seed { rows: 3 });
    plan.jobs = Some(1);
    let drilled = run_plan(plan);
    drilled.assert_failed(SHAPE, "forward", &shape_file(&dir), 2, "COPY … FROM STDIN");
    assert_eq!(
        drilled.migration(SHAPE)["data"]["forward_failure"],
        "unknown"
    );
    drilled.assert_stopped_after(SHAPE);
}

const LEAVES_OPEN: &str = "CREATE TABLE b (id int);\nBEGIN;\nCREATE TABLE d (id int);\n";

/// In batch mode, BEGIN turns the file's one implicit transaction into the open one, and it is
/// rolled back whole.
#[test]
fn a_file_that_leaves_a_transaction_open_fails_saying_so_in_both_modes() {
    let split = split_effect_of_failed_forward(LEAVES_OPEN, 2, "leaves a transaction open");
    assert!(
        split.starts_with("half-applied: 1 of 3 statement(s) committed before"),
        "{split}"
    );
}

/// An undo that leaves a transaction open fails; in batch mode the drill rolled back all of
/// it, so the database is at the forward state and the drill goes on, as after any undo that
/// failed whole; in split mode a failed undo stops the drill, as always.
#[test]
fn an_undo_that_leaves_a_transaction_open_fails_and_the_drill_goes_on_or_stops_as_usual() {
    let (dir, migrations) = shape_history("CREATE TABLE b (id int);\n");
    let undo_dir = dir.path().join("undo");
    let undo_folder = "20260102000001_undo_shape";
    fs::create_dir_all(undo_dir.join(undo_folder)).unwrap();
    let undo_file = undo_dir.join(undo_folder).join("migration.sql");
    fs::write(
        &undo_file,
        format!("-- unmigrate: undo of {SHAPE}\nBEGIN;\nDROP TABLE b;\n"),
    )
    .unwrap();

    let batch = run(ApplyMode::Batch, migrations.clone(), Some(undo_dir.clone()));
    batch.assert_failed(SHAPE, "undo", &undo_file, 2, "leaves a transaction open");
    assert_eq!(batch.migration(AFTER)["result"], "passed", "{}", batch.json);
    assert_eq!(batch.json["report"]["stopped"], Value::Null);
    assert_eq!(batch.json["report"]["final_check"]["passed"], true);

    let split = run(ApplyMode::Split, migrations, Some(undo_dir));
    split.assert_failed(SHAPE, "undo", &undo_file, 2, "leaves a transaction open");
    split.assert_stopped_after(SHAPE);
}
