//! A primary key swapped by the forward is swapped back on a table with rows (issue 13): the
//! undo `generate` writes builds the old key's index CONCURRENTLY in a migration of its own,
//! then drops the new key and adds the old one `USING INDEX` in one short transaction, and
//! rebuilds concurrently (before the drop) an index a key had taken over. On a real
//! PostgreSQL with 1,000 rows per table (and a session TimeZone other than UTC) every file
//! succeeds, the keys are back under their names and columns, valid, with no index left over.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::explain::{self, Target};
use unmigrate::generate::Selection;
use unmigrate::migrations::{read_history, ApplyMode};
use unmigrate::scratch::{ScratchOptions, ScratchServer};

mod common;
use common::{query_strings, write_history};

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
    let migrations = dir.path().join("migrations");
    write_history(&migrations, &[(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)]);
    let history = read_history(&migrations).unwrap();
    let plan = common::fixed_plan(&history, &Selection::Last(1));
    let undo: Vec<String> = plan.folders().map(|f| f.unwrap().sql).collect();
    let text = undo.join("\n");
    assert!(
        text.contains(r#"PRIMARY KEY USING INDEX "Session_pkey_undo""#),
        "{text}"
    );
    assert!(!text.contains(r#"PRIMARY KEY (id)"#), "{text}");

    let server = ScratchServer::start_embedded(ScratchOptions::default()).unwrap();
    let db = server.create_database().unwrap();
    let mut client = db.connect().unwrap();
    client
        .batch_execute("SET TimeZone = 'Europe/Berlin'")
        .unwrap();
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
    for file in &undo {
        client
            .batch_execute(file)
            .unwrap_or_else(|e| panic!("{e:?}\n{file}"));
    }
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
    let undo_dir = dir.path().join("undo");
    let names: Vec<String> = (0..undo.len())
        .map(|i| format!("209901010000{i:02}_undo"))
        .collect();
    let mut folders = vec![(INIT, INIT_SQL), (FORWARD, FORWARD_SQL)];
    folders.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(undo.iter().map(String::as_str)),
    );
    write_history(&undo_dir, &folders);
    let report = explain::explain(
        &Target::History(read_history(&undo_dir).unwrap()),
        ApplyMode::Batch,
    )
    .unwrap();
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
