//! Why a migration behaves differently when Prisma sends it whole (`batch`) or statement by
//! statement (`split`), found from its parse trees before anything runs.

use crate::sql::{pb, NodeEnum, Statement};

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

/// Whether the whole file can run inside one explicit transaction that the drill then rolls
/// back: no statement controls transactions itself or refuses to run inside one.
pub fn fits_in_a_transaction(statements: &[Statement]) -> bool {
    statements.iter().all(|s| {
        !matches!(s.node, NodeEnum::TransactionStmt(_))
            && outside_transaction_only(&s.node).is_none()
    })
}

/// What a statement is, when PostgreSQL refuses to run it inside a transaction block.
fn outside_transaction_only(node: &NodeEnum) -> Option<&'static str> {
    match node {
        NodeEnum::IndexStmt(i) if i.concurrent => Some("CREATE INDEX CONCURRENTLY"),
        NodeEnum::DropStmt(d) if d.concurrent => Some("DROP INDEX CONCURRENTLY"),
        NodeEnum::ReindexStmt(r) if has_concurrently(&r.params) => Some("REINDEX CONCURRENTLY"),
        NodeEnum::VacuumStmt(v) if v.is_vacuumcmd => Some("VACUUM"),
        NodeEnum::CreatedbStmt(_) => Some("CREATE DATABASE"),
        NodeEnum::DropdbStmt(_) => Some("DROP DATABASE"),
        NodeEnum::AlterSystemStmt(_) => Some("ALTER SYSTEM"),
        NodeEnum::CreateTableSpaceStmt(_) => Some("CREATE TABLESPACE"),
        NodeEnum::DropTableSpaceStmt(_) => Some("DROP TABLESPACE"),
        NodeEnum::AlterTableStmt(a) if a.cmds.iter().any(detaches_concurrently) => {
            Some("DETACH PARTITION CONCURRENTLY")
        }
        _ => None,
    }
}

fn has_concurrently(params: &[pb::Node]) -> bool {
    params
        .iter()
        .any(|p| matches!(&p.node, Some(NodeEnum::DefElem(d)) if d.defname == "concurrently"))
}

fn detaches_concurrently(cmd: &pb::Node) -> bool {
    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
        return false;
    };
    let Some(NodeEnum::PartitionCmd(p)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) else {
        return false;
    };
    p.concurrent
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
}
