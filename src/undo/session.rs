//! Transaction control and session settings: nothing in the schema to reverse.

use super::rule::{undo_rule, UndoRule};
use super::{TransactionControl, Undo};
use crate::sql::pb;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_TRANSACTION_CONTROL, UNDO_SET];

undo_rule! {
    /// BEGIN and COMMIT are carried over; savepoints and rollbacks need a manual check
    ///
    /// ## Undoes
    ///
    /// - `BEGIN`
    /// - `START TRANSACTION`
    /// - `COMMIT`
    /// - `SAVEPOINT`
    /// - `ROLLBACK`
    /// - `PREPARE TRANSACTION`
    ///
    /// ## The undo
    ///
    /// No statement of their own, but the block is carried over: the undo of the statements between a forward `BEGIN` and its `COMMIT` runs in a `BEGIN; … COMMIT;` block of the undo file, so it stays atomic under Prisma's split mode (each statement commits alone), where an enum swap undone halfway would leave the schema between two states. The block opens where the undo of those statements starts and closes at the end of the file, just before the `RESET lock_timeout`: under batch mode (the file is one implicit transaction) a `COMMIT` in the middle would commit what came before it and leave the rest to a transaction of its own, so the file would no longer fail whole. `SET lock_timeout` stays above the block, a session setting for every statement. A block whose undo holds a `CONCURRENTLY` statement (it cannot run in a transaction block) or a validation (it runs in a later transaction) is not carried over, and the file's header says so.
    ///
    /// ## Verdict
    ///
    /// **exact** (nothing to undo) for `BEGIN`, `START TRANSACTION` and `COMMIT`; **manual** for savepoints, rollbacks and two-phase commit, which change what was applied.
    ///
    /// ## Example
    ///
    /// ```sql
    /// BEGIN;
    /// COMMIT;
    /// ```
    ///
    /// Its undo, **exact**: no statement of their own; the undo of statements between them would run in a `BEGIN; … COMMIT;` block of the undo file.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/session/transaction_blocks.sql` (snapshot `snapshots/session__transaction_blocks.snap`)
    UNDO_TRANSACTION_CONTROL = "undo-transaction-control";
}

const TRANSACTION_REASON: &str = "transaction control: the undo of the statements between BEGIN and COMMIT runs in a transaction block too (the header says when it cannot)";

/// The undo of rule `undo-transaction-control` (UNDO_TRANSACTION_CONTROL above).
pub fn transaction(s: &pb::TransactionStmt) -> Undo {
    use pb::TransactionStmtKind as K;
    match K::try_from(s.kind).unwrap_or(K::Undefined) {
        K::TransStmtBegin | K::TransStmtStart => Undo {
            transaction: Some(TransactionControl::Begin),
            ..Undo::nothing(TRANSACTION_REASON)
        },
        K::TransStmtCommit => Undo {
            transaction: Some(TransactionControl::Commit),
            ..Undo::nothing(TRANSACTION_REASON)
        },
        _ => Undo::manual(
            "savepoints, rollbacks and two-phase commit in a migration change what was applied; check the undo by hand",
        ),
    }
}

undo_rule! {
    /// SET changes no schema: nothing to undo
    ///
    /// ## Undoes
    ///
    /// - `SET`
    /// - `SET LOCAL`
    /// - `RESET`
    /// - `SHOW`
    ///
    /// ## The undo
    ///
    /// No statement: a session setting stays in force on Prisma's connection for the migrations after it, but leaves nothing behind to reverse.
    ///
    /// ## Verdict
    ///
    /// **exact**.
    ///
    /// ## Example
    ///
    /// ```sql
    /// SET lock_timeout = '5s';
    /// ```
    ///
    /// Its undo, **exact**: no statement, nothing to undo.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/session/transaction_blocks.sql` (snapshot `snapshots/session__transaction_blocks.snap`)
    UNDO_SET = "undo-set";
}

/// The undo of rule `undo-set` (UNDO_SET above).
pub fn setting() -> Undo {
    Undo::nothing("session setting: changes no schema")
}
