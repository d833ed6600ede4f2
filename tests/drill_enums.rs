//! Enum undos on a real PostgreSQL with 1,000 rows per table and a session TimeZone other
//! than UTC (issue 13): the forward is applied, then the undo `generate` writes, and each test
//! asserts the undo succeeded and the data is what its note says.
//!
//! - A `CASE` remap in Prisma's enum swap is mapped back value by value.
//! - Several `ADD VALUE`s of one type are undone by one recreation, the rows kept.
//! - An enum swap that removed values is undone by `ADD VALUE … BEFORE/AFTER` in place.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::scratch::ScratchServer;

mod common;
use common::query_strings;
use common::undo::{berlin_session, deploy, embedded_server, undo_files};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_forward";

/// The undo files of `forward` after `init`, and a database holding `init` and `seed`, under
/// TimeZone Europe/Berlin; then the forward and every undo file are applied. Returns the
/// undo text and the client.
fn forward_then_undo(
    init: &str,
    seed: &str,
    forward: &str,
    check_forward: impl FnOnce(&mut postgres::Client),
) -> (
    String,
    postgres::Client,
    unmigrate::scratch::ScratchDb,
    ScratchServer,
) {
    let dir = tempfile::tempdir().unwrap();
    let undo = undo_files(
        &dir.path().join("migrations"),
        &[(INIT, init), (FORWARD, forward)],
    );

    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(init).unwrap();
    client.batch_execute(seed).unwrap();
    client.batch_execute(forward).unwrap();
    check_forward(&mut client);
    deploy(&mut client, &undo);
    (undo.join("\n"), client, db, server)
}

fn one(client: &mut postgres::Client, sql: &str) -> String {
    let rows = query_strings(client, sql);
    assert_eq!(rows.len(), 1, "{sql}");
    rows.into_iter().next().unwrap()
}

#[test]
fn a_case_remap_is_mapped_back_row_by_row() {
    let init = r#"CREATE TYPE "State" AS ENUM ('draft', 'open', 'done');
CREATE TABLE "Ticket" ("id" INTEGER PRIMARY KEY, "state" "State" NOT NULL);
CREATE TABLE "Before" ("id" INTEGER PRIMARY KEY, "state" TEXT NOT NULL);
"#;
    let seed = r#"INSERT INTO "Ticket" SELECT i, (ARRAY['draft', 'open', 'done'])[1 + i % 3]::"State" FROM generate_series(1, 1000) AS i;
INSERT INTO "Before" SELECT "id", "state"::text FROM "Ticket";
"#;
    let forward = r#"CREATE TYPE "State_new" AS ENUM ('pending', 'open', 'closed');
ALTER TABLE "Ticket" ALTER COLUMN "state" TYPE "State_new" USING (CASE "state"::text WHEN 'draft' THEN 'pending' WHEN 'done' THEN 'closed' ELSE "state"::text END)::"State_new";
DROP TYPE "State";
ALTER TYPE "State_new" RENAME TO "State";
"#;
    let (text, mut client, db, _server) = forward_then_undo(init, seed, forward, |client| {
        let pending = one(
            client,
            r#"SELECT count(*)::text FROM "Ticket" WHERE "state" = 'pending'"#,
        );
        assert_eq!(pending, "333");
    });
    assert!(
        text.contains("maps the forward's CASE back ('pending' → 'draft', 'closed' → 'done')"),
        "{text}"
    );
    assert!(text.contains("-- verdict: exact"), "{text}");
    assert_eq!(text.matches("CREATE TYPE \"State\"").count(), 1, "{text}");
    // Every row holds the value it had before the forward.
    let same = one(
        &mut client,
        r#"SELECT count(*)::text FROM "Ticket" t JOIN "Before" b USING ("id") WHERE t."state"::text = b."state""#,
    );
    assert_eq!(same, "1000");
    let range = one(&mut client, r#"SELECT enum_range(NULL::"State")::text"#);
    assert_eq!(range, "{draft,open,done}");
    db.destroy().unwrap();
}

#[test]
fn a_case_remap_that_merges_values_brings_them_back_as_its_note_says() {
    let init = r#"CREATE TYPE "State" AS ENUM ('draft', 'pending', 'done');
CREATE TABLE "Ticket" ("id" INTEGER PRIMARY KEY, "state" "State" NOT NULL);
"#;
    let seed = r#"INSERT INTO "Ticket" SELECT i, (ARRAY['draft', 'pending', 'done'])[1 + i % 3]::"State" FROM generate_series(1, 1000) AS i;"#;
    let forward = r#"CREATE TYPE "State_new" AS ENUM ('pending', 'done');
ALTER TABLE "Ticket" ALTER COLUMN "state" TYPE "State_new" USING (CASE "state"::text WHEN 'draft' THEN 'pending' ELSE "state"::text END)::"State_new";
DROP TYPE "State";
ALTER TYPE "State_new" RENAME TO "State";
"#;
    let (text, mut client, db, _server) = forward_then_undo(init, seed, forward, |_| {});
    assert!(
        text.contains("'draft', 'pending' all became 'pending' and cannot be told apart: every such row comes back as 'pending'"),
        "{text}"
    );
    assert!(text.contains("-- verdict: lossy"), "{text}");
    let counts = query_strings(
        &mut client,
        r#"SELECT s || ' ' || n FROM (SELECT "state"::text AS s, count(*) AS n FROM "Ticket" GROUP BY 1) c ORDER BY 1"#,
    );
    assert_eq!(counts, ["done 333", "pending 667"]);
    db.destroy().unwrap();
}

#[test]
fn several_added_values_are_removed_by_one_recreation() {
    let init = r#"CREATE TYPE "Kind" AS ENUM ('SPAN', 'EVENT');
CREATE TYPE "Level" AS ENUM ('DEBUG', 'ERROR');
CREATE TABLE "observations" ("id" INTEGER PRIMARY KEY, "type" "Kind" NOT NULL DEFAULT 'SPAN', "level" "Level" NOT NULL DEFAULT 'DEBUG', "at" TIMESTAMP(3) NOT NULL);
"#;
    let seed = r#"INSERT INTO "observations" SELECT i, (ARRAY['SPAN', 'EVENT'])[1 + i % 2]::"Kind", 'ERROR', TIMESTAMP '2026-03-29 01:30:00' + i * INTERVAL '1 minute' FROM generate_series(1, 1000) AS i;"#;
    let forward = r#"ALTER TYPE "Kind" ADD VALUE 'AGENT';
ALTER TYPE "Kind" ADD VALUE 'TOOL';
ALTER TYPE "Kind" ADD VALUE 'CHAIN' BEFORE 'SPAN';
ALTER TYPE "Level" ADD VALUE 'WARNING' AFTER 'DEBUG';
"#;
    let checksum = r#"SELECT md5(string_agg("id" || "type"::text || "level"::text || "at"::text, ',' ORDER BY "id")) FROM "observations""#;
    let mut before = String::new();
    let (text, mut client, db, _server) = forward_then_undo(init, seed, forward, |client| {
        before = one(client, checksum);
    });
    // One recreation of each type, one rewrite of the table.
    assert_eq!(text.matches("CREATE TYPE \"Kind\"").count(), 1, "{text}");
    assert_eq!(text.matches("CREATE TYPE \"Level\"").count(), 1, "{text}");
    assert_eq!(
        text.matches("ALTER TABLE observations").count(),
        1,
        "{text}"
    );
    assert_eq!(one(&mut client, checksum), before);
    assert_eq!(
        one(&mut client, r#"SELECT enum_range(NULL::"Kind")::text"#),
        "{SPAN,EVENT}"
    );
    assert_eq!(
        one(&mut client, r#"SELECT enum_range(NULL::"Level")::text"#),
        "{DEBUG,ERROR}"
    );
    let default = one(
        &mut client,
        "SELECT column_default FROM information_schema.columns WHERE table_name = 'observations' AND column_name = 'type'",
    );
    assert_eq!(default, r#"'SPAN'::"Kind""#);
    db.destroy().unwrap();
}

#[test]
fn values_an_enum_swap_removed_come_back_in_place_without_a_rewrite() {
    let init = r#"CREATE TYPE "Plan" AS ENUM ('FREE', 'HOBBY', 'PRO', 'TEAM', 'LEGACY');
CREATE TABLE "Org" ("id" INTEGER PRIMARY KEY, "plan" "Plan" NOT NULL DEFAULT 'PRO');
"#;
    let seed = r#"INSERT INTO "Org" SELECT i, (ARRAY['PRO', 'TEAM'])[1 + i % 2]::"Plan" FROM generate_series(1, 1000) AS i;"#;
    let forward = r#"BEGIN;
CREATE TYPE "Plan_new" AS ENUM ('PRO', 'TEAM');
ALTER TABLE "Org" ALTER COLUMN "plan" DROP DEFAULT;
ALTER TABLE "Org" ALTER COLUMN "plan" TYPE "Plan_new" USING ("plan"::text::"Plan_new");
ALTER TYPE "Plan" RENAME TO "Plan_old";
ALTER TYPE "Plan_new" RENAME TO "Plan";
DROP TYPE "Plan_old";
ALTER TABLE "Org" ALTER COLUMN "plan" SET DEFAULT 'PRO';
COMMIT;
"#;
    let filenode = r#"SELECT pg_relation_filenode('"Org"')::text"#;
    let mut rewritten_by_forward = String::new();
    let (text, mut client, db, _server) = forward_then_undo(init, seed, forward, |client| {
        rewritten_by_forward = one(client, filenode);
    });
    assert!(text.contains("ADD VALUE 'FREE' BEFORE 'PRO'"), "{text}");
    let statements: String = text.lines().filter(|l| !l.starts_with("--")).collect();
    assert!(!statements.contains("CREATE TYPE"), "{text}");
    assert!(!statements.contains("USING"), "{text}");
    // No rewrite: the table keeps the storage the forward gave it.
    assert_eq!(one(&mut client, filenode), rewritten_by_forward);
    assert_eq!(
        one(&mut client, r#"SELECT enum_range(NULL::"Plan")::text"#),
        "{FREE,HOBBY,PRO,TEAM,LEGACY}"
    );
    let counts = query_strings(
        &mut client,
        r#"SELECT s || ' ' || n FROM (SELECT "plan"::text AS s, count(*) AS n FROM "Org" GROUP BY 1) c ORDER BY 1"#,
    );
    assert_eq!(counts, ["PRO 500", "TEAM 500"]);
    // The restored values are usable once the undo has committed.
    client
        .batch_execute(r#"UPDATE "Org" SET "plan" = 'LEGACY' WHERE "id" = 1"#)
        .unwrap();
    db.destroy().unwrap();
}
