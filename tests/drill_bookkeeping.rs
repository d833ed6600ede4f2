//! The bookkeeping table each drill writes is its tool's: the same table, columns (types,
//! nullability, defaults) and order as the tool creates, and the rows the tool leaves after
//! applying and reverting a migration, on a real embedded PostgreSQL. The expected columns
//! are written out here from each tool's own source, not taken from unmigrate's.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use sha2::{Digest, Sha384};
use unmigrate::drill::apply::{Runner, SqlFile, Timeouts, ToolSession};
use unmigrate::migrations::{ApplyMode, Layout, Transaction};
use unmigrate::scratch::{Scratch, ScratchOptions, ScratchSource};

/// `name type nullable default`, one per column in order, as information_schema shows them.
fn columns(client: &mut postgres::Client, table: &str) -> Vec<String> {
    common::query_strings(
        client,
        &format!(
            "SELECT column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') \
                    || CASE is_nullable WHEN 'NO' THEN ' not null' ELSE '' END \
                    || coalesce(' default ' || column_default, '') \
               FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
        ),
    )
}

fn constraints(client: &mut postgres::Client, table: &str) -> Vec<String> {
    common::query_strings(
        client,
        &format!(
            "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
              WHERE conrelid = '{table}'::regclass ORDER BY conname"
        ),
    )
}

/// Applies `up` as migration `name` in `layout`, then its down, returning the table's rows
/// (as text) after each.
fn apply_and_revert(
    layout: Layout,
    name: &str,
    sent: Transaction,
) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let scratch = Scratch::open(ScratchSource::Embedded(ScratchOptions::default())).unwrap();
    let mut client = scratch.connect().unwrap();
    let table = layout.bookkeeping_table();
    let rows_sql = format!("SELECT row(t.*)::text FROM {table} t ORDER BY 1");
    let mut session =
        ToolSession::start(&mut client, layout, ApplyMode::Batch, &Timeouts::default()).unwrap();
    let path = Path::new("up.sql");
    let file = |sql, runner| SqlFile {
        migration_name: name,
        path,
        sql,
        runner,
        sent,
    };
    let up = session
        .apply(file("CREATE TABLE t (id int);", Runner::Deploy))
        .unwrap();
    assert!(up.failure.is_none(), "{:?}", up.failure);
    let after_up = common::query_strings(session.client(), &rows_sql);
    let down = session
        .apply(file("DROP TABLE t;", Runner::Revert))
        .unwrap();
    assert!(down.failure.is_none(), "{:?}", down.failure);
    let after_down = common::query_strings(session.client(), &rows_sql);
    let client = session.client();
    (
        columns(client, table),
        constraints(client, table),
        after_up,
        after_down,
    )
}

#[test]
fn diesel_records_its_version_in_its_own_table() {
    let (columns, constraints, up, down) = apply_and_revert(
        Layout::Diesel,
        "2017-09-23-182408_add_t",
        Transaction::Wrapped,
    );
    // diesel_migrations' setup_migration_table.sql
    assert_eq!(
        columns,
        [
            "version character varying(50) not null",
            "run_on timestamp without time zone not null default CURRENT_TIMESTAMP",
        ]
    );
    assert_eq!(
        constraints,
        ["__diesel_schema_migrations_pkey PRIMARY KEY (version)"]
    );
    assert_eq!(up.len(), 1);
    assert!(up[0].starts_with("(20170923182408,"), "{up:?}");
    assert!(down.is_empty(), "{down:?}");
}

#[test]
fn golang_migrate_keeps_one_row_with_the_current_version() {
    let (columns, constraints, up, down) =
        apply_and_revert(Layout::GolangMigrate, "0007_add_t", Transaction::AsIs);
    // golang-migrate's postgres driver: ensureVersionTable
    assert_eq!(
        columns,
        ["version bigint not null", "dirty boolean not null"]
    );
    assert_eq!(
        constraints,
        ["schema_migrations_pkey PRIMARY KEY (version)"]
    );
    assert_eq!(up, ["(7,f)"]);
    // Reverting the only migration leaves golang-migrate's nil version: no row.
    assert!(down.is_empty(), "{down:?}");
}

#[test]
fn sqlx_records_version_description_and_a_sha384_checksum() {
    let (columns, constraints, up, down) = apply_and_revert(
        Layout::SqlxReversible,
        "20220101000000_add_owner_kind",
        Transaction::Wrapped,
    );
    // sqlx-postgres's ensure_migrations_table
    assert_eq!(
        columns,
        [
            "version bigint not null",
            "description text not null",
            "installed_on timestamp with time zone not null default now()",
            "success boolean not null",
            "checksum bytea not null",
            "execution_time bigint not null",
        ]
    );
    assert_eq!(constraints, ["_sqlx_migrations_pkey PRIMARY KEY (version)"]);
    assert_eq!(up.len(), 1);
    // SHA-384 of the file's text, as sqlx computes it.
    let sha384: String = Sha384::digest(b"CREATE TABLE t (id int);")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        up[0].starts_with("(20220101000000,\"add owner kind\",\""),
        "{up:?}"
    );
    assert!(
        up[0].contains(&format!(",t,\"\\\\x{sha384}\",")),
        "{up:?} should hold {sha384}"
    );
    assert!(down.is_empty(), "{down:?}");
}

#[test]
fn dbmate_records_its_version() {
    let (columns, constraints, up, down) = apply_and_revert(
        Layout::Dbmate,
        "20240101120000_create_t",
        Transaction::Wrapped,
    );
    // dbmate's postgres driver: CreateMigrationsTable
    assert_eq!(columns, ["version character varying(128) not null"]);
    assert_eq!(
        constraints,
        ["schema_migrations_pkey PRIMARY KEY (version)"]
    );
    assert_eq!(up, ["(20240101120000)"]);
    assert!(down.is_empty(), "{down:?}");
}

#[test]
fn flyway_records_a_ranked_row_and_an_undo_row() {
    let (columns, constraints, up, down) =
        apply_and_revert(Layout::Flyway, "V2_1__add_t", Transaction::Wrapped);
    // Flyway's createMetaDataTable.sql for PostgreSQL
    assert_eq!(
        columns,
        [
            "installed_rank integer not null",
            "version character varying(50)",
            "description character varying(200) not null",
            "type character varying(20) not null",
            "script character varying(1000) not null",
            "checksum integer",
            "installed_by character varying(100) not null",
            "installed_on timestamp without time zone not null default now()",
            "execution_time integer not null",
            "success boolean not null",
        ]
    );
    assert_eq!(
        constraints,
        ["flyway_schema_history_pk PRIMARY KEY (installed_rank)"]
    );
    assert_eq!(up.len(), 1);
    assert!(up[0].starts_with("(1,2.1,\"add t\",SQL,up.sql,"), "{up:?}");
    // `flyway undo` adds a row; the applied one stays.
    assert_eq!(down.len(), 2, "{down:?}");
    assert!(
        down[1].starts_with("(2,2.1,\"add t\",UNDO_SQL,U2_1__add_t.sql,"),
        "{down:?}"
    );
}

#[test]
fn prisma_marks_a_reverted_migration_rolled_back() {
    let (columns, _, up, down) = apply_and_revert(
        Layout::Prisma,
        "20240101000000_add_t",
        Transaction::ApplyMode,
    );
    assert_eq!(columns.len(), 8, "{columns:?}");
    assert_eq!(up.len(), 1);
    assert_eq!(down.len(), 1);
    assert_ne!(up, down, "rolled_back_at is set");
}
