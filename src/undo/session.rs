//! Transaction control and session settings: nothing in the schema to reverse.

use super::rule::{undo_rule, UndoExample, UndoRule};
use super::{Undo, Verdict};
use crate::sql::pb;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_TRANSACTION_CONTROL, UNDO_SET];

undo_rule!(UNDO_TRANSACTION_CONTROL {
    id: "undo-transaction-control",
    summary: "BEGIN and COMMIT need no undo; savepoints and rollbacks need a manual check",
    undoes: &[
        "BEGIN",
        "START TRANSACTION",
        "COMMIT",
        "SAVEPOINT",
        "ROLLBACK",
        "PREPARE TRANSACTION",
    ],
    how: r#"No statement: `BEGIN`/`COMMIT` in a forward file group its statements, and the undo file is applied as one transaction by Prisma anyway."#,
    verdicts: r#"**exact** (nothing to undo) for `BEGIN`, `START TRANSACTION` and `COMMIT`; **manual** for savepoints, rollbacks and two-phase commit, which change what was applied."#,
    examples: &[UndoExample {
        before: r#""#,
        forward: r#"BEGIN;
COMMIT;"#,
        undo: r#""#,
        verdict: Verdict::Exact,
    }],
    cases: &["transaction_blocks"],
});

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

undo_rule!(UNDO_SET {
    id: "undo-set",
    summary: "SET changes no schema: nothing to undo",
    undoes: &["SET", "SET LOCAL", "RESET", "SHOW"],
    how: r#"No statement: a session setting stays in force on Prisma's connection for the migrations after it, but leaves nothing behind to reverse."#,
    verdicts: r#"**exact**."#,
    examples: &[UndoExample {
        before: r#""#,
        forward: r#"SET lock_timeout = '5s';"#,
        undo: r#""#,
        verdict: Verdict::Exact,
    }],
    cases: &["transaction_blocks"],
});

/// The undo of rule `undo-set` (UNDO_SET above).
pub fn setting() -> Undo {
    Undo::nothing("session setting: changes no schema")
}
