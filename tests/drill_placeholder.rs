//! A dropped NOT NULL column is re-added on a table with rows (issue 13): the undo `generate`
//! writes adds it with a placeholder its type accepts as its default and drops that default
//! in the same statement, so on a real PostgreSQL with 1,000 rows (and a session TimeZone
//! other than UTC) it succeeds, the column is NOT NULL without a default again, and every
//! existing row holds the placeholder its note names.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::query_strings;
use common::undo::{berlin_session, deploy, embedded_server, explain_with_undo, undo_files};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_drop_columns";

const INIT_SQL: &str = r#"CREATE TYPE "Plan" AS ENUM ('it''s free', 'PRO');
CREATE TABLE "Account" (
    "id" INTEGER NOT NULL,
    "externalId" TEXT NOT NULL,
    "credits" INTEGER NOT NULL,
    "syncedAt" TIMESTAMP(3) NOT NULL,
    "active" BOOLEAN NOT NULL,
    "plan" "Plan" NOT NULL,
    "tags" TEXT[] NOT NULL,
    "token" UUID NOT NULL,
    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);
"#;

const FORWARD_SQL: &str = r#"ALTER TABLE "Account" DROP COLUMN "externalId",
DROP COLUMN "credits",
DROP COLUMN "syncedAt",
DROP COLUMN "active",
DROP COLUMN "plan",
DROP COLUMN "tags",
DROP COLUMN "token";
"#;

/// Each dropped column, and a condition every re-added row must meet.
const EXPECTED: &[(&str, &str)] = &[
    ("externalId", r#""externalId" = ''"#),
    ("credits", r#""credits" = 0"#),
    ("syncedAt", r#""syncedAt" = '1970-01-01 00:00:00'"#),
    ("active", r#""active" = false"#),
    ("plan", r#""plan" = 'it''s free'"#),
    ("tags", r#""tags" = '{}'"#),
    (
        "token",
        r#""token" = '00000000-0000-0000-0000-000000000000'"#,
    ),
];

#[test]
fn dropped_not_null_columns_come_back_with_their_placeholder_on_1000_rows() {
    let dir = tempfile::tempdir().unwrap();
    let undo = undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = undo.join("\n");
    assert!(text.contains("placeholder '' for existing rows"), "{text}");
    assert!(text.contains("placeholder 'it''s free'"), "{text}");
    assert!(
        !text.contains("the undo fails while the table has rows"),
        "{text}"
    );

    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client
        .batch_execute(
            r#"INSERT INTO "Account"
               SELECT i, 'ext-' || i, i, now(), true, 'PRO', ARRAY['a'], gen_random_uuid()
               FROM generate_series(1, 1000) AS i"#,
        )
        .unwrap();
    client.batch_execute(FORWARD_SQL).unwrap();
    deploy(&mut client, &undo);

    for (column, holds) in EXPECTED {
        let shape = query_strings(
            &mut client,
            &format!(
                "SELECT is_nullable || ' ' || coalesce(column_default, 'no default') \
                 FROM information_schema.columns \
                 WHERE table_name = 'Account' AND column_name = '{column}'"
            ),
        );
        assert_eq!(shape, ["NO no default"], "{column}");
        let filled = query_strings(
            &mut client,
            &format!(r#"SELECT count(*)::text FROM "Account" WHERE {holds}"#),
        );
        assert_eq!(filled, ["1000"], "{column}: {holds}");
    }
    db.destroy().unwrap();

    // Explain finds no NOT NULL column added without a default in the undo.
    let report = explain_with_undo(
        &dir.path().join("undo"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
        &undo,
    );
    let found: Vec<_> = report
        .hazards()
        .filter(|h| h.rule.id() == "add-column-not-null-without-default")
        .collect();
    assert!(found.is_empty(), "{}", found.len());
}
