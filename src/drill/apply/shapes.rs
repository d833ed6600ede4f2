//! Statements that change what sending a file does to the session, read from its parse trees:
//! explicit transaction control (`BEGIN` … `COMMIT`), which decides what a failure leaves
//! committed and can leave a transaction open after the file, and `COPY` with the client
//! (`FROM STDIN`, `TO STDOUT`), which a runner that sends SQL text cannot serve.

use crate::migrations::ApplyMode;
use crate::sql::{pb, NodeEnum, Statement};

/// How a statement changes the session's transaction block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Control {
    /// `BEGIN` / `START TRANSACTION`: opens a block.
    Begin,
    /// `COMMIT` / `END` / `PREPARE TRANSACTION` (and the `… PREPARED` forms): closes it, keeping
    /// its work (a prepared transaction keeps it until it is committed).
    Commit,
    /// `ROLLBACK` / `ABORT`: closes it, discarding its work.
    Rollback,
}

/// `None` for everything that is not transaction control; savepoints change nothing about
/// the block.
pub(super) fn transaction_control(node: &NodeEnum) -> Option<Control> {
    use pb::TransactionStmtKind as K;
    let NodeEnum::TransactionStmt(t) = node else {
        return None;
    };
    match K::try_from(t.kind).ok()? {
        K::TransStmtBegin | K::TransStmtStart => Some(Control::Begin),
        K::TransStmtCommit
        | K::TransStmtPrepare
        | K::TransStmtCommitPrepared
        | K::TransStmtRollbackPrepared => Some(Control::Commit),
        K::TransStmtRollback => Some(Control::Rollback),
        _ => None,
    }
}

/// How many of the first `ran` statements are committed once the transaction open after them
/// (if any) is rolled back, as `mode` sends the file: in batch mode everything until a
/// `COMMIT` shares the file's one implicit transaction (a `BEGIN` only makes it explicit); in
/// split mode each statement outside a `BEGIN` block commits on its own.
pub(super) fn committed_before(statements: &[Statement], ran: usize, mode: ApplyMode) -> usize {
    let implicit = mode == ApplyMode::Batch && statements.len() > 1;
    let mut committed = 0;
    let mut pending = 0;
    let mut in_block = false;
    for statement in &statements[..ran.min(statements.len())] {
        match transaction_control(&statement.node) {
            Some(Control::Begin) => {
                in_block = true;
                pending += 1;
            }
            Some(Control::Commit) => {
                committed += pending + 1;
                pending = 0;
                in_block = false;
            }
            Some(Control::Rollback) => {
                // Its block's statements are gone; the ROLLBACK itself "ran".
                committed += 1;
                pending = 0;
                in_block = false;
            }
            None if in_block || implicit => pending += 1,
            None => committed += 1,
        }
    }
    committed
}

/// The `BEGIN` whose block is still open after the whole file, if the file leaves one open.
pub(super) fn unclosed_begin(statements: &[Statement]) -> Option<&Statement> {
    let mut open = None;
    for statement in statements {
        match transaction_control(&statement.node) {
            Some(Control::Begin) => open = open.or(Some(statement)),
            Some(Control::Commit | Control::Rollback) => open = None,
            None => {}
        }
    }
    open
}

/// `COPY … FROM STDIN` or `COPY … TO STDOUT`: the rows travel in the client's own copy
/// sub-protocol (psql's `\copy` data), which a runner sending SQL text does not speak:
/// Prisma's fails on it. `COPY` with a file or program on the server is a plain statement.
pub(super) fn copies_with_client(node: &NodeEnum) -> Option<&'static str> {
    let NodeEnum::CopyStmt(copy) = node else {
        return None;
    };
    if !copy.filename.is_empty() || copy.is_program {
        return None;
    }
    Some(if copy.is_from {
        "COPY … FROM STDIN"
    } else {
        "COPY … TO STDOUT"
    })
}

/// Whether the text may hold a `COPY` at all: the parse is needed only then (batch mode sends
/// files without parsing them).
pub(super) fn may_copy(sql: &str) -> bool {
    sql.as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"copy"))
}

/// Whether any statement controls the transaction block.
pub(super) fn has_control(statements: &[Statement]) -> bool {
    statements
        .iter()
        .any(|s| transaction_control(&s.node).is_some())
}

/// Whether the text may hold transaction control: one of the words `BEGIN`, `START`,
/// `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `PREPARE`. Only then can a batch-mode file control its
/// own transactions, and only then is it parsed to find out.
pub(super) fn may_control(sql: &str) -> bool {
    const WORDS: [&str; 7] = [
        "begin", "start", "commit", "end", "rollback", "abort", "prepare",
    ];
    sql.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|word| WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(sql: &str) -> Vec<Statement> {
        crate::sql::parse_file(Path::new("m.sql"), sql).unwrap()
    }

    #[test]
    fn what_a_failure_leaves_committed_depends_on_the_mode_and_the_files_own_blocks() {
        let file = parse("CREATE TABLE a (id int);\nBEGIN;\nCREATE TABLE b (id int);\nSELECT 1/0;");
        // Batch: BEGIN makes the file's one transaction explicit; nothing is committed.
        assert_eq!(committed_before(&file, 3, ApplyMode::Batch), 0);
        // Split: the first statement committed on its own.
        assert_eq!(committed_before(&file, 3, ApplyMode::Split), 1);
        let committed = parse("BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\nSELECT 1/0;");
        assert_eq!(committed_before(&committed, 3, ApplyMode::Batch), 3);
        assert_eq!(committed_before(&committed, 3, ApplyMode::Split), 3);
        let rolled_back = parse("BEGIN;\nCREATE TABLE b (id int);\nROLLBACK;\nSELECT 1/0;");
        assert_eq!(committed_before(&rolled_back, 3, ApplyMode::Split), 1);
    }

    #[test]
    fn a_begin_without_commit_is_found_and_a_closed_one_is_not() {
        let open = parse("CREATE TABLE a (id int);\nBEGIN;\nCREATE TABLE b (id int);");
        assert_eq!(unclosed_begin(&open).map(|s| s.location.line), Some(2));
        let closed = parse("BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;");
        assert!(unclosed_begin(&closed).is_none());
        let reopened = parse("BEGIN;\nCOMMIT;\nSTART TRANSACTION;\nSELECT 1;");
        assert_eq!(unclosed_begin(&reopened).map(|s| s.location.line), Some(3));
    }

    #[test]
    fn only_copy_with_the_client_is_flagged_and_only_files_that_may_need_it_are_parsed() {
        let first = |sql: &str| copies_with_client(&parse(sql)[0].node);
        assert_eq!(first("COPY a FROM stdin"), Some("COPY … FROM STDIN"));
        assert_eq!(first("COPY a TO stdout"), Some("COPY … TO STDOUT"));
        assert_eq!(first("COPY a FROM '/tmp/a.csv'"), None);
        assert_eq!(first("COPY a TO PROGRAM 'cat'"), None);
        assert!(may_copy("create table x; CoPy a from stdin"));
        assert!(may_control("CREATE TABLE a (id int);\nCommit;"));
        assert!(!may_control(
            "CREATE TABLE pending_backend (started_at int)"
        ));
        assert!(!may_copy("CREATE TABLE a (id int)"));
    }
}
