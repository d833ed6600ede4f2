//! Incremental schema snapshots against a real PostgreSQL: after each kind of change, the
//! snapshot kept up to date from the event triggers must show the change and equal a full
//! render of the schema. Every part a table's definition holds is covered, including the ones
//! the renderer skips for tables that never had them (indexes, triggers, rules) and the cached
//! index definitions that a column rename must invalidate.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::scratch::{Scratch, ScratchOptions, ScratchSource};
use unmigrate::snapshot::{SchemaWatcher, Tracking};

/// Starting schema: a table with no index, trigger or rule yet, an enum, a view.
const SCHEMA: &str = r#"
    CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
    CREATE TABLE "Plain" (a int, b text, r "Role" DEFAULT 'USER');
    CREATE TABLE "Other" (id int PRIMARY KEY, name text);
    CREATE VIEW "OtherNames" AS SELECT name FROM "Other";
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TABLE "Parent" (id int PRIMARY KEY);
    CREATE TABLE "Child" (id int PRIMARY KEY, parent int CONSTRAINT child_parent REFERENCES "Parent");
    CREATE TABLE "Parted" (id int, at date) PARTITION BY RANGE (at);
    CREATE TABLE "Parted2024" PARTITION OF "Parted" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
"#;

/// Each change, and a word on what it must show up as.
const CHANGES: &[(&str, &str)] = &[
    (
        "first index on a table without one",
        r#"CREATE INDEX plain_a ON "Plain" (a)"#,
    ),
    (
        "second index",
        r#"CREATE UNIQUE INDEX plain_b ON "Plain" (b) WHERE a > 0"#,
    ),
    (
        "rename of a column an index names",
        r#"ALTER TABLE "Plain" RENAME COLUMN a TO a2"#,
    ),
    ("index renamed", r#"ALTER INDEX plain_b RENAME TO plain_b2"#),
    ("index dropped", "DROP INDEX plain_a"),
    (
        "first trigger",
        r#"CREATE TRIGGER t BEFORE INSERT ON "Plain" FOR EACH ROW EXECUTE FUNCTION touch()"#,
    ),
    (
        "trigger disabled",
        r#"ALTER TABLE "Plain" DISABLE TRIGGER t"#,
    ),
    ("trigger dropped", r#"DROP TRIGGER t ON "Plain""#),
    (
        "first rule",
        r#"CREATE RULE r AS ON DELETE TO "Plain" DO INSTEAD NOTHING"#,
    ),
    ("rule dropped", r#"DROP RULE r ON "Plain""#),
    ("policy", r#"CREATE POLICY p ON "Plain" USING (a2 > 0)"#),
    (
        "row level security",
        r#"ALTER TABLE "Plain" ENABLE ROW LEVEL SECURITY"#,
    ),
    (
        "statistics object",
        r#"CREATE STATISTICS s ON a2, b FROM "Plain""#,
    ),
    ("statistics dropped", "DROP STATISTICS s"),
    (
        "column comment",
        r#"COMMENT ON COLUMN "Plain".b IS 'the b'"#,
    ),
    (
        "default changed",
        r#"ALTER TABLE "Plain" ALTER COLUMN r SET DEFAULT 'ADMIN'"#,
    ),
    (
        "check constraint",
        r#"ALTER TABLE "Plain" ADD CONSTRAINT b_len CHECK (length(b) < 9)"#,
    ),
    (
        "column retyped",
        r#"ALTER TABLE "Plain" ALTER COLUMN b TYPE varchar(20)"#,
    ),
    (
        "enum value renamed",
        r#"ALTER TYPE "Role" RENAME VALUE 'ADMIN' TO 'OWNER'"#,
    ),
    (
        "table under a view renamed",
        r#"ALTER TABLE "Other" RENAME TO "Other2""#,
    ),
    (
        "column under a view renamed",
        r#"ALTER TABLE "Other2" RENAME COLUMN name TO full_name"#,
    ),
    ("table with parts dropped", r#"DROP TABLE "Plain""#),
    // Dropping a foreign key drops the internal triggers it put on the referenced table, which
    // the snapshot skips; the referencing table must still show the change.
    (
        "foreign key dropped",
        r#"ALTER TABLE "Child" DROP CONSTRAINT child_parent"#,
    ),
    // Reported for the parent only: the partition is rendered again because it is one.
    (
        "trigger on a partitioned table, cloned to its partition",
        r#"CREATE TRIGGER pt AFTER INSERT ON "Parted" FOR EACH ROW EXECUTE FUNCTION touch()"#,
    ),
    // The partition's clone goes with the parent's trigger (not an original, not a normal
    // dependency, like a foreign key's triggers), and the partition must be rendered again.
    (
        "trigger on a partitioned table dropped with its clone",
        r#"DROP TRIGGER pt ON "Parted""#,
    ),
];

/// A scratch database holding [`SCHEMA`], a client of it, and an incremental watcher of its
/// schema; the database is removed when the first is dropped.
fn watched_schema() -> (Scratch, postgres::Client, SchemaWatcher) {
    let scratch = Scratch::open(ScratchSource::Embedded(ScratchOptions::default()))
        .expect("an embedded PostgreSQL server (install PostgreSQL: see the README)");
    let mut client = scratch.connect().expect("connect to the scratch database");
    client.batch_execute(SCHEMA).expect("starting schema");
    let watcher =
        SchemaWatcher::install(&mut client, Tracking::Incremental).expect("install the watcher");
    (scratch, client, watcher)
}

#[test]
fn every_kind_of_change_shows_in_the_incremental_snapshot_as_in_a_full_render() {
    let (_scratch, mut client, mut watcher) = watched_schema();
    assert_eq!(watcher.tracking(), Tracking::Incremental);

    for (what, sql) in CHANGES {
        let before = watcher.refresh(&mut client).expect("refresh").clone();
        client
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{what}: {sql}: {e}"));
        let after = watcher.refresh(&mut client).expect("refresh").clone();
        assert_ne!(
            before.to_text(),
            after.to_text(),
            "{what}: the incremental snapshot did not change after {sql}"
        );
        if let Some(diff) = watcher.verify(&mut client).expect("full render") {
            panic!("{what}: the incremental snapshot differs from a full render after {sql}: {diff:#?}");
        }
    }
}

/// `REINDEX` and `CLUSTER` fire no event trigger in PostgreSQL 15, yet change what a snapshot
/// shows: without being told, the incremental snapshot goes stale (first half); told what ran
/// (`note_applied`, as the drill does for every file), it matches a full render (second half).
#[test]
fn statements_event_triggers_miss_are_caught_once_the_watcher_is_told() {
    let (_scratch, mut client, mut watcher) = watched_schema();
    client
        .batch_execute(r#"CREATE INDEX other_name ON "Other" (name)"#)
        .expect("index");
    watcher.refresh(&mut client).expect("refresh");
    let steps = [
        r#"REINDEX INDEX CONCURRENTLY other_name"#,
        r#"DROP INDEX other_name"#,
        r#"CLUSTER "Other" USING "Other_pkey""#,
    ];

    for sql in steps {
        client.batch_execute(sql).expect(sql);
        watcher.refresh(&mut client).expect("refresh");
    }
    assert!(
        watcher.verify(&mut client).expect("full render").is_some(),
        "event triggers now report REINDEX or CLUSTER: note_applied may be obsolete"
    );

    client
        .batch_execute(
            r#"CREATE INDEX other_name ON "Other" (name); ALTER TABLE "Other" SET WITHOUT CLUSTER"#,
        )
        .expect("reset");
    watcher.refresh(&mut client).expect("refresh");
    // Checked after every step: the DROP after the REINDEX is followed incrementally again.
    for sql in steps {
        client.batch_execute(sql).expect(sql);
        watcher.note_applied(sql);
        if let Some(diff) = watcher.verify(&mut client).expect("full render") {
            panic!("told what ran, the snapshot differs from a full render after {sql}: {diff:#?}");
        }
    }
}
