//! Statements PostgreSQL refuses to run inside a transaction block (SQLSTATE 25001), found
//! from the parse tree. Drills use this to tell batch from split apply; `explain` to report
//! transaction rules.

use super::{pb, NodeEnum};

/// What a statement is, when PostgreSQL refuses to run it inside a transaction block.
pub fn outside_transaction_only(node: &NodeEnum) -> Option<&'static str> {
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

/// Whether a utility option list (`REINDEX (CONCURRENTLY) …`) asks for `CONCURRENTLY`.
pub fn has_concurrently(params: &[pb::Node]) -> bool {
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
