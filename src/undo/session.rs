//! Transaction control and session settings: nothing in the schema to reverse.

use super::Undo;
use crate::sql::pb;

/// `BEGIN`/`COMMIT` in a forward file group its statements; the undo file is applied as one
/// transaction by Prisma anyway, so no statement is needed.
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

/// `SET`: a session setting, not schema. It stays in force on Prisma's connection for the
/// migrations after it, but leaves nothing behind to reverse.
pub fn setting() -> Undo {
    Undo::nothing("session setting: changes no schema")
}
