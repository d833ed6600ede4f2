//! Transaction control and session settings: nothing in the schema to reverse.

use super::rule::{undo_rule, UndoRule};
use super::Undo;
use crate::sql::pb;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_TRANSACTION_CONTROL, UNDO_SET];

undo_rule! {
    /// BEGIN and COMMIT need no undo; savepoints and rollbacks need a manual check
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
    /// No statement: `BEGIN`/`COMMIT` in a forward file group its statements, and the undo file is applied as one transaction by Prisma anyway.
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
    /// Its undo, **exact**: no statement, nothing to undo.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/session/transaction_blocks.sql` (snapshot `snapshots/session__transaction_blocks.snap`)
    UNDO_TRANSACTION_CONTROL = "undo-transaction-control";
}

/// The undo of rule `undo-transaction-control` (UNDO_TRANSACTION_CONTROL above).
pub fn transaction(s: &pb::TransactionStmt) -> Undo {
    use pb::TransactionStmtKind as K;
    match K::try_from(s.kind).unwrap_or(K::Undefined) {
        K::TransStmtBegin | K::TransStmtStart | K::TransStmtCommit => Undo::nothing(
            "transaction control: the undo migration runs as one transaction, nothing to reverse",
        ),
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
