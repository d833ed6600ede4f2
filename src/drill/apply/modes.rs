//! Why a migration behaves differently when Prisma sends it whole (`batch`) or statement by
//! statement (`split`), found from its parse trees before anything runs.

use super::shapes::copies_with_client;
use crate::sql::blocks::outside_transaction_only;
use crate::sql::{NodeEnum, Statement};

/// One line per reason the file behaves differently under the two apply modes; empty when it
/// behaves the same (apart from what a failure leaves behind, which differs for every file of
/// more than one statement).
pub fn mode_differences(statements: &[Statement]) -> Vec<String> {
    let mut reasons = Vec::new();
    if statements.len() > 1 {
        for s in statements {
            if let Some(what) = outside_transaction_only(&s.node) {
                reasons.push(format!(
                    "line {}: {what} cannot run inside a transaction block: batch mode fails \
                     with SQLSTATE 25001, split mode runs it",
                    s.location.line
                ));
            }
        }
    }
    for (i, s) in statements.iter().enumerate() {
        let NodeEnum::AlterEnumStmt(add) = &s.node else {
            continue;
        };
        if add.new_val.is_empty() || !add.old_val.is_empty() {
            continue; // a rename, not a new value
        }
        let literal = format!("'{}'", add.new_val.replace('\'', "''"));
        if let Some(later) = statements[i + 1..]
            .iter()
            .find(|l| l.text.contains(&literal))
        {
            reasons.push(format!(
                "line {}: enum value {literal} is added and line {} mentions it: batch mode \
                 fails with SQLSTATE 55P04 if that uses the value before commit, split mode \
                 commits it first",
                s.location.line, later.location.line
            ));
        }
    }
    reasons
}

/// The file as it can run inside one explicit transaction that the drill then rolls back:
/// its statements without its own `BEGIN` and `COMMIT` (under batch mode they only mark the
/// file's one transaction). `None` when a statement controls transactions otherwise
/// (`ROLLBACK`, savepoints), refuses to run inside one, or copies with the client (which a
/// query cannot serve).
pub fn in_one_transaction(statements: &[Statement]) -> Option<String> {
    use crate::sql::pb::TransactionStmtKind as Kind;
    let mut kept = Vec::with_capacity(statements.len());
    for s in statements {
        if let NodeEnum::TransactionStmt(t) = &s.node {
            match Kind::try_from(t.kind) {
                Ok(Kind::TransStmtBegin | Kind::TransStmtStart | Kind::TransStmtCommit) => continue,
                _ => return None,
            }
        }
        if outside_transaction_only(&s.node).is_some() || copies_with_client(&s.node).is_some() {
            return None;
        }
        kept.push(s);
    }
    Some(crate::sql::join_statements(kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn differences(sql: &str) -> Vec<String> {
        mode_differences(&crate::sql::parse_file(Path::new("m.sql"), sql).unwrap())
    }

    #[test]
    fn a_lone_concurrent_index_behaves_the_same() {
        assert!(differences("CREATE INDEX CONCURRENTLY i ON t (a);").is_empty());
    }

    #[test]
    fn a_concurrent_index_with_company_fails_only_in_batch() {
        let found = differences("CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("line 2: CREATE INDEX CONCURRENTLY"),
            "{found:?}"
        );
    }

    #[test]
    fn a_new_enum_value_used_in_the_same_file_is_reported() {
        let found = differences(
            "ALTER TYPE \"Role\" ADD VALUE 'ADMIN';\nUPDATE \"User\" SET role = 'ADMIN';",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("55P04"), "{found:?}");
        assert!(differences("ALTER TYPE \"Role\" ADD VALUE 'ADMIN';\nSELECT 1;").is_empty());
    }

    #[test]
    fn a_file_is_retried_in_one_transaction_without_its_own_begin_and_commit() {
        let statements = |sql: &str| crate::sql::parse_file(Path::new("m.sql"), sql).unwrap();
        let text = in_one_transaction(&statements(
            "BEGIN;\nALTER TABLE t ADD COLUMN a int -- why\n;\nCOMMIT;\nSELECT 1;",
        ))
        .expect("only BEGIN and COMMIT");
        let again = statements(&text);
        let kinds: Vec<bool> = again
            .iter()
            .map(|s| matches!(s.node, NodeEnum::AlterTableStmt(_)))
            .collect();
        assert_eq!(kinds, [true, false], "{text}");
        for refused in [
            "BEGIN; SELECT 1; ROLLBACK;",
            "SAVEPOINT a;",
            "CREATE INDEX CONCURRENTLY i ON t (a);",
        ] {
            assert_eq!(in_one_transaction(&statements(refused)), None, "{refused}");
        }
    }
}
