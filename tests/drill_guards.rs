//! Preflight guards (issue 13): a lossy undo whose condition fails on the live data (here a
//! duplicate under a unique index it must rebuild) fails in its guard, at the top of the
//! undo, before any change, with a message that names the table, the columns and the query
//! listing the rows: in batch mode (each file one transaction) and in split mode (each
//! statement commits alone), on a real PostgreSQL with 1,000 rows and a session TimeZone other
//! than UTC. Once the rows are fixed, the same undo deploys.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use unmigrate::migrations::ApplyMode;

mod common;
use common::query_strings;
use common::undo::{apply, berlin_session, embedded_server};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_relax_member";

const INIT_SQL: &str = r#"CREATE TABLE "Member" (
    "id" INTEGER NOT NULL,
    "email" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    CONSTRAINT "Member_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Member_email_key" ON "Member"("email");
"#;

/// Its undo drops "nickname", makes "team" NOT NULL again and rebuilds the unique index: the
/// first and second would change the schema before the third fails on a duplicate.
const FORWARD_SQL: &str = r#"ALTER TABLE "Member" ADD COLUMN "nickname" TEXT;
DROP INDEX "Member_email_key";
ALTER TABLE "Member" ALTER COLUMN "team" DROP NOT NULL;
"#;

/// The undo's files, as generate writes them.
fn undo_files(migrations: &Path) -> Vec<String> {
    common::undo::undo_files(migrations, &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)])
}

/// What the undo would change first: the forward's column, the nullability of "team", the
/// helper check, the index.
fn schema_state(client: &mut postgres::Client) -> Vec<String> {
    query_strings(
        client,
        r#"SELECT column_name || ' ' || is_nullable FROM information_schema.columns
           WHERE table_name = 'Member'
           UNION ALL SELECT 'constraint ' || conname FROM pg_constraint
           WHERE conrelid = '"Member"'::regclass
           UNION ALL SELECT 'index ' || indexrelid::regclass::text FROM pg_index
           WHERE indrelid = '"Member"'::regclass
           ORDER BY 1"#,
    )
}

#[test]
fn a_duplicate_under_a_unique_index_fails_the_guard_before_any_change_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let files = undo_files(&dir.path().join("migrations"));
    let text = files.join("\n");
    assert!(
        text.contains("-- preflight check for the undo of line 2"),
        "{text}"
    );
    assert!(
        files[0].find("DO $unmigrate_guard$") < files[0].find("ALTER TABLE"),
        "the guards come before the first change:\n{}",
        files[0]
    );

    let server = embedded_server();
    for mode in [ApplyMode::Batch, ApplyMode::Split] {
        let (db, mut client) = berlin_session(&server);
        client.batch_execute(INIT_SQL).unwrap();
        client
            .batch_execute(
                r#"INSERT INTO "Member"
                   SELECT i, 'member-' || i || '@example.com', 'team-' || (i % 7)
                   FROM generate_series(1, 1000) AS i"#,
            )
            .unwrap();
        client.batch_execute(FORWARD_SQL).unwrap();
        // Written after the forward dropped the index: the undo cannot rebuild it.
        client
            .batch_execute(
                r#"INSERT INTO "Member" VALUES (1001, 'member-7@example.com', 'team-1', 'again')"#,
            )
            .unwrap();
        let before = schema_state(&mut client);

        let error = apply(&mut client, &files, mode).unwrap_err();
        assert!(
            error.starts_with("unmigrate preflight check failed: table \"Member\" has rows with equal (email), so unique index \"Member_email_key\" cannot be built again; nothing has been changed."),
            "{mode:?}: {error}"
        );
        assert!(
            error.contains(r#"These rows are listed by: SELECT email, count(*) FROM "Member" WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1"#),
            "{mode:?}: {error}"
        );
        assert!(
            error.contains("HINT: Fix or remove those rows"),
            "{mode:?}: {error}"
        );
        assert_eq!(
            schema_state(&mut client),
            before,
            "{mode:?}: nothing changed"
        );
        assert!(before.contains(&"nickname YES".to_string()), "{before:?}");

        // The query the message gives lists the duplicate; once fixed, the undo deploys.
        let listed = query_strings(
            &mut client,
            r#"SELECT email || ' ' || count(*) FROM "Member" WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1"#,
        );
        assert_eq!(listed, ["member-7@example.com 2"]);
        client
            .batch_execute(r#"DELETE FROM "Member" WHERE "id" = 1001"#)
            .unwrap();
        apply(&mut client, &files, mode).unwrap_or_else(|e| panic!("{mode:?}: {e}\n{text}"));
        let after = schema_state(&mut client);
        assert!(after.contains(&"team NO".to_string()), "{after:?}");
        assert!(
            after.contains(&"index \"Member_email_key\"".to_string()),
            "{after:?}"
        );
        assert!(
            !after.iter().any(|c| c.starts_with("nickname")),
            "{after:?}"
        );
        db.destroy().unwrap();
    }
}

#[test]
fn null_rows_fail_the_not_null_guard_with_the_query_that_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let files = undo_files(&dir.path().join("migrations"));
    let server = embedded_server();
    let db = server.create_database().unwrap();
    let mut client = db.connect().unwrap();
    client.batch_execute(INIT_SQL).unwrap();
    client
        .batch_execute(
            r#"INSERT INTO "Member"
               SELECT i, 'member-' || i || '@example.com', 'team-' || (i % 7)
               FROM generate_series(1, 1000) AS i"#,
        )
        .unwrap();
    client.batch_execute(FORWARD_SQL).unwrap();
    client
        .batch_execute(r#"UPDATE "Member" SET "team" = NULL WHERE "id" <= 3"#)
        .unwrap();
    let before = schema_state(&mut client);
    let error = apply(&mut client, &files, ApplyMode::Split).unwrap_err();
    assert!(
        error.starts_with("unmigrate preflight check failed: table \"Member\" has rows where team IS NULL, so it cannot be made NOT NULL again; nothing has been changed. These rows are listed by: SELECT * FROM \"Member\" WHERE team IS NULL"),
        "{error}"
    );
    assert_eq!(schema_state(&mut client), before);
    db.destroy().unwrap();
}

#[test]
fn orphans_and_failed_checks_fail_their_guards_before_any_change() {
    const INIT_SQL: &str = r#"CREATE TABLE "Team" ("id" INTEGER PRIMARY KEY);
CREATE TABLE "Player" (
    "id" INTEGER PRIMARY KEY,
    "teamId" INTEGER,
    "age" INTEGER,
    CONSTRAINT "Player_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id"),
    CONSTRAINT "age_positive" CHECK ("age" > 0 OR "age" IS NULL)
);
"#;
    const FORWARD_SQL: &str = r#"ALTER TABLE "Player" DROP CONSTRAINT "Player_teamId_fkey";
ALTER TABLE "Player" DROP CONSTRAINT "age_positive";
"#;
    let dir = tempfile::tempdir().unwrap();
    let files = common::undo::undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );

    let server = embedded_server();
    let cases = [
        (
            r#"INSERT INTO "Player" VALUES (1001, 99, 30)"#,
            r#"unmigrate preflight check failed: table "Player" has rows whose ("teamId") match no row of "Team", so constraint "Player_teamId_fkey" of "Player" cannot be added back; nothing has been changed. These rows are listed by: SELECT child.* FROM "Player" AS child WHERE child."teamId" IS NOT NULL AND NOT EXISTS (SELECT FROM "Team" AS parent WHERE parent.id = child."teamId")"#,
        ),
        (
            r#"INSERT INTO "Player" VALUES (1001, 1, -4)"#,
            r#"unmigrate preflight check failed: table "Player" has rows that fail constraint age_positive of "Player", so it cannot be added back; nothing has been changed. These rows are listed by: SELECT * FROM "Player" WHERE (age > 0 OR age IS NULL) IS FALSE"#,
        ),
    ];
    for (bad_row, message) in cases {
        for mode in [ApplyMode::Batch, ApplyMode::Split] {
            let db = server.create_database().unwrap();
            let mut client = db.connect().unwrap();
            client.batch_execute(INIT_SQL).unwrap();
            client
                .batch_execute(
                    r#"INSERT INTO "Team" SELECT i FROM generate_series(1, 10) AS i;
                       INSERT INTO "Player" SELECT i, 1 + i % 10, 20 + i % 50 FROM generate_series(1, 1000) AS i"#,
                )
                .unwrap();
            client.batch_execute(FORWARD_SQL).unwrap();
            client.batch_execute(bad_row).unwrap();
            let constraints = r#"SELECT conname FROM pg_constraint WHERE conrelid = '"Player"'::regclass ORDER BY 1"#;
            let before = query_strings(&mut client, constraints);
            let error = apply(&mut client, &files, mode).unwrap_err();
            assert!(error.starts_with(message), "{mode:?}: {error}");
            assert_eq!(query_strings(&mut client, constraints), before, "{mode:?}");
            db.destroy().unwrap();
        }
    }
}

#[test]
fn an_enum_value_in_use_and_a_value_that_does_not_convert_back_fail_their_guards() {
    const INIT_SQL: &str = r#"CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "Account" ("id" INTEGER PRIMARY KEY, "role" "Role" NOT NULL, "code" INTEGER);
"#;
    const FORWARD_SQL: &str = r#"ALTER TYPE "Role" ADD VALUE 'OWNER';
ALTER TABLE "Account" ALTER COLUMN "code" SET DATA TYPE TEXT;
"#;
    let dir = tempfile::tempdir().unwrap();
    let files = common::undo::undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );

    let server = embedded_server();
    let cases = [
        (
            r#"UPDATE "Account" SET "role" = 'OWNER' WHERE "id" = 500"#,
            r#"unmigrate preflight check failed: table "Account" has rows where role holds 'OWNER', so enum "Role" cannot be recreated without it; nothing has been changed. These rows are listed by: SELECT * FROM "Account" WHERE role = 'OWNER'"#,
        ),
        (
            r#"UPDATE "Account" SET "code" = 'A-17' WHERE "id" = 500"#,
            r#"unmigrate preflight check failed: a value of "Account".code does not convert back to int4; nothing has been changed. The conversion, run alone: SELECT code::int AS converted FROM "Account". The error: invalid input syntax for type integer: "A-17""#,
        ),
    ];
    for (change, message) in cases {
        for mode in [ApplyMode::Batch, ApplyMode::Split] {
            let (db, mut client) = berlin_session(&server);
            client.batch_execute(INIT_SQL).unwrap();
            client
                .batch_execute(
                    r#"INSERT INTO "Account" SELECT i, 'USER', i FROM generate_series(1, 1000) AS i"#,
                )
                .unwrap();
            client.batch_execute(FORWARD_SQL).unwrap();
            client.batch_execute(change).unwrap();
            let shape = r#"SELECT format('%s %s', data_type, udt_name) FROM information_schema.columns WHERE table_name = 'Account' ORDER BY ordinal_position"#;
            let before = query_strings(&mut client, shape);
            let labels = r#"SELECT enum_range(NULL::"Role")::text"#;
            let before_labels = query_strings(&mut client, labels);
            let error = apply(&mut client, &files, mode).unwrap_err();
            assert!(error.starts_with(message), "{mode:?}: {error}");
            assert_eq!(query_strings(&mut client, shape), before, "{mode:?}");
            assert_eq!(
                query_strings(&mut client, labels),
                before_labels,
                "{mode:?}"
            );
            db.destroy().unwrap();
        }
    }
}

#[test]
fn references_into_a_table_the_undo_recreates_empty_fail_the_guard_until_cleared() {
    const INIT_SQL: &str = r#"CREATE TABLE "Team" ("id" INTEGER PRIMARY KEY);
CREATE TABLE "Player" (
    "id" INTEGER PRIMARY KEY,
    "teamId" INTEGER,
    CONSTRAINT "Player_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id")
);
"#;
    // Prisma's shape: the key goes first, then the table; "Player" and its column stay.
    const FORWARD_SQL: &str = r#"ALTER TABLE "Player" DROP CONSTRAINT "Player_teamId_fkey";
DROP TABLE "Team";
"#;
    let dir = tempfile::tempdir().unwrap();
    let files = common::undo::undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = files.join("\n");
    assert!(text.contains("-- lossy: adds foreign key"), "{text}");

    let server = embedded_server();
    let tables = r#"SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1"#;
    for mode in [ApplyMode::Batch, ApplyMode::Split] {
        let (db, mut client) = berlin_session(&server);
        client.batch_execute(INIT_SQL).unwrap();
        client
            .batch_execute(
                r#"INSERT INTO "Team" SELECT i FROM generate_series(1, 10) AS i;
                   INSERT INTO "Player" SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE 1 + i % 10 END FROM generate_series(1, 1000) AS i"#,
            )
            .unwrap();
        client.batch_execute(FORWARD_SQL).unwrap();
        let before = query_strings(&mut client, tables);

        // The rows of "Team" are gone with it: 750 players reference a team that the undo
        // cannot bring back, so the key cannot come back either.
        let error = apply(&mut client, &files, mode).unwrap_err();
        assert!(
            error.starts_with(r#"unmigrate preflight check failed: table "Player" has rows whose ("teamId") reference "Team", which the undo recreates empty, so foreign key "Player_teamId_fkey" of "Player" cannot be added back; nothing has been changed. These rows are listed by: SELECT * FROM "Player" WHERE "teamId" IS NOT NULL"#),
            "{mode:?}: {error}"
        );
        assert!(
            error.contains(r#"HINT: Bring the rows of "Team" back first (from a backup)"#),
            "{mode:?}: {error}"
        );
        assert_eq!(query_strings(&mut client, tables), before, "{mode:?}");
        let listed = query_strings(
            &mut client,
            r#"SELECT count(*)::text FROM "Player" WHERE "teamId" IS NOT NULL"#,
        );
        assert_eq!(listed, ["750"], "{mode:?}");

        // Once no row references anything, the same undo deploys and the key is back.
        client
            .batch_execute(r#"UPDATE "Player" SET "teamId" = NULL"#)
            .unwrap();
        apply(&mut client, &files, mode).unwrap_or_else(|e| panic!("{mode:?}: {e}\n{text}"));
        let keys = query_strings(
            &mut client,
            r#"SELECT conname || ' ' || convalidated FROM pg_constraint WHERE conrelid = '"Player"'::regclass AND contype = 'f'"#,
        );
        assert_eq!(keys, ["Player_teamId_fkey true"], "{mode:?}");
        db.destroy().unwrap();
    }
}

/// langfuse's `add_paused_monitor_severity`: the forward swaps an enum for one with a new
/// value, writes it into some rows, and adds a column. The undo drops the column and converts
/// the rows back to the old enum, which those rows fail. The forward's `UPDATE` is undone by
/// nothing, so no undo step changes the rows the check reads before it runs: it runs at the
/// top, and in split mode too the column is still there when it fails.
#[test]
fn a_value_the_forward_wrote_fails_the_guard_at_the_top_in_both_modes() {
    const INIT: &str = "20260101000000_monitors";
    const INIT_SQL: &str = r#"CREATE TYPE "Severity" AS ENUM ('UNKNOWN', 'OK', 'ALERT');
CREATE TABLE "monitors" ("id" INTEGER PRIMARY KEY, "status" TEXT NOT NULL,
  "severity" "Severity" NOT NULL DEFAULT 'UNKNOWN');
"#;
    const FORWARD: &str = "20260102000000_paused";
    const FORWARD_SQL: &str = r#"ALTER TYPE "Severity" RENAME TO "Severity_old";
CREATE TYPE "Severity" AS ENUM ('PAUSED', 'UNKNOWN', 'OK', 'ALERT');
ALTER TABLE monitors
  ALTER COLUMN severity DROP DEFAULT,
  ALTER COLUMN severity TYPE "Severity" USING severity::text::"Severity",
  ALTER COLUMN severity SET DEFAULT 'UNKNOWN'::"Severity";
DROP TYPE "Severity_old";
UPDATE monitors SET severity = 'PAUSED' WHERE status <> 'ACTIVE';
ALTER TABLE "monitors" ADD COLUMN "trigger_ids" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
"#;
    let dir = tempfile::tempdir().unwrap();
    let files = common::undo::undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = files.join("\n");
    assert!(text.contains("-- verdict: lossy"), "{text}");
    let columns = |client: &mut postgres::Client| {
        query_strings(
            client,
            "SELECT column_name || ' ' || udt_name FROM information_schema.columns
             WHERE table_name = 'monitors' ORDER BY 1",
        )
    };
    let server = embedded_server();
    for mode in [ApplyMode::Batch, ApplyMode::Split] {
        let (db, mut client) = berlin_session(&server);
        client.batch_execute(INIT_SQL).unwrap();
        client
            .batch_execute(
                "INSERT INTO monitors (id, status)
                 SELECT i, CASE WHEN i % 3 = 0 THEN 'ERROR' ELSE 'ACTIVE' END
                 FROM generate_series(1, 1000) AS i",
            )
            .unwrap();
        client.batch_execute(FORWARD_SQL).unwrap();
        let before = columns(&mut client);
        assert!(
            before.contains(&"trigger_ids _text".to_string()),
            "{before:?}"
        );

        let error = apply(&mut client, &files, mode).unwrap_err();
        assert!(
            error.starts_with("unmigrate preflight check failed: table monitors has rows where severity holds 'PAUSED'"),
            "{mode:?}: {error}"
        );
        assert!(
            error.contains("nothing has been changed"),
            "{mode:?}: {error}"
        );
        assert_eq!(columns(&mut client), before, "{mode:?}: nothing changed");

        // Given a value the old type has, the rows convert back and the undo deploys.
        client
            .batch_execute("UPDATE monitors SET severity = 'UNKNOWN' WHERE severity = 'PAUSED'")
            .unwrap();
        apply(&mut client, &files, mode).unwrap_or_else(|e| panic!("{mode:?}: {e}\n{text}"));
        let after = columns(&mut client);
        assert!(
            !after.iter().any(|c| c.starts_with("trigger_ids")),
            "{after:?}"
        );
        db.destroy().unwrap();
    }
}
