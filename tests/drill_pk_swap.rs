//! A primary key swapped by the forward is swapped back on a table with rows (issue 13): the
//! undo `generate` writes builds the old key's index CONCURRENTLY in a migration of its own,
//! then drops the new key and adds the old one `USING INDEX` in one short transaction, and
//! rebuilds concurrently (before the drop) an index a key had taken over. On a real
//! PostgreSQL with 1,000 rows per table (and a session TimeZone other than UTC) every file
//! succeeds, the keys are back under their names and columns, valid, with no index left over.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::query_strings;
use common::undo::{berlin_session, deploy, embedded_server, explain_with_undo, undo_files};

const INIT: &str = "20260101000000_init";
const FORWARD: &str = "20260102000000_swap_keys";

const INIT_SQL: &str = r#"CREATE TABLE "Session" ("id" TEXT NOT NULL, "projectId" TEXT NOT NULL, CONSTRAINT "Session_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Trace" ("id" TEXT NOT NULL PRIMARY KEY, "sessionId" TEXT, "projectId" TEXT NOT NULL);
ALTER TABLE "Trace" ADD CONSTRAINT "Trace_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id");
CREATE TABLE "Item" ("id" TEXT NOT NULL, "projectId" TEXT NOT NULL, "validFrom" TIMESTAMPTZ(3) NOT NULL, CONSTRAINT "Item_pkey" PRIMARY KEY ("id", "projectId"));
CREATE UNIQUE INDEX "Item_id_projectId_validFrom_key" ON "Item"("id", "projectId", "validFrom");
"#;

const FORWARD_SQL: &str = r#"ALTER TABLE "Trace" DROP CONSTRAINT "Trace_sessionId_fkey";
ALTER TABLE "Session" DROP CONSTRAINT "Session_pkey",
ADD CONSTRAINT "Session_pkey" PRIMARY KEY ("id", "projectId");
ALTER TABLE "Trace" ADD CONSTRAINT "Trace_sessionId_projectId_fkey" FOREIGN KEY ("sessionId", "projectId") REFERENCES "Session"("id", "projectId");
ALTER TABLE "Item" DROP CONSTRAINT "Item_pkey",
ADD CONSTRAINT "Item_pkey" PRIMARY KEY USING INDEX "Item_id_projectId_validFrom_key";
"#;

const SEED_SQL: &str = r#"INSERT INTO "Session" SELECT 's' || i, 'p' || (i % 7) FROM generate_series(1, 1000) AS i;
INSERT INTO "Trace" SELECT 't' || i, 's' || i, 'p' || (i % 7) FROM generate_series(1, 1000) AS i;
INSERT INTO "Item" SELECT 'i' || i, 'p' || (i % 7), now() FROM generate_series(1, 1000) AS i;
"#;

/// Each constraint of a table as `name type (columns) valid`, from pg_constraint and pg_index.
fn keys(client: &mut postgres::Client, table: &str) -> Vec<String> {
    query_strings(
        client,
        &format!(
            r#"SELECT c.conname::text || ' ' || c.contype::text || ' (' ||
                      (SELECT string_agg(a.attname::text, ', ' ORDER BY k.n)
                       FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)
                      || ') ' || c.convalidated::text ||
                      coalesce(' index ' || i.indisvalid::text || ' ' || i.indisready::text, '')
               FROM pg_constraint c LEFT JOIN pg_index i ON i.indexrelid = c.conindid AND c.contype IN ('p', 'u')
               WHERE c.conrelid = '"{table}"'::regclass ORDER BY c.conname"#
        ),
    )
}

/// Every index of a table as `name valid: definition`.
fn indexes(client: &mut postgres::Client, table: &str) -> Vec<String> {
    query_strings(
        client,
        &format!(
            r#"SELECT c.relname::text || ' ' || i.indisvalid::text || ': ' || pg_get_indexdef(i.indexrelid)
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = '"{table}"'::regclass ORDER BY c.relname"#
        ),
    )
}

#[test]
fn swapped_primary_keys_come_back_on_1000_rows_without_building_under_access_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let undo = undo_files(
        &dir.path().join("migrations"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
    );
    let text = undo.join("\n");
    assert!(
        text.contains(r#"PRIMARY KEY USING INDEX "Session_pkey_undo""#),
        "{text}"
    );
    assert!(!text.contains(r#"PRIMARY KEY (id)"#), "{text}");

    let server = embedded_server();
    let (db, mut client) = berlin_session(&server);
    client.batch_execute(INIT_SQL).unwrap();
    client.batch_execute(SEED_SQL).unwrap();
    let before = [
        keys(&mut client, "Session"),
        keys(&mut client, "Trace"),
        keys(&mut client, "Item"),
        indexes(&mut client, "Session"),
        indexes(&mut client, "Item"),
    ];
    assert!(
        before[0].contains(&"Session_pkey p (id) true index true true".to_string()),
        "{before:?}"
    );
    client.batch_execute(FORWARD_SQL).unwrap();
    deploy(&mut client, &undo);
    let after = [
        keys(&mut client, "Session"),
        keys(&mut client, "Trace"),
        keys(&mut client, "Item"),
        indexes(&mut client, "Session"),
        indexes(&mut client, "Item"),
    ];
    assert_eq!(after, before);
    let rows = query_strings(
        &mut client,
        r#"SELECT (SELECT count(*) FROM "Session")::text || ' ' || (SELECT count(*) FROM "Trace")::text || ' ' || (SELECT count(*) FROM "Item")::text"#,
    );
    assert_eq!(rows, ["1000 1000 1000"]);
    db.destroy().unwrap();

    // Explain finds no key built under ACCESS EXCLUSIVE and no index built without
    // CONCURRENTLY in the undo.
    let report = explain_with_undo(
        &dir.path().join("undo"),
        &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)],
        &undo,
    );
    let found: Vec<_> = report
        .migrations
        .iter()
        .filter(|m| m.name.ends_with("_undo"))
        .flat_map(|m| &m.statements)
        .flat_map(|s| &s.hazards)
        .filter(|h| {
            matches!(
                h.rule.id(),
                "add-unique-constraint-builds-index" | "create-index-without-concurrently"
            )
        })
        .map(|h| h.rule.id())
        .collect();
    assert!(found.is_empty(), "{found:?}");
    // The forward itself builds the new key under ACCESS EXCLUSIVE: the check sees it.
    let forward = report
        .hazards()
        .filter(|h| h.rule.id() == "add-unique-constraint-builds-index");
    assert_eq!(forward.count(), 1);
}
