//! How a hand-written `down.sql` (Prisma's guide on down migrations keeps one beside
//! `migration.sql`) differs from the undo unmigrate generates for the same migration,
//! statement by statement. Each statement is compared in its deparsed form, so layout,
//! comments and quoting do not count; session settings, transaction control and unmigrate's
//! own preflight checks are left out of both sides, since they change no schema. The drill
//! says whether the file restores the schema; this says where it does something else.

use std::path::Path;

use serde::Serialize;

use crate::sql::{self, NodeEnum, SqlError, Statement};

/// Where a `down.sql` and the generated undo part ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownDifference {
    /// Statements of `down.sql` the generated undo does not have.
    pub only_in_down: usize,
    /// Statements of the generated undo `down.sql` does not have.
    pub only_in_generated: usize,
    /// A unified diff, one normalised statement per line: `-` the generated undo, `+`
    /// `down.sql`.
    pub diff: String,
}

/// How a `down.sql` compares with the generated undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Comparison {
    /// The same statements in the same order.
    Same,
    Differs(DownDifference),
    /// One of the files does not parse (the drill reports PostgreSQL's own error).
    NotCompared {
        error: String,
    },
}

impl Comparison {
    /// [`compare`], with a parse error as its own outcome.
    pub fn of(down_path: &Path, down_sql: &str, generated: &[&str]) -> Comparison {
        match compare(down_path, down_sql, generated) {
            Ok(None) => Comparison::Same,
            Ok(Some(difference)) => Comparison::Differs(difference),
            Err(error) => Comparison::NotCompared {
                error: error.to_string(),
            },
        }
    }
}

/// `None` when both do the same statements in the same order. `generated`: the generated undo
/// files' text, in apply order.
pub fn compare(
    down_path: &Path,
    down_sql: &str,
    generated: &[&str],
) -> Result<Option<DownDifference>, SqlError> {
    let down = normalised(&sql::parse_file(down_path, down_sql)?);
    let mut fresh = Vec::new();
    for text in generated {
        fresh.extend(normalised(&sql::parse_file(
            Path::new("(generated undo)"),
            text,
        )?));
    }
    if down == fresh {
        return Ok(None);
    }
    let old: Vec<&str> = fresh.iter().map(String::as_str).collect();
    let new: Vec<&str> = down.iter().map(String::as_str).collect();
    let diff = similar::TextDiff::from_slices(&old, &new);
    let (mut only_in_down, mut only_in_generated) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => only_in_down += 1,
            similar::ChangeTag::Delete => only_in_generated += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header("generated undo", "hand-written down")
        .to_string();
    Ok(Some(DownDifference {
        only_in_down,
        only_in_generated,
        diff: text,
    }))
}

/// The statements that change something, each deparsed on one line (or, when the deparser
/// cannot, its text with runs of white space made one).
fn normalised(statements: &[Statement]) -> Vec<String> {
    statements
        .iter()
        .filter(|s| !changes_nothing(s))
        .map(|s| {
            let text = sql::deparse(s.node.clone()).unwrap_or_else(|_| s.text.clone());
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// Session settings, transaction control and unmigrate's preflight checks.
fn changes_nothing(statement: &Statement) -> bool {
    matches!(
        statement.node,
        NodeEnum::VariableSetStmt(_) | NodeEnum::TransactionStmt(_)
    ) || statement.text.starts_with("DO $unmigrate_guard")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(text: &str, generated: &[&str]) -> Option<DownDifference> {
        compare(Path::new("down.sql"), text, generated).unwrap()
    }

    #[test]
    fn layout_comments_settings_and_checks_do_not_count() {
        let generated = "SET lock_timeout = '5s';\n\
            DO $unmigrate_guard$ BEGIN NULL; END $unmigrate_guard$;\n\
            ALTER TABLE \"User\" DROP COLUMN \"name\";\n";
        let hand = "-- DropColumn\nBEGIN;\nalter table \"User\"\n  drop column name;\nCOMMIT;\n";
        assert_eq!(down(hand, &[generated]), None);
    }

    #[test]
    fn a_missing_and_an_extra_statement_are_counted_and_shown() {
        let generated = [
            "DROP INDEX \"User_email_key\";\n",
            "ALTER TABLE \"User\" DROP COLUMN email;\n",
        ];
        let hand = "ALTER TABLE \"User\" DROP COLUMN email;\nDROP TABLE \"Audit\";\n";
        let found = down(hand, &generated).unwrap();
        assert_eq!((found.only_in_down, found.only_in_generated), (1, 1));
        assert!(found.diff.contains("-DROP INDEX"), "{}", found.diff);
        assert!(found.diff.contains("+DROP TABLE"), "{}", found.diff);
    }

    #[test]
    fn an_unparsable_down_names_its_file_and_line() {
        let error = compare(Path::new("m/down.sql"), "SELECT 1;\nDROP TABLEX a;\n", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("m/down.sql:2"), "{error}");
    }
}
