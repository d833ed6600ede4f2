//! The locks a statement takes on the tables it only reads, or writes through a `WITH`.

use super::{relation, table, Impact, LockMode};
use crate::explain::Context;
use crate::sql::refs::relation_refs;
use crate::sql::{NodeEnum, QName};

/// Tables a data-modifying `WITH` (`WITH x AS (INSERT …) …`) writes to.
fn written_in_with(node: &NodeEnum) -> Vec<QName> {
    let with = match node {
        NodeEnum::InsertStmt(s) => s.with_clause.as_ref(),
        NodeEnum::UpdateStmt(s) => s.with_clause.as_ref(),
        NodeEnum::DeleteStmt(s) => s.with_clause.as_ref(),
        _ => None,
    };
    let mut written = Vec::new();
    for cte in with.into_iter().flat_map(|w| &w.ctes) {
        let Some(NodeEnum::CommonTableExpr(cte)) = &cte.node else {
            continue;
        };
        let target = match cte.ctequery.as_deref().and_then(|q| q.node.as_ref()) {
            Some(NodeEnum::InsertStmt(s)) => s.relation.as_ref(),
            Some(NodeEnum::UpdateStmt(s)) => s.relation.as_ref(),
            Some(NodeEnum::DeleteStmt(s)) => s.relation.as_ref(),
            _ => None,
        };
        written.extend(target.map(QName::from_range_var));
    }
    written
}

/// Tables and views a statement reads besides the one it changes (a view's query, the
/// `SELECT` of an `INSERT`, `UPDATE … FROM`, `DELETE … USING`): ACCESS SHARE on each, as any
/// query takes. It conflicts only with ACCESS EXCLUSIVE, but that is what a concurrent
/// migration on those tables would need. Measured on PostgreSQL 15 by `drill --trace`.
pub(super) fn reads(ctx: &Context<'_>, node: &NodeEnum, impact: &mut Impact) {
    let reading = matches!(
        node,
        NodeEnum::ViewStmt(_)
            | NodeEnum::CreateTableAsStmt(_)
            | NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
    );
    if !reading {
        return;
    }
    let target = match node {
        NodeEnum::ViewStmt(s) => s.view.as_ref(),
        NodeEnum::CreateTableAsStmt(s) => s.into.as_ref().and_then(|i| i.rel.as_ref()),
        NodeEnum::InsertStmt(s) => s.relation.as_ref(),
        NodeEnum::UpdateStmt(s) => s.relation.as_ref(),
        NodeEnum::DeleteStmt(s) => s.relation.as_ref(),
        _ => None,
    }
    .map(QName::from_range_var);
    let written = written_in_with(node);
    for name in &written {
        if Some(name) != target.as_ref() && ctx.catalog.tables.contains_key(name) {
            impact.lock(LockMode::RowExclusive, table(ctx, name));
        }
    }
    // Each row written with a non-NULL (or, for UPDATE, changed) foreign key is checked
    // against the referenced table with `SELECT … FOR KEY SHARE`, which takes ROW SHARE there.
    // That depends on the data, so it is a note, not a lock the statement always takes.
    if let (NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_), Some(t)) = (node, &target) {
        let referenced: Vec<String> = ctx
            .catalog
            .table(t)
            .into_iter()
            .flat_map(|model| &model.constraints)
            .filter_map(|c| c.references.as_ref().map(|(r, _)| r))
            .filter(|r| *r != t)
            .map(ToString::to_string)
            .collect();
        if !referenced.is_empty() {
            impact.note(format!(
                "rows written with a foreign key set are checked against {} (ROW SHARE there, FOR KEY SHARE on the rows found)",
                referenced.join(", ")
            ));
        }
    }
    // Each row deleted from a table other tables reference is looked up in each of them by
    // the foreign key's trigger: ROW SHARE there for NO ACTION or RESTRICT, ROW EXCLUSIVE for
    // CASCADE, SET NULL or SET DEFAULT (measured by `drill --trace` on PostgreSQL 15). That too
    // depends on the rows, so it is a note.
    if let (NodeEnum::DeleteStmt(_), Some(t)) = (node, &target) {
        let mut referencing: Vec<String> = ctx
            .catalog
            .foreign_keys_into(t)
            .map(|(from, _)| &from.name)
            .filter(|from| *from != t)
            .map(ToString::to_string)
            .collect();
        referencing.dedup();
        if !referencing.is_empty() {
            impact.note(format!(
                "each row deleted is checked against the tables whose foreign keys reference it, {} (ROW SHARE there; ROW EXCLUSIVE where the key cascades or sets a value)",
                referencing.join(", ")
            ));
        }
    }
    let wrapped = crate::sql::build::node(node.clone());
    for name in relation_refs(&wrapped) {
        if Some(&name) == target.as_ref() || written.contains(&name) {
            continue;
        }
        // Names the model does not hold are CTEs or temporary relations.
        if ctx.catalog.tables.contains_key(&name) {
            impact.lock(LockMode::AccessShare, table(ctx, &name));
        } else if ctx.catalog.views.contains_key(&name) {
            impact.lock(LockMode::AccessShare, relation(ctx, &name, "view"));
        }
    }
}
