//! The drill's timeouts limit the migrations' own statements, not the drill's queries between
//! files (snapshots, seeding, bookkeeping), on a real embedded PostgreSQL. A `SET` in one file
//! still leaks into the next, as under Prisma.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use unmigrate::drill::apply::{SqlFile, Timeouts, ToolSession};
use unmigrate::migrations::{ApplyMode, Layout, Transaction};
use unmigrate::scratch::{Scratch, ScratchOptions, ScratchSource};

/// Longer than the limit below, so a limited statement must be cancelled.
const SLEEP: &str = "SELECT pg_sleep(0.3)";

fn file<'a>(name: &'a str, sql: &'a str) -> SqlFile<'a> {
    SqlFile {
        migration_name: name,
        path: Path::new("migration.sql"),
        sql,
        runner: Default::default(),
        sent: Transaction::ApplyMode,
    }
}

#[test]
fn the_statement_timeout_limits_migrations_and_not_the_drills_own_queries() {
    let scratch = Scratch::open(ScratchSource::Embedded(ScratchOptions::default())).unwrap();
    let mut client = scratch.connect().unwrap();
    let timeouts = Timeouts {
        statement: Some("100ms".into()),
        lock: None,
    };
    for mode in [ApplyMode::Batch, ApplyMode::Split] {
        let mut session = ToolSession::start(&mut client, Layout::Prisma, mode, &timeouts).unwrap();
        // Between files the session is the drill's: no limit.
        session.client().batch_execute(SLEEP).unwrap();

        let limited = session
            .apply(file("1_sleep", &format!("{SLEEP};")))
            .unwrap();
        let failure = limited.failure.expect("the migration's sleep is cancelled");
        assert_eq!(
            failure.code.as_deref(),
            Some("57014"),
            "{mode}: {failure:?}"
        );
        assert_eq!(session.limits(), ["100ms", "0"], "{mode}");

        // A file's own SET leaks into the next file, as under Prisma, and still not into the
        // drill's queries.
        let set = session
            .apply(file("2_set", "SET statement_timeout = '5s';"))
            .unwrap();
        assert!(set.failure.is_none(), "{mode}: {:?}", set.failure);
        assert_eq!(session.limits(), ["5s", "0"], "{mode}");
        session.client().batch_execute(SLEEP).unwrap();
        let slept = session
            .apply(file("3_sleep", &format!("{SLEEP};")))
            .unwrap();
        assert!(slept.failure.is_none(), "{mode}: {:?}", slept.failure);
        let show = session
            .client()
            .query_one("SHOW statement_timeout", &[])
            .unwrap();
        assert_eq!(
            show.get::<_, String>(0),
            "0",
            "{mode}: lifted after the file"
        );
        drop(session);
        client.batch_execute("RESET statement_timeout").unwrap();
    }
}
