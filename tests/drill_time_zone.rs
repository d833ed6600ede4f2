//! Drills run under a session TimeZone other than UTC by default (issue 14): a committed undo
//! that converts `timestamptz` back with a bare cast shifts every value by the session's
//! offset, so a seeded drill under the default zone (America/St_Johns, −3:30) finds the data
//! changed and fails it, while under UTC the same undo looks harmless. The zone is also
//! checked by PostgreSQL before anything is applied.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use unmigrate::drill::outcome::DrillReport;
use unmigrate::drill::script::Seed;
use unmigrate::drill::{self, DrillPlan, DEFAULT_TIME_ZONE};
use unmigrate::generate::Selection;
use unmigrate::migrations::read_history;
use unmigrate::scratch::{ScratchOptions, ScratchSource};

mod common;
use common::write_history;

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_zoned";

const INIT_SQL: &str = r#"CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" TIMESTAMP(3) NOT NULL, CONSTRAINT "Event_pkey" PRIMARY KEY ("id"));
"#;
const FORWARD_SQL: &str = r#"ALTER TABLE "Event" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(3) USING "at" AT TIME ZONE 'UTC';
"#;

/// The history with its undo committed beside it, the conversion back written as a bare cast
/// (what a hand-written down migration often does).
fn history_with_bare_cast_undo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    write_history(&migrations, &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)]);
    let history = read_history(&migrations).unwrap();
    let plan = common::fixed_plan(&history, &Selection::Last(1));
    for folder in plan.folders() {
        let folder = folder.unwrap();
        let inverse = "USING at AT TIME ZONE 'UTC';";
        assert!(folder.sql.contains(inverse), "{}", folder.sql);
        let sql = folder.sql.replace(inverse, "USING at::timestamp(3);");
        std::fs::create_dir_all(migrations.join(&folder.name)).unwrap();
        std::fs::write(migrations.join(&folder.name).join("migration.sql"), sql).unwrap();
    }
    (dir, migrations)
}

fn seeded_drill(migrations: &Path, zone: Option<&str>) -> DrillReport {
    let mut plan = DrillPlan::whole_history(
        migrations.to_path_buf(),
        ScratchSource::Embedded(ScratchOptions::default()),
    );
    plan.seed = Some(Seed { rows: 50 });
    plan.jobs = Some(1);
    if let Some(zone) = zone {
        plan.time_zone = zone.to_string();
    }
    drill::run(&plan, &mut |_| {}).unwrap()
}

#[test]
fn a_bare_cast_back_from_timestamptz_fails_a_seeded_drill_under_the_default_zone() {
    let (_dir, migrations) = history_with_bare_cast_undo();

    let report = seeded_drill(&migrations, None);
    assert_eq!(report.time_zone, DEFAULT_TIME_ZONE);
    assert_eq!(DEFAULT_TIME_ZONE, "America/St_Johns");
    let text = unmigrate::report::render(&report, unmigrate::report::ReportFormat::Human, false);
    assert!(!report.passed(), "{text}");
    assert!(
        text.contains(r#"undo lost data it did not announce: "Event".at: values differ"#),
        "{text}"
    );
    assert!(text.contains("TimeZone America/St_Johns"), "{text}");

    // Under UTC the shift is zero: the same undo passes, which is why drills do not run there.
    let report = seeded_drill(&migrations, Some("UTC"));
    let text = unmigrate::report::render(&report, unmigrate::report::ReportFormat::Human, false);
    assert!(report.passed(), "{text}");
}

#[test]
fn a_zone_postgresql_does_not_know_stops_the_drill_before_anything_is_applied() {
    let (_dir, migrations) = history_with_bare_cast_undo();
    let mut plan = DrillPlan::whole_history(
        migrations,
        ScratchSource::Embedded(ScratchOptions::default()),
    );
    plan.time_zone = "Mars/Olympus".to_string();
    let error = drill::run(&plan, &mut |_| {}).unwrap_err();
    let text = unmigrate::errors::one_line(&error);
    assert!(
        text.starts_with(r#"time zone "Mars/Olympus" is not one PostgreSQL knows"#),
        "{text}"
    );
    assert!(
        text.contains(r#"invalid value for parameter "TimeZone""#),
        "{text}"
    );
}
