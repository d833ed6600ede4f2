//! A seeded drill goes on past a forward migration that fails only because of the rows
//! (issue 14): the failure is recorded with PostgreSQL's error and classified, the migration
//! is drilled again on emptied tables (forward, undo, re-apply), the emptied tables are seeded afresh
//! before the next migration, and the later migrations are drilled. A forward that carries
//! its own `BEGIN; … COMMIT;` is classified the same way, never a crash. An undo that fails
//! on the rows, in its first file or half-way through its files, is a finding too: the rest
//! of it runs on emptied tables, and the drill goes on.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use unmigrate::drill::outcome::{
    DataFailure, DataFix, DrillReport, DrillResult, MigrationDrill, Phase, PhaseReport, PhaseStatus,
};
use unmigrate::migrations::ApplyMode;

mod common;
use common::drill_in_one_database;

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
    seeded_drill_in(dir, history, ApplyMode::Batch)
}

fn seeded_drill_in(dir: &Path, history: &[(&str, &str)], mode: ApplyMode) -> DrillReport {
    drill_in_one_database(dir, history, mode, Some(20))
}

/// Each phase of `m` in the order it ran, and whether it passed.
fn phase_outcomes(m: &MigrationDrill) -> Vec<(Phase, bool)> {
    let passed = |p: &PhaseReport| matches!(p.status, PhaseStatus::Passed);
    m.phases.iter().map(|p| (p.phase, passed(p))).collect()
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
    let phases = phase_outcomes(m);
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
    // A NOT NULL column over rows without values: what production needs is a backfill.
    assert_eq!(data.forward_fix, Some(DataFix::Backfill), "{text}");
    assert!(
        text.contains("a populated database needs a backfill"),
        "{text}"
    );
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

const TEAMS_SQL: &str = r#"CREATE TABLE "User" ("id" INTEGER NOT NULL, "email" TEXT NOT NULL, "team" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
"#;
/// Its undo must make "team" NOT NULL again after the forward emptied it on the rows its
/// `WHERE` matched (every seeded row): the undo's preflight check stops it (the rows need a
/// value first). Without the `WHERE` the undo would be certain to fail on any row, so manual
/// (see `drill_backfill`): the condition keeps it a lossy undo that fails only with data.
const ORPHAN_USERS: &str = r#"ALTER TABLE "User" ALTER COLUMN "team" DROP NOT NULL;
UPDATE "User" SET "team" = NULL WHERE "id" > 0;
"#;
/// The same, with a keyed row inserted and an index created last: its undo drops the index
/// first, in a file of its own (`DROP INDEX CONCURRENTLY`), which commits before the next
/// file deletes the row and the check fails. (The check cannot run at the top: the row's
/// `DELETE`, an undo step before it, changes the rows it reads.)
const ORPHAN_USERS_INDEXED: &str = r#"ALTER TABLE "User" ALTER COLUMN "team" DROP NOT NULL;
UPDATE "User" SET "team" = NULL WHERE "id" > 0;
INSERT INTO "User" ("id", "email", "team") VALUES (-1, 'nobody@example.com', NULL);
CREATE INDEX "User_email_idx" ON "User"("email");
"#;

#[test]
fn an_undo_that_fails_only_with_rows_is_a_finding_and_the_drill_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    drill_past_orphan_users(dir.path(), ORPHAN_USERS, ApplyMode::Batch, false);
}

#[test]
fn an_undo_that_fails_on_rows_half_way_through_its_files_goes_on_from_there() {
    let dir = tempfile::tempdir().unwrap();
    drill_past_orphan_users(dir.path(), ORPHAN_USERS_INDEXED, ApplyMode::Batch, true);
}

/// In split mode each statement commits alone: the rest begins at the statement that failed.
#[test]
fn an_undo_that_fails_on_rows_in_split_mode_goes_on_from_the_statement_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    drill_past_orphan_users(dir.path(), ORPHAN_USERS_INDEXED, ApplyMode::Split, true);
}

/// A seeded drill of init, `orphan_users` (whose undo fails on the seeded rows; `half_way`:
/// after a file of it committed) and a later migration: the undo's failure is reported with
/// PostgreSQL's error and classified, the rest of the undo restores the schema on emptied
/// tables, and the later migration is drilled on freshly seeded tables.
fn drill_past_orphan_users(dir: &Path, orphan_users: &str, mode: ApplyMode, half_way: bool) {
    let report = seeded_drill_in(
        dir,
        &[
            ("20260101000000_init", TEAMS_SQL),
            ("20260102000000_orphan_users", orphan_users),
            ("20260103000000_later", LATER_SQL),
        ],
        mode,
    );
    let text = text(&report);
    assert!(report.stopped.is_none(), "{text}");
    assert_eq!(report.counts().not_run, 0, "{text}");
    let m = report
        .migrations
        .iter()
        .find(|m| m.name == "20260102000000_orphan_users")
        .unwrap();
    assert_eq!(m.result, DrillResult::Failed, "{text}");
    let data = m.data.as_ref().unwrap();
    assert_eq!(data.forward_failure, None, "{text}");
    assert_eq!(data.undo_failure, Some(DataFailure::OnlyWithData), "{text}");
    assert_eq!(data.forward_fix, None, "{text}");
    let phases = phase_outcomes(m);
    assert_eq!(
        phases,
        [
            (Phase::Forward, true),
            (Phase::Undo, false),
            (Phase::Undo, true),
            (Phase::Reapply, true)
        ],
        "{text}"
    );
    let PhaseStatus::Error(error) = &m.phases[1].status else {
        unreachable!()
    };
    assert!(error.message.contains("team IS NULL"), "{text}");
    let committed_before = match mode {
        ApplyMode::Batch => "rolled back",
        // `SET lock_timeout` and the inserted row's `DELETE` committed before the check.
        ApplyMode::Split => "half-applied: 2 of",
    };
    assert!(error.effect.contains(committed_before), "{text}");
    assert_eq!(error.file.contains("_part2"), half_way, "{text}");
    assert!(text.contains("undo fails only with data"), "{text}");
    assert!(text.contains("1 undos fail on seeded rows"), "{text}");
    let later = report
        .migrations
        .iter()
        .find(|m| m.name == "20260103000000_later")
        .unwrap();
    assert_eq!(later.result, DrillResult::Passed, "{text}");
    let later_data = later.data.as_ref().unwrap();
    assert!(!later_data.seeded.is_empty(), "{text}");
    assert!(report.final_check.as_ref().unwrap().passed, "{text}");
}

/// A composite foreign key added later over columns that already carry a foreign key each
/// (langfuse's `media_relax_id_uniqueness_to_project_only`): the seeder cannot give every row
/// a matching pair, so the forward fails on its values alone. Production met it (the team
/// deployed it), so it is reported as an artefact of the synthetic rows, not as a finding.
const MEDIA_SQL: &str = r#"CREATE TABLE "Project" ("id" TEXT PRIMARY KEY);
CREATE TABLE "Media" ("id" TEXT NOT NULL, "projectId" TEXT NOT NULL REFERENCES "Project"("id"), CONSTRAINT "Media_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "Media_projectId_id_key" ON "Media"("projectId", "id");
CREATE TABLE "TraceMedia" ("id" TEXT PRIMARY KEY, "mediaId" TEXT NOT NULL REFERENCES "Media"("id"), "projectId" TEXT NOT NULL REFERENCES "Project"("id"));
"#;
const MEDIA_BY_PROJECT: &str = r#"ALTER TABLE "TraceMedia" ADD CONSTRAINT "TraceMedia_mediaId_projectId_fkey" FOREIGN KEY ("mediaId", "projectId") REFERENCES "Media"("id", "projectId");
"#;
/// The same key into a table the forward recreates empty: every existing row loses its parent,
/// in production too.
const MEDIA_RECREATED: &str = r#"ALTER TABLE "TraceMedia" DROP CONSTRAINT "TraceMedia_mediaId_fkey";
DROP TABLE "Media";
CREATE TABLE "Media" ("id" TEXT NOT NULL, "projectId" TEXT NOT NULL, CONSTRAINT "Media_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "Media_projectId_id_key" ON "Media"("projectId", "id");
ALTER TABLE "TraceMedia" ADD CONSTRAINT "TraceMedia_mediaId_projectId_fkey" FOREIGN KEY ("mediaId", "projectId") REFERENCES "Media"("id", "projectId");
"#;

fn forward_fix_of(forward: &str) -> (Option<DataFix>, String) {
    let dir = tempfile::tempdir().unwrap();
    let report = seeded_drill(
        dir.path(),
        &[
            ("20260101000000_init", MEDIA_SQL),
            ("20260102000000_forward", forward),
        ],
    );
    let text = text(&report);
    let m = &report.migrations[1];
    let data = m.data.as_ref().unwrap();
    assert_eq!(
        data.forward_failure,
        Some(DataFailure::OnlyWithData),
        "{text}"
    );
    (data.forward_fix, text)
}

#[test]
fn a_key_the_seeder_follows_but_its_values_break_is_an_artefact_not_a_finding() {
    let (fix, text) = forward_fix_of(MEDIA_BY_PROJECT);
    assert_eq!(fix, Some(DataFix::SyntheticValues), "{text}");
    assert!(text.contains("an artefact of the synthetic rows"), "{text}");
    assert!(
        text.contains("(1 of them on the seeder's own values)"),
        "{text}"
    );

    let (fix, text) = forward_fix_of(MEDIA_RECREATED);
    assert_eq!(fix, Some(DataFix::MissingParents), "{text}");
    assert!(
        text.contains("a populated database needs the rows whose key matches no parent"),
        "{text}"
    );
}
