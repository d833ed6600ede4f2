//! Statements that behave differently inside one transaction.

use crate::common::{phase, text};
use crate::outcome::*;

/// `CREATE INDEX CONCURRENTLY` after another statement of its file: batch mode sends the file
/// as one implicit transaction, and PostgreSQL refuses with 25001 (the whole file rolls back).
/// Split mode runs it on its own, outside a transaction block, and explain stays quiet.
#[test]
fn non_transactional_in_transaction() {
    const MIGRATION: &str = "add_user_nick_and_index_concurrently";
    const RULE: &str = "non-transactional-in-transaction";
    let batch = History::ConcurrentlyBatch.rule(RULE);
    batch.assert_reports(MIGRATION, 2, "CREATE INDEX CONCURRENTLY");
    let forward = batch.failed_forward(MIGRATION, "25001");
    assert_eq!(forward["line"], 2, "{forward}");
    assert!(
        text(&forward["effect"]).starts_with("rolled back"),
        "{forward}"
    );

    let split = History::ConcurrentlySplit.rule(RULE);
    assert_eq!(split.code, EXIT_PASSED, "{}", split.drill);
    split.assert_quiet_ran_alone(MIGRATION, 2);
}

/// An enum value added and used in one transaction: batch mode fails with 55P04 ("unsafe use
/// of new value"); split mode commits the ADD VALUE first and passes.
#[test]
fn enum_value_added_and_used() {
    const MIGRATION: &str = "add_admin_role_as_default";
    const RULE: &str = "enum-value-added-and-used";
    let batch = History::TransactionsBatch.rule(RULE);
    batch.assert_reports(MIGRATION, 1, "ADD VALUE 'ADMIN'");
    let forward = batch.failed_forward(MIGRATION, "55P04");
    assert_eq!(forward["line"], 2, "{forward}");

    let split = History::TransactionsSplit.rule(RULE);
    split.assert_quiet(MIGRATION);
    assert_eq!(split.code, EXIT_PASSED, "{}", split.drill);
    let migration = split.migration(MIGRATION);
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
    const MIGRATION: &str = "add_user_score_and_backfill";
    const RULE: &str = "backfill-holding-ddl-lock";
    let batch = History::TransactionsBatch.rule(RULE);
    batch.assert_reports(MIGRATION, 2, "UPDATE \"User\"");
    let update = batch.under_earlier_lock(MIGRATION, "\"User\"");
    assert!(scanned(update).contains(&"\"User\""), "{update}");

    let split = History::TransactionsSplit.rule(RULE);
    let update = split.quiet(MIGRATION, 2);
    assert_eq!(update["earlier_in_transaction"], 0, "{update}");
    assert_lock(update, "\"User\"", "RowExclusiveLock");
}
