//! Data statements and anything else without a schema-level inverse.

use super::{MigrationScope, Undo};
use crate::catalog::Catalog;
use crate::sql::{pb, NodeEnum, QName};

/// `INSERT`, `UPDATE`, `DELETE`: **manual**, because which rows they touched is only known at
/// run time, except when the undo removes what they wrote anyway: rows of a table this
/// migration creates, or an `UPDATE` that only fills columns this migration adds.
///
/// ```sql
/// UPDATE "User" SET "email" = lower("email");
/// -- undo: manual (the previous values are gone)
/// ```
pub fn write(_catalog: &Catalog, node: &NodeEnum, scope: &MigrationScope) -> Undo {
    let (verb, relation, set_columns) = match node {
        NodeEnum::InsertStmt(s) => ("INSERT into", s.relation.as_ref(), None),
        NodeEnum::UpdateStmt(s) => (
            "UPDATE of",
            s.relation.as_ref(),
            Some(target_columns(&s.target_list)),
        ),
        NodeEnum::DeleteStmt(s) => ("DELETE from", s.relation.as_ref(), None),
        _ => ("data change in", None, None),
    };
    let Some(table) = relation.map(QName::from_range_var) else {
        return Undo::manual("data statement without a target table; reverse it by hand");
    };
    if scope.created_tables.contains(&table) {
        return Undo::nothing(format!(
            "{verb} {table}, which this migration creates: the undo drops the table and these rows with it"
        ));
    }
    if let Some(columns) = set_columns {
        let all_new = !columns.is_empty()
            && columns
                .iter()
                .all(|c| scope.added_columns.contains(&(table.clone(), c.clone())));
        if all_new {
            return Undo::nothing(format!(
                "UPDATE of {table} only fills columns this migration adds ({}): the undo drops them with their values",
                columns.join(", ")
            ));
        }
    }
    let hint = match node {
        NodeEnum::InsertStmt(_) => "write the DELETE that removes exactly these rows",
        NodeEnum::UpdateStmt(_) => {
            "the previous values are gone unless you saved them; restore them by hand"
        }
        _ => {
            "deleted rows cannot be brought back by SQL; restore them from a backup if they matter"
        }
    };
    Undo::manual(format!(
        "{verb} {table} is a data change whose effect depends on the rows present: {hint}"
    ))
}

fn target_columns(targets: &[pb::Node]) -> Vec<String> {
    targets
        .iter()
        .filter_map(|t| match &t.node {
            Some(NodeEnum::ResTarget(r)) => Some(r.name.clone()),
            _ => None,
        })
        .collect()
}

/// A `SELECT` in a migration runs for its side effects (function calls such as `setval`).
pub fn select(_node: &NodeEnum) -> Undo {
    Undo::manual("a SELECT in a migration runs for its side effects (function calls), which unmigrate cannot reverse; reverse them by hand")
}

/// Statements no rule covers: never skipped silently.
pub fn unsupported(node: &NodeEnum) -> Undo {
    if let NodeEnum::DoStmt(_) = node {
        return Undo::manual("a DO block runs procedural code whose effects unmigrate cannot see; write its reverse by hand");
    }
    let kind = format!("{node:?}");
    let kind = kind.split('(').next().unwrap_or("statement");
    Undo::manual(format!(
        "{kind} has no undo rule in unmigrate yet; write its reverse by hand"
    ))
}
