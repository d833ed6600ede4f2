//! An undo that re-adds a dropped column and then needs values in it (makes it NOT NULL
//! again, adds back a foreign key from it) can never deploy on a populated table: it passed a
//! drill on an empty database while it was called lossy. Now it is manual, with its SQL kept:
//! on a real PostgreSQL with rows, in batch and split mode, its check stops it before any
//! change and says a backfill is needed; on empty tables it deploys as written; once a person
//! writes the backfill where the file says and deletes the check, it deploys on the rows.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::query_strings;
use common::undo::{apply, berlin_session, embedded_server, undo_files};
use unmigrate::drill::outcome::{DataFailure, DrillResult, Phase, PhaseStatus};
use unmigrate::migrations::ApplyMode;

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_orgs_instead_of_roles";

const INIT_SQL: &str = r#"CREATE TABLE "Org" ("id" TEXT PRIMARY KEY);
CREATE TABLE "Invite" ("id" TEXT PRIMARY KEY, "role" TEXT NOT NULL, "orgId" TEXT NOT NULL);
ALTER TABLE "Invite" ADD CONSTRAINT "Invite_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id");
"#;

const FORWARD_SQL: &str = r#"ALTER TABLE "Invite" ALTER COLUMN "role" DROP NOT NULL;
ALTER TABLE "Invite" DROP CONSTRAINT "Invite_orgId_fkey";
ALTER TABLE "Invite" DROP COLUMN "role", DROP COLUMN "orgId";
"#;

const ROWS: &str = r#"INSERT INTO "Org" VALUES ('o1'), ('o2');
INSERT INTO "Invite" SELECT 'i' || i, 'admin', 'o' || (1 + i % 2) FROM generate_series(1, 50) AS i;
"#;

/// The columns of "Invite", in order.
fn columns(client: &mut postgres::Client) -> Vec<String> {
    query_strings(
        client,
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_name = 'Invite' ORDER BY ordinal_position",
    )
}

#[test]
fn an_undo_that_needs_a_backfill_is_manual_and_stops_before_any_change_on_rows() {
    let dir = tempfile::tempdir().unwrap();
    let history = [(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)];
    let undo = undo_files(&dir.path().join("migrations"), &history);
    let text = undo.join("\n");
    assert!(
        text.contains("-- verdict: manual (0 exact, 1 lossy, 2 manual)"),
        "{text}"
    );
    assert!(
        text.contains(r#"--   UPDATE "Invite" SET role = … WHERE role IS NULL;"#),
        "{text}"
    );
    assert!(
        text.contains(r#"--   UPDATE "Invite" SET "orgId" = … WHERE "orgId" = '';"#),
        "{text}"
    );

    let server = embedded_server();
    for mode in [ApplyMode::Batch, ApplyMode::Split] {
        let (db, mut client) = berlin_session(&server);
        client.batch_execute(INIT_SQL).unwrap();
        client.batch_execute(ROWS).unwrap();
        client.batch_execute(FORWARD_SQL).unwrap();
        let error = apply(&mut client, &undo, mode).unwrap_err();
        assert!(
            error.contains("this undo needs a backfill"),
            "{mode:?}: {error}"
        );
        assert!(
            error.contains("nothing has been changed"),
            "{mode:?}: {error}"
        );
        // Nothing changed, in either mode: the check ran first.
        assert_eq!(columns(&mut client), ["id"], "{mode:?}");
        db.destroy().unwrap();
    }

    // Where the tables are empty there is nothing to fill: the undo deploys as written.
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client.batch_execute(FORWARD_SQL).unwrap();
    apply(&mut client, &undo, ApplyMode::Split).unwrap();
    assert_eq!(columns(&mut client), ["id", "orgId", "role"]);
    db.destroy().unwrap();

    // A person writes the backfill where the file says and deletes the checks that stop it.
    let edited: Vec<String> = undo
        .iter()
        .map(|file| {
            file.replace(
                r#"--   UPDATE "Invite" SET role = … WHERE role IS NULL;"#,
                r#"UPDATE "Invite" SET role = 'member' WHERE role IS NULL;"#,
            )
            .replace(
                r#"--   UPDATE "Invite" SET "orgId" = … WHERE "orgId" = '';"#,
                r#"UPDATE "Invite" SET "orgId" = 'o1' WHERE "orgId" = '';"#,
            )
            .replace(
                r#"IF EXISTS (SELECT * FROM "Invite") THEN"#,
                "IF false THEN",
            )
        })
        .collect();
    for mode in [ApplyMode::Batch, ApplyMode::Split] {
        let (db, mut client) = berlin_session(&server);
        client.batch_execute(INIT_SQL).unwrap();
        client.batch_execute(ROWS).unwrap();
        client.batch_execute(FORWARD_SQL).unwrap();
        apply(&mut client, &edited, mode).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let filled = query_strings(
            &mut client,
            r#"SELECT count(*)::text FROM "Invite" WHERE role = 'member' AND "orgId" = 'o1'"#,
        );
        assert_eq!(filled, ["50"], "{mode:?}");
        let constraints = query_strings(
            &mut client,
            r#"SELECT conname::text FROM pg_constraint
               WHERE conrelid = '"Invite"'::regclass AND convalidated ORDER BY 1"#,
        );
        assert_eq!(
            constraints,
            ["Invite_orgId_fkey", "Invite_pkey"],
            "{mode:?}"
        );
        db.destroy().unwrap();
    }
}

/// The drill runs such an undo (its SQL is whole): unseeded it passes, reported as manual;
/// seeded, its check stops it on the rows, which the verdict announced.
#[test]
fn the_drill_runs_an_undo_that_needs_a_backfill() {
    let history = [(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)];
    let dir = tempfile::tempdir().unwrap();
    let report = common::drill_in_one_database(dir.path(), &history, ApplyMode::Batch, None);
    let forward = &report.migrations[1];
    assert_eq!(forward.claimed, unmigrate::undo::Verdict::Manual);
    assert_eq!(
        forward.result,
        DrillResult::PassedColumnOrderOnly,
        "{report:#?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let report = common::drill_in_one_database(dir.path(), &history, ApplyMode::Split, Some(5));
    let forward = &report.migrations[1];
    let data = forward.data.as_ref().unwrap();
    assert_eq!(
        data.undo_failure,
        Some(DataFailure::OnlyWithData),
        "{report:#?}"
    );
    let stopped = forward.phases.iter().any(|p| {
        p.phase == Phase::Undo
            && matches!(&p.status, PhaseStatus::Error(e) if e.message.contains("this undo needs a backfill"))
    });
    assert!(stopped, "{report:#?}");
}

/// A forward `UPDATE … SET col = NULL` without `WHERE` empties the column as surely as a drop:
/// the undo's `SET NOT NULL` can never pass over the rows the forward found (langfuse's
/// `membership_invitations.project_id`), so the undo is manual and stops before any change.
#[test]
fn an_undo_over_a_column_the_forward_nulled_needs_a_backfill_too() {
    const INIT_SQL: &str = r#"CREATE TABLE "Invite" ("id" TEXT PRIMARY KEY, "projectId" TEXT NOT NULL);
"#;
    const FORWARD_SQL: &str = r#"ALTER TABLE "Invite" ALTER COLUMN "projectId" DROP NOT NULL;
UPDATE "Invite" SET "projectId" = NULL;
"#;
    let dir = tempfile::tempdir().unwrap();
    let undo = undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = undo.join("\n");
    assert!(
        text.contains("-- verdict: manual (0 exact, 1 lossy, 1 manual)"),
        "{text}"
    );
    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client
        .batch_execute(r#"INSERT INTO "Invite" VALUES ('i1', 'p1'), ('i2', 'p2')"#)
        .unwrap();
    client.batch_execute(FORWARD_SQL).unwrap();
    let error = apply(&mut client, &undo, ApplyMode::Split).unwrap_err();
    assert!(error.contains("this undo needs a backfill"), "{error}");
    let constraints = query_strings(
        &mut client,
        r#"SELECT count(*)::text FROM pg_constraint WHERE conrelid = '"Invite"'::regclass"#,
    );
    assert_eq!(constraints, ["1"], "only the primary key: nothing changed");
    db.destroy().unwrap();
}
