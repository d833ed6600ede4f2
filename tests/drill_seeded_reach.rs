//! Seeded drills fingerprint again only the tables a phase may have changed: the tables its
//! statements name, widened by what the server joins to them. These histories change tables
//! their statements never name; each change must still be seen (as data the migration does
//! not touch), or a lost row would pass unnoticed.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::drill::outcome::{DrillReport, Phase};
use unmigrate::migrations::ApplyMode;

mod common;
use common::drill_in_one_database;

fn seeded_drill(history: &[(&str, &str)]) -> DrillReport {
    let dir = tempfile::tempdir().unwrap();
    drill_in_one_database(dir.path(), history, ApplyMode::Batch, Some(20))
}

/// The forward of `name` changed `table`, which it never names, and the drill says so.
fn assert_forward_changed(report: &DrillReport, name: &str, table: &str) {
    let text = unmigrate::report::render(report, unmigrate::report::ReportFormat::Human, false);
    let m = report.migrations.iter().find(|m| m.name == name).unwrap();
    let data = m.data.as_ref().unwrap();
    let seen = data
        .unannounced
        .iter()
        .any(|c| c.after == Phase::Forward && c.change.table.name == table);
    assert!(seen, "{text}");
}

const PARENT_CHILD: &str = r#"CREATE TABLE "Team" ("id" INTEGER NOT NULL, CONSTRAINT "Team_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Member" ("id" INTEGER NOT NULL, "teamId" INTEGER NOT NULL, CONSTRAINT "Member_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "Member_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE);
CREATE TABLE "Log" ("id" SERIAL NOT NULL, "note" TEXT, CONSTRAINT "Log_pkey" PRIMARY KEY ("id"));
"#;

/// The undo of a `DELETE` announces the rows lost in the tables its foreign keys cascade
/// into, and the drill sees them go although no statement names that table.
#[test]
fn rows_a_foreign_key_cascades_into_are_seen() {
    let report = seeded_drill(&[
        ("20260101000000_init", PARENT_CHILD),
        ("20260102000000_prune", "DELETE FROM \"Team\";\n"),
    ]);
    let text = unmigrate::report::render(&report, unmigrate::report::ReportFormat::Human, false);
    let m = report
        .migrations
        .iter()
        .find(|m| m.name == "20260102000000_prune")
        .unwrap();
    let announced: Vec<String> = m
        .data
        .as_ref()
        .unwrap()
        .announced
        .iter()
        .map(|c| c.change.to_string())
        .collect();
    assert!(
        announced.contains(&r#""Member": rows 20 → 0"#.to_string()),
        "{text}"
    );
}

#[test]
fn rows_a_trigger_writes_are_seen() {
    let trigger = r#"CREATE FUNCTION "log_team"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO "Log" ("note") VALUES ('team'); RETURN NEW; END $$;
CREATE TRIGGER "Team_log" AFTER UPDATE ON "Team" FOR EACH ROW EXECUTE FUNCTION "log_team"();
"#;
    let report = seeded_drill(&[
        ("20260101000000_init", PARENT_CHILD),
        ("20260102000000_trigger", trigger),
        (
            "20260103000000_touch",
            "UPDATE \"Team\" SET \"id\" = \"id\";\n",
        ),
    ]);
    assert_forward_changed(&report, "20260103000000_touch", "Log");
}

#[test]
fn rows_a_function_writes_are_seen() {
    let function = r#"CREATE FUNCTION "clear_log"() RETURNS void LANGUAGE sql AS $$ DELETE FROM "Log" $$;
"#;
    let report = seeded_drill(&[
        ("20260101000000_init", PARENT_CHILD),
        ("20260102000000_function", function),
        ("20260103000000_call", "SELECT \"clear_log\"();\n"),
    ]);
    assert_forward_changed(&report, "20260103000000_call", "Log");
}

/// A function created by a forward that the drill ran a second time on emptied tables (after
/// it failed only with data) is still seen when a later migration calls it: what the drill
/// knows of the server's code is read again after SQL it did not observe.
#[test]
fn rows_a_function_created_in_a_second_run_writes_are_seen() {
    let function_and_required = r#"CREATE FUNCTION "clear_log"() RETURNS void LANGUAGE sql AS $$ DELETE FROM "Log" $$;
ALTER TABLE "Team" ADD COLUMN "name" TEXT NOT NULL;
"#;
    let report = seeded_drill(&[
        ("20260101000000_init", PARENT_CHILD),
        ("20260102000000_function", function_and_required),
        ("20260103000000_call", "SELECT \"clear_log\"();\n"),
    ]);
    assert_forward_changed(&report, "20260103000000_call", "Log");
}
