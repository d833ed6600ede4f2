//! Statements that behave differently inside one transaction.

use crate::common::{phase, text};
use crate::outcome::*;

/// `CREATE INDEX CONCURRENTLY` after another statement of its file: batch mode sends the file
/// as one implicit transaction, and PostgreSQL refuses with 25001 (the whole file rolls back).
/// Split mode runs it on its own, outside a transaction block, and explain stays quiet.
#[test]
fn non_transactional_in_transaction() {
    let batch = concurrently_batch();
    batch.assert_reports(
        "add_user_nick_and_index_concurrently",
        2,
        "non-transactional-in-transaction",
        "CREATE INDEX CONCURRENTLY",
    );
    assert_eq!(batch.code, EXIT_FAILED, "{}", batch.drill);
    let forward = phase(
        batch.migration("add_user_nick_and_index_concurrently"),
        "forward",
    );
    assert_eq!(forward["status"], "error", "{forward}");
    assert_eq!(forward["code"], "25001", "{forward}");
    assert_eq!(forward["line"], 2, "{forward}");
    assert!(
        text(&forward["effect"]).starts_with("rolled back"),
        "{forward}"
    );

    let split = concurrently_split();
    split.assert_quiet(
        "add_user_nick_and_index_concurrently",
        "non-transactional-in-transaction",
    );
    assert_eq!(split.code, EXIT_PASSED, "{}", split.drill);
    let index = split.statement("add_user_nick_and_index_concurrently", 2);
    assert_ran_alone(index);
}

/// An enum value added and used in one transaction: batch mode fails with 55P04 ("unsafe use
/// of new value"); split mode commits the ADD VALUE first and passes.
#[test]
fn enum_value_added_and_used() {
    let batch = transactions_batch();
    batch.assert_reports(
        "add_admin_role_as_default",
        1,
        "enum-value-added-and-used",
        "ADD VALUE 'ADMIN'",
    );
    assert_eq!(batch.code, EXIT_FAILED, "{}", batch.drill);
    let forward = phase(batch.migration("add_admin_role_as_default"), "forward");
    assert_eq!(forward["status"], "error", "{forward}");
    assert_eq!(forward["code"], "55P04", "{forward}");
    assert_eq!(forward["line"], 2, "{forward}");

    let split = transactions_split();
    split.assert_quiet("add_admin_role_as_default", "enum-value-added-and-used");
    assert_eq!(split.code, EXIT_PASSED, "{}", split.drill);
    let migration = split.migration("add_admin_role_as_default");
    assert_eq!(
        phase(migration, "forward")["status"],
        "passed",
        "{migration}"
    );
}

/// A backfill in the transaction of the DDL before it runs under that DDL's lock: in batch
/// mode the UPDATE comes after the ACCESS EXCLUSIVE `ADD COLUMN` in the same transaction, so
/// that lock is held for the whole backfill. In split mode the ADD COLUMN has committed first,
/// and the UPDATE holds only ROW EXCLUSIVE (reads and other writes go on).
#[test]
fn backfill_holding_ddl_lock() {
    let batch = transactions_batch();
    batch.assert_reports(
        "add_user_score_and_backfill",
        2,
        "backfill-holding-ddl-lock",
        "UPDATE \"User\"",
    );
    let add = batch.statement("add_user_score_and_backfill", 1);
    assert_lock(add, "\"User\"", "AccessExclusiveLock");
    let update = batch.statement("add_user_score_and_backfill", 2);
    assert_eq!(update["in_transaction"], true, "{update}");
    assert_eq!(update["earlier_in_transaction"], 1, "{update}");
    assert!(scanned(update).contains(&"\"User\""), "{update}");

    let split = transactions_split();
    let update = split.quiet(
        "add_user_score_and_backfill",
        2,
        "backfill-holding-ddl-lock",
    );
    assert_eq!(update["earlier_in_transaction"], 0, "{update}");
    assert_lock(update, "\"User\"", "RowExclusiveLock");
}
