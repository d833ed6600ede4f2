//! How a file that failed is reported: PostgreSQL's error with its line, and what the failure
//! leaves behind (rolled back, or half-applied), in words.

use std::path::Path;

use super::shapes;
use crate::drill::outcome::ApplyFailure;
use crate::migrations::ApplyMode;
use crate::sql::Statement as SqlStatement;

/// What a failure leaves behind, in words.
pub(super) fn effect(mode: ApplyMode, committed: usize, total: usize) -> String {
    match (mode, committed) {
        (ApplyMode::Batch, 0) => format!(
            "{} the file ran as one transaction",
            ApplyFailure::ROLLED_BACK
        ),
        _ => format!("half-applied: {committed} of {total} statement(s) committed before this one"),
    }
}

/// The failure of a file that left a transaction open, which the drill rolled back, and how
/// many statements before that transaction stay committed.
pub(super) fn left_open(
    path: &Path,
    statements: &[SqlStatement],
    mode: ApplyMode,
) -> (ApplyFailure, usize) {
    let begin = shapes::unclosed_begin(statements);
    let line = begin.map(|s| s.location.line as u32);
    let opened = line.map_or("a transaction".into(), |l| {
        format!("the transaction its BEGIN on line {l} opens")
    });
    let committed = shapes::committed_before(statements, statements.len(), mode);
    let effect = match committed {
        0 => format!(
            "{} the drill ended the open transaction, and nothing of the file remains",
            ApplyFailure::ROLLED_BACK
        ),
        n => format!(
            "half-applied: {n} of {} statement(s) committed before the open transaction, \
             which the drill rolled back",
            statements.len()
        ),
    };
    let failure = ApplyFailure {
        file: path.display().to_string(),
        code: None,
        constraint: None,
        message: format!(
            "the file leaves a transaction open: {opened} is never committed, so everything \
             after it (the runner's own record of the migration included) is lost when the \
             session ends; end it with COMMIT in the file, or remove the BEGIN"
        ),
        line,
        effect,
    };
    (failure, committed)
}

pub(super) fn failure(
    path: &Path,
    error: &postgres::Error,
    line: Option<u32>,
    effect: String,
) -> ApplyFailure {
    let (code, message) = match error.as_db_error() {
        Some(db) => (
            Some(db.code().code().to_string()),
            match db.detail() {
                Some(detail) => format!("{}: {detail}", db.message()),
                None => db.message().to_string(),
            },
        ),
        None => (None, error.to_string()),
    };
    ApplyFailure {
        file: path.display().to_string(),
        code,
        constraint: error
            .as_db_error()
            .and_then(|db| db.constraint())
            .map(str::to_string),
        message,
        line,
        effect,
    }
}

/// The 1-based line of a 1-based character position, as PostgreSQL reports error positions.
pub(super) fn line_of_char(text: &str, position: usize) -> u32 {
    let newlines = text
        .chars()
        .take(position.saturating_sub(1))
        .filter(|&c| c == '\n')
        .count();
    newlines as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_positions_become_lines() {
        let sql = "CREATE TABLE a (id int);\nALTER TABLE b ADD c int;";
        assert_eq!(line_of_char(sql, 1), 1);
        assert_eq!(line_of_char(sql, sql.find("ALTER").unwrap() + 1), 2);
    }
}
