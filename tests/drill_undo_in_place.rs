//! Undo folders are deployed where `prisma migrate deploy` applies them: after every folder
//! that sorts before them, which for a folder `generate` wrote is after the last forward
//! migration. The drill applies them there too, so an undo of an older migration that a later
//! one depends on fails in the drill, not in the incident.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::drill::outcome::DrillReport;
use unmigrate::migrations::ApplyMode;

mod common;
use common::drill_in_one_database;

const INIT: &str =
    "CREATE TABLE \"T\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"T_pkey\" PRIMARY KEY (\"id\"));\n";
/// A later migration whose foreign key depends on "T".
const ADD_REF: &str = "CREATE TABLE \"U\" (\"id\" INTEGER NOT NULL, \"tId\" INTEGER, CONSTRAINT \"U_pkey\" PRIMARY KEY (\"id\"),\n  CONSTRAINT \"U_tId_fkey\" FOREIGN KEY (\"tId\") REFERENCES \"T\"(\"id\"));\n";
/// A later migration that depends on nothing of "T".
const ADD_OTHER: &str =
    "CREATE TABLE \"V\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"V_pkey\" PRIMARY KEY (\"id\"));\n";
/// The undo of init, committed after the later migration (as `generate --migration init`
/// wrote it before it refused such undos, or as a hand would).
const UNDO_INIT: &str = "-- unmigrate: undo of 20260101000000_init\nDROP TABLE \"T\";\n";

fn drill(later: &str) -> DrillReport {
    let dir = tempfile::tempdir().unwrap();
    let history = [
        ("20260101000000_init", INIT),
        ("20260102000000_later", later),
        ("20260103000000_undo_init", UNDO_INIT),
    ];
    drill_in_one_database(dir.path(), &history, ApplyMode::Batch, None)
}

fn text(report: &DrillReport) -> String {
    unmigrate::report::render(report, unmigrate::report::ReportFormat::Human, false)
}

#[test]
fn an_undo_folder_after_a_migration_that_depends_on_it_fails_where_it_is_deployed() {
    let report = drill(ADD_REF);
    let text = text(&report);
    // Right after init, its undo drops "T" without trouble ...
    assert_eq!(report.counts().failed, 0, "{text}");
    // ... but it is deployed after "later", whose foreign key needs "T".
    assert_eq!(report.undo_steps, ["20260103000000_undo_init"], "{text}");
    let stopped = report.stopped.as_deref().unwrap_or_default();
    assert!(stopped.contains("20260103000000_undo_init"), "{text}");
    assert!(stopped.contains("depend"), "{text}");
    assert!(!report.passed(), "{text}");
}

#[test]
fn an_undo_folder_after_an_unrelated_migration_deploys_there() {
    let report = drill(ADD_OTHER);
    let text = text(&report);
    assert_eq!(report.undo_steps, ["20260103000000_undo_init"], "{text}");
    assert!(report.stopped.is_none(), "{text}");
    assert!(report.passed(), "{text}");
}
