//! One case per kind of dependency (refused, the message naming the later migration, its
//! line and the object) and per kind of later change that does not depend (not refused).

use std::fs;

use super::super::{plan, GenerateError, Selection};
use crate::migrations::{self, Timestamp};

const INIT: &str = "20230101000000_init";
const LATER: &str = "20230102000000_later";

/// `generate --migration` of `selected` on a history of `migrations` (the first one creates
/// `users(id, name)`): the refusal's message, or `None` when the undo is planned.
fn refusal(migrations: &[(&str, &str)], selected: &[&str]) -> Option<String> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    let base = (
        "20220101000000_base",
        "CREATE TABLE \"users\" (\"id\" INTEGER PRIMARY KEY, \"name\" TEXT);\n",
    );
    for (name, sql) in std::iter::once(&base).chain(migrations) {
        fs::create_dir_all(dir.join(name)).unwrap();
        fs::write(dir.join(name).join("migration.sql"), sql).unwrap();
    }
    let history = migrations::read_history(&dir).unwrap();
    let ts = Timestamp::parse("20990101000000").unwrap();
    let selection = Selection::Named(selected.iter().map(|s| s.to_string()).collect());
    match plan(&history, &selection, Some(ts), ts, false, None) {
        Ok(_) => None,
        Err(e @ GenerateError::LaterDepends { .. }) => {
            Some(e.to_string().replace(&dir.display().to_string(), "[dir]"))
        }
        Err(other) => panic!("{other}"),
    }
}

/// The refusal of undoing [`INIT`] alone, where [`LATER`] follows it.
#[track_caller]
fn refused(init: &str, later: &str) -> String {
    refusal(&[(INIT, init), (LATER, later)], &[INIT])
        .unwrap_or_else(|| panic!("not refused:\n{init}\n--\n{later}"))
}

#[track_caller]
fn not_refused(init: &str, later: &str) {
    if let Some(message) = refusal(&[(INIT, init), (LATER, later)], &[INIT]) {
        panic!("refused:\n{message}");
    }
}

#[track_caller]
fn says(message: &str, line: usize, why: &str) {
    let expected = format!("{LATER} (line {line}): {why}");
    assert!(message.contains(&expected), "{expected}\nnot in\n{message}");
    assert!(
        message.ends_with("unmigrate generate [dir] --last 2"),
        "{message}"
    );
}

#[test]
fn a_foreign_key_into_a_table_the_undo_drops() {
    let message = refused(
        "CREATE TABLE \"orders\" (\"id\" INTEGER PRIMARY KEY);",
        "-- add a key\nALTER TABLE \"users\" ADD COLUMN \"order_id\" INTEGER;\n\
         ALTER TABLE \"users\" ADD CONSTRAINT \"users_order_id_fkey\" \
         FOREIGN KEY (\"order_id\") REFERENCES \"orders\"(\"id\");",
    );
    says(
        &message,
        3,
        &format!("foreign key users_order_id_fkey references table orders, which the undo of {INIT} drops"),
    );
    assert!(!message.contains("(line 2)"), "{message}");
}

#[test]
fn anything_done_to_a_table_the_undo_drops() {
    let init = "CREATE TABLE \"t\" (\"id\" INTEGER, \"v\" TEXT);";
    let cases = [
        (
            "ALTER TABLE \"t\" ADD COLUMN \"w\" TEXT;",
            "column t.w is added",
        ),
        (
            "CREATE INDEX \"t_v_idx\" ON \"t\"(\"v\");",
            "index t_v_idx is created on table t",
        ),
        (
            "CREATE VIEW \"tv\" AS SELECT * FROM \"t\";",
            "view tv reads table t",
        ),
        (
            "INSERT INTO \"t\" (\"id\") VALUES (1);",
            "the statement names table t",
        ),
        (
            "ALTER TABLE \"t\" RENAME TO \"u\";",
            "relation t is renamed to u",
        ),
        ("DROP TABLE \"t\";", "relation t is dropped"),
    ];
    for (later, what) in cases {
        let message = refused(init, later);
        says(&message, 1, what);
        assert!(
            message.contains(&format!("the undo of {INIT} drops")),
            "{message}"
        );
    }
}

#[test]
fn a_later_use_of_a_column_the_undo_drops() {
    let init = "ALTER TABLE \"users\" ADD COLUMN \"a\" INTEGER;";
    let cases = [
        ("CREATE INDEX \"users_a_idx\" ON \"users\"(\"a\");", "index users_a_idx covers column users.a"),
        (
            "ALTER TABLE \"users\" ADD CONSTRAINT \"users_a_key\" UNIQUE (\"a\");",
            "unique constraint users_a_key covers column users.a",
        ),
        (
            "CREATE TABLE \"p\" (\"id\" INTEGER, CONSTRAINT \"p_fkey\" FOREIGN KEY (\"id\") REFERENCES \"users\"(\"a\"));",
            "foreign key p_fkey references column users.a",
        ),
        ("ALTER TABLE \"users\" ALTER COLUMN \"a\" SET NOT NULL;", "column users.a is altered"),
        ("ALTER TABLE \"users\" RENAME COLUMN \"a\" TO \"b\";", "column users.a is renamed to b"),
        ("ALTER TABLE \"users\" DROP COLUMN \"a\";", "column users.a is dropped"),
    ];
    for (later, what) in cases {
        let message = refused(init, later);
        says(
            &message,
            1,
            &format!("{what}, which the undo of {INIT} drops"),
        );
    }
}

#[test]
fn a_view_over_the_table_of_a_column_the_undo_drops_or_changes() {
    let view = "CREATE VIEW \"v\" AS SELECT * FROM \"users\";";
    let message = refused("ALTER TABLE \"users\" ADD COLUMN \"a\" INTEGER;", view);
    says(
        &message,
        1,
        &format!("view v reads table users; the undo of {INIT} drops column users.a"),
    );
    let message = refused(
        "ALTER TABLE \"users\" ALTER COLUMN \"name\" SET DATA TYPE VARCHAR(10);",
        view,
    );
    says(
        &message,
        1,
        &format!("view v reads table users; the undo of {INIT} changes back column users.name"),
    );
}

#[test]
fn a_later_use_of_a_column_the_undo_changes_back() {
    let later = "CREATE INDEX \"users_name_idx\" ON \"users\"(\"name\");";
    for init in [
        "ALTER TABLE \"users\" ALTER COLUMN \"name\" SET DATA TYPE VARCHAR(10);",
        "ALTER TABLE \"users\" ALTER COLUMN \"name\" SET NOT NULL;",
        "ALTER TABLE \"users\" ALTER COLUMN \"name\" SET DEFAULT 'x';",
    ] {
        let message = refused(init, later);
        says(
            &message,
            1,
            &format!("index users_name_idx covers column users.name, which the undo of {INIT} changes back"),
        );
    }
}

#[test]
fn a_later_use_of_a_new_name_the_undo_renames_back() {
    let message = refused(
        "ALTER TABLE \"users\" RENAME TO \"people\";",
        "ALTER TABLE \"people\" ADD COLUMN \"b\" TEXT;",
    );
    says(
        &message,
        1,
        &format!("column people.b is added; the undo of {INIT} renames back relation people"),
    );
    let message = refused(
        "ALTER TABLE \"users\" RENAME COLUMN \"name\" TO \"full_name\";",
        "CREATE INDEX \"i\" ON \"users\"(\"full_name\");",
    );
    says(
        &message,
        1,
        &format!("index i covers column users.full_name, which the undo of {INIT} renames back"),
    );
    let message = refused(
        "CREATE INDEX \"i\" ON \"users\"(\"name\");\nALTER INDEX \"i\" RENAME TO \"j\";",
        "DROP INDEX \"j\";",
    );
    says(
        &message,
        1,
        &format!("relation j is dropped, which the undo of {INIT}"),
    );
}

#[test]
fn a_later_drop_or_rename_of_an_index_constraint_or_enum_value_the_undo_drops() {
    let message = refused(
        "CREATE INDEX \"users_name_idx\" ON \"users\"(\"name\");",
        "ALTER INDEX \"users_name_idx\" RENAME TO \"by_name\";",
    );
    says(
        &message,
        1,
        &format!("relation users_name_idx is renamed to by_name, which the undo of {INIT} drops"),
    );
    let message = refused(
        "ALTER TABLE \"users\" ADD CONSTRAINT \"named\" CHECK (\"name\" <> '');",
        "ALTER TABLE \"users\" DROP CONSTRAINT \"named\";",
    );
    says(
        &message,
        1,
        &format!("constraint named on users is dropped, which the undo of {INIT} drops"),
    );
    let message = refused(
        "CREATE TYPE \"Role\" AS ENUM ('A');",
        "ALTER TABLE \"users\" ADD COLUMN \"role\" \"Role\";",
    );
    says(
        &message,
        1,
        &format!("the statement uses type \"Role\", which the undo of {INIT} drops"),
    );
    // Removing a value recreates the type and converts the columns it had then: not one
    // added later.
    let message = refused(
        "CREATE TYPE \"Role\" AS ENUM ('A');\nALTER TYPE \"Role\" ADD VALUE 'B';",
        "ALTER TABLE \"users\" ADD COLUMN \"role\" \"Role\";",
    );
    assert!(message.contains(&format!("{LATER} (line 1)")), "{message}");
}

#[test]
fn a_later_drop_of_a_table_the_undo_alters() {
    let message = refused(
        "ALTER TABLE \"users\" ADD COLUMN \"a\" INTEGER;",
        "DROP TABLE \"users\";",
    );
    says(
        &message,
        1,
        &format!("relation users is dropped; the undo of {INIT} drops column users.a"),
    );
}

#[test]
fn a_later_object_under_a_name_the_undo_recreates() {
    let message = refused(
        "DROP TABLE \"users\";",
        "CREATE TABLE \"users\" (\"x\" INTEGER);",
    );
    says(
        &message,
        1,
        &format!("table users is created, which the undo of {INIT} recreates"),
    );
    let message = refused(
        "CREATE INDEX \"i\" ON \"users\"(\"name\");\n",
        "SELECT 1;\nCREATE INDEX \"i\" ON \"users\"(\"id\");",
    );
    says(
        &message,
        2,
        &format!("index i is created on table users, which the undo of {INIT}"),
    );
}

#[test]
fn a_later_do_block_that_cannot_be_read() {
    let message = refused(
        "ALTER TABLE \"users\" ADD COLUMN \"a\" INTEGER;",
        "DO $$ BEGIN EXECUTE 'ALTER TABLE users DROP COLUMN a'; END $$;",
    );
    says(
        &message,
        1,
        &format!("a DO block this check cannot read (it holds dynamic SQL (EXECUTE)): it may name column users.a, which the undo of {INIT} drops"),
    );
}

#[test]
fn later_changes_elsewhere_are_not_refused() {
    let cases = [
        (
            "ALTER TABLE \"users\" ADD COLUMN \"a\" INTEGER;",
            "ALTER TABLE \"users\" ADD COLUMN \"b\" TEXT;\n\
             CREATE INDEX \"users_b_idx\" ON \"users\"(\"b\");\n\
             ALTER TABLE \"users\" ALTER COLUMN \"name\" SET NOT NULL;\n\
             CREATE TABLE \"orders\" (\"id\" INTEGER, \"user_id\" INTEGER);\n\
             ALTER TABLE \"orders\" ADD CONSTRAINT \"orders_user_id_fkey\" \
             FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\");",
        ),
        (
            "CREATE TABLE \"t\" (\"id\" INTEGER);",
            "CREATE TABLE \"u\" (\"id\" INTEGER);\nALTER TABLE \"users\" ADD COLUMN \"b\" TEXT;",
        ),
        (
            "CREATE INDEX \"users_name_idx\" ON \"users\"(\"name\");",
            "ALTER TABLE \"users\" ADD COLUMN \"b\" TEXT;",
        ),
        (
            "CREATE TYPE \"Role\" AS ENUM ('A');",
            "CREATE TYPE \"Kind\" AS ENUM ('A');",
        ),
    ];
    for (init, later) in cases {
        not_refused(init, later);
    }
}

#[test]
fn later_migrations_selected_too_or_already_undone_are_not_refused() {
    let init = "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);";
    let later = "ALTER TABLE \"users\" ADD COLUMN \"t_id\" INTEGER REFERENCES \"t\"(\"id\");";
    assert_eq!(
        refusal(&[(INIT, init), (LATER, later)], &[INIT, LATER]),
        None
    );
    let undone = (
        "20230103000000_undo_later",
        "-- unmigrate: undo of 20230102000000_later\nALTER TABLE \"users\" DROP COLUMN \"t_id\";",
    );
    assert_eq!(
        refusal(&[(INIT, init), (LATER, later), undone], &[INIT]),
        None
    );
}

#[test]
fn the_suggestion_undoes_down_to_the_oldest_refused_migration() {
    let message = refusal(
        &[
            (INIT, "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);"),
            (LATER, "ALTER TABLE \"t\" ADD COLUMN \"x\" INTEGER;"),
            ("20230103000000_last", "SELECT 1;"),
        ],
        &[INIT],
    )
    .expect("refused");
    assert!(message.ends_with("--last 3"), "{message}");
}

#[test]
fn what_a_data_statement_reads_is_not_what_its_undo_needs() {
    // The undo deletes the row by its key; the later change of another column leaves it be.
    not_refused(
        "INSERT INTO \"users\" (\"id\", \"name\") VALUES (1, 'a');",
        "ALTER TABLE \"users\" ALTER COLUMN \"name\" SET NOT NULL;",
    );
}

#[test]
fn a_later_change_in_place_of_a_column_an_index_the_undo_drops_covers() {
    // DROP INDEX still finds the index after the column's type changed.
    not_refused(
        "CREATE INDEX \"users_name_idx\" ON \"users\"(\"name\");",
        "ALTER TABLE \"users\" ALTER COLUMN \"name\" SET DATA TYPE VARCHAR(20);",
    );
    // A dropped column takes the index with it.
    let message = refused(
        "CREATE INDEX \"users_name_idx\" ON \"users\"(\"name\");",
        "ALTER TABLE \"users\" DROP COLUMN \"name\";",
    );
    says(
        &message,
        1,
        &format!("column users.name is dropped, which the undo of {INIT} needs"),
    );
}
