//! The impact of each kind of statement; `ALTER TABLE` has a file of its own.

use super::alter_table::alter_table;
use super::reads::reads;
use super::{relation, table, Impact, LockMode};
use crate::explain::Context;
use crate::sql::blocks::{has_concurrently, outside_transaction_only};
use crate::sql::quote::Ident;
use crate::sql::{pb, NodeEnum, QName};

/// The documented impact of one statement.
pub fn of(ctx: &Context<'_>, node: &NodeEnum) -> Impact {
    use LockMode::*;
    let mut impact = Impact::default();
    if let Some(what) = outside_transaction_only(node) {
        impact.outside_transaction = Some(format!("{what} cannot run inside a transaction block"));
    }
    match node {
        NodeEnum::CreateStmt(s) => {
            for target in foreign_keys_of_create(s) {
                if Some(&target) != s.relation.as_ref().map(QName::from_range_var).as_ref() {
                    impact.lock(ShareRowExclusive, table(ctx, &target));
                }
            }
            if let Some(parent) = s.inh_relations.first().and_then(range_var) {
                if s.partbound.is_some() {
                    impact.lock(AccessExclusive, table(ctx, &parent));
                    impact.note("CREATE TABLE … PARTITION OF locks the parent ACCESS EXCLUSIVE; ATTACH PARTITION takes only SHARE UPDATE EXCLUSIVE on it");
                }
            }
        }
        NodeEnum::IndexStmt(s) => index(ctx, s, &mut impact),
        NodeEnum::DropStmt(s) => drop(ctx, s, &mut impact),
        NodeEnum::AlterTableStmt(s) => alter_table(ctx, s, &mut impact),
        NodeEnum::RenameStmt(s) => rename(ctx, s, &mut impact),
        NodeEnum::AlterEnumStmt(s) => {
            let name = QName::from_name_nodes(&s.type_name);
            impact.lock(Exclusive, relation(ctx, &name, "type"));
            if s.old_val.is_empty() {
                impact.note("the new value cannot be used until the transaction that adds it commits (PostgreSQL ≥ 12; before 12, ADD VALUE cannot run in a transaction block at all)");
            }
        }
        NodeEnum::CreateTrigStmt(s) => {
            if let Some(rv) = &s.relation {
                impact.lock(ShareRowExclusive, table(ctx, &QName::from_range_var(rv)));
            }
        }
        NodeEnum::CommentStmt(s) => comment(ctx, s, &mut impact),
        NodeEnum::ViewStmt(s) => {
            if let Some(rv) = &s.view {
                let name = QName::from_range_var(rv);
                if s.replace && ctx.catalog.views.contains_key(&name) {
                    impact.lock(AccessExclusive, relation(ctx, &name, "view"));
                }
            }
        }
        NodeEnum::VacuumStmt(s) => {
            let full = s.options.iter().any(|o| {
                matches!(&o.node, Some(NodeEnum::DefElem(d)) if d.defname == "full")
            });
            for name in vacuum_targets(s) {
                let on = table(ctx, &name);
                if full {
                    impact.lock(AccessExclusive, on.clone());
                    impact.rewrite(on, "VACUUM FULL copies the table into new storage");
                } else {
                    impact.lock(ShareUpdateExclusive, on.clone());
                    impact.scan(on, if s.is_vacuumcmd { "VACUUM" } else { "ANALYZE samples it" });
                }
            }
            if full {
                impact.outside_transaction = Some("VACUUM cannot run inside a transaction block".into());
            }
        }
        NodeEnum::ClusterStmt(s) => match &s.relation {
            Some(rv) => {
                let on = table(ctx, &QName::from_range_var(rv));
                impact.lock(AccessExclusive, on.clone());
                impact.rewrite(on, "CLUSTER copies the table in index order");
            }
            None => {
                impact.outside_transaction =
                    Some("CLUSTER without a table cannot run inside a transaction block".into());
            }
        },
        NodeEnum::ReindexStmt(s) => {
            let concurrently = has_concurrently(&s.params);
            if let Some(rv) = &s.relation {
                let name = QName::from_range_var(rv);
                let is_index = s.kind == pb::ReindexObjectType::ReindexObjectIndex as i32;
                let (tbl, idx) = if is_index {
                    let t = ctx.catalog.indexes.get(&name).map(|i| i.table.clone());
                    (t, Some(name))
                } else {
                    (Some(name), None)
                };
                if let Some(t) = &tbl {
                    let on = table(ctx, t);
                    impact.lock(if concurrently { ShareUpdateExclusive } else { Share }, on.clone());
                    impact.scan(on, "the index is rebuilt from the table");
                }
                if let (Some(i), false) = (idx, concurrently) {
                    impact.lock(AccessExclusive, relation(ctx, &i, "index"));
                    impact.note("REINDEX locks the index ACCESS EXCLUSIVE: queries that would use it wait");
                }
            } else {
                impact.outside_transaction = Some(
                    "REINDEX SCHEMA/DATABASE/SYSTEM cannot run inside a transaction block".into(),
                );
            }
        }
        NodeEnum::RefreshMatViewStmt(s) => {
            if let Some(rv) = &s.relation {
                let on = relation(ctx, &QName::from_range_var(rv), "view");
                if s.concurrent {
                    impact.lock(Exclusive, on.clone());
                    impact.scan(on, "the query is re-run and diffed against the old contents");
                } else {
                    impact.lock(AccessExclusive, on.clone());
                    impact.rewrite(on, "the materialized view is refilled");
                }
            }
        }
        NodeEnum::TruncateStmt(s) => {
            for name in s.relations.iter().filter_map(range_var) {
                let on = table(ctx, &name);
                impact.lock(AccessExclusive, on.clone());
                impact.note(format!("TRUNCATE empties {} into new storage", on.name));
            }
        }
        NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_) => {
            let target = match node {
                NodeEnum::InsertStmt(s) => s.relation.as_ref(),
                NodeEnum::UpdateStmt(s) => s.relation.as_ref(),
                NodeEnum::DeleteStmt(s) => s.relation.as_ref(),
                _ => None,
            };
            if let Some(rv) = target {
                impact.lock(RowExclusive, table(ctx, &QName::from_range_var(rv)));
            }
            if !matches!(node, NodeEnum::InsertStmt(_)) {
                impact.note("row locks on every row it changes, held until its transaction commits");
            }
        }
        NodeEnum::LockStmt(s) => {
            let mode = LockMode::from_lockdefs_number(s.mode);
            for name in s.relations.iter().filter_map(range_var) {
                impact.lock(mode, table(ctx, &name));
            }
        }
        NodeEnum::DoStmt(_) => {
            impact.note("a DO block runs arbitrary code: its locks and scans cannot be known without running it")
        }
        _ => {}
    }
    reads(ctx, node, &mut impact);
    impact.finish()
}

/// What `COMMENT ON` locks, as `pg_locks` shows it on PostgreSQL 15: SHARE UPDATE EXCLUSIVE
/// on the object commented on (the table of a column); for a trigger or a table's constraint,
/// the lock is on that object, and its table gets ACCESS SHARE.
fn comment(ctx: &Context<'_>, s: &pb::CommentStmt, impact: &mut Impact) {
    use pb::ObjectType as O;
    let names = match s.object.as_deref().and_then(|o| o.node.as_ref()) {
        Some(NodeEnum::List(list)) => crate::sql::string_list(&list.items),
        Some(NodeEnum::TypeName(t)) => crate::sql::string_list(&t.names),
        _ => return,
    };
    let Some((_, owner)) = names.split_last() else {
        return;
    };
    let name = QName::from_names(&names);
    let mode = LockMode::ShareUpdateExclusive;
    match O::try_from(s.objtype).unwrap_or(O::Undefined) {
        O::ObjectTable | O::ObjectForeignTable => impact.lock(mode, table(ctx, &name)),
        O::ObjectColumn if !owner.is_empty() => {
            impact.lock(mode, table(ctx, &QName::from_names(owner)))
        }
        O::ObjectIndex => impact.lock(mode, relation(ctx, &name, "index")),
        O::ObjectView | O::ObjectMatview => impact.lock(mode, relation(ctx, &name, "view")),
        O::ObjectSequence => impact.lock(mode, relation(ctx, &name, "sequence")),
        O::ObjectType | O::ObjectDomain => impact.lock(mode, relation(ctx, &name, "type")),
        O::ObjectTrigger | O::ObjectTabconstraint if !owner.is_empty() => {
            impact.lock(LockMode::AccessShare, table(ctx, &QName::from_names(owner)))
        }
        _ => {}
    }
}

fn range_var(node: &pb::Node) -> Option<QName> {
    match &node.node {
        Some(NodeEnum::RangeVar(rv)) => Some(QName::from_range_var(rv)),
        _ => None,
    }
}

/// The tables referenced by foreign keys declared in a `CREATE TABLE`.
fn foreign_keys_of_create(s: &pb::CreateStmt) -> Vec<QName> {
    let mut out = Vec::new();
    let mut visit = |c: &pb::Constraint| {
        if c.contype == pb::ConstrType::ConstrForeign as i32 {
            if let Some(rv) = &c.pktable {
                out.push(QName::from_range_var(rv));
            }
        }
    };
    for elt in &s.table_elts {
        match &elt.node {
            Some(NodeEnum::Constraint(c)) => visit(c),
            Some(NodeEnum::ColumnDef(d)) => {
                for c in &d.constraints {
                    if let Some(NodeEnum::Constraint(c)) = &c.node {
                        visit(c);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn vacuum_targets(s: &pb::VacuumStmt) -> Vec<QName> {
    s.rels
        .iter()
        .filter_map(|r| match &r.node {
            Some(NodeEnum::VacuumRelation(v)) => v.relation.as_ref().map(QName::from_range_var),
            _ => None,
        })
        .collect()
}

fn index(ctx: &Context<'_>, s: &pb::IndexStmt, impact: &mut Impact) {
    let Some(rv) = &s.relation else { return };
    let on = table(ctx, &QName::from_range_var(rv));
    if s.concurrent {
        impact.lock(LockMode::ShareUpdateExclusive, on.clone());
        impact.scan(on, "two scans while writes continue; it first waits for every transaction that could see the table to end, and a failure leaves an INVALID index to drop");
    } else {
        impact.lock(LockMode::Share, on.clone());
        impact.scan(on, "the index is built from the whole table");
    }
    if s.unique {
        impact.note("a UNIQUE index fails if existing rows hold duplicates");
    }
}

fn drop(ctx: &Context<'_>, s: &pb::DropStmt, impact: &mut Impact) {
    use pb::ObjectType as O;
    let kind = O::try_from(s.remove_type).unwrap_or(O::Undefined);
    for object in &s.objects {
        let Some(NodeEnum::List(list)) = &object.node else {
            if kind == O::ObjectType {
                if let Some(NodeEnum::TypeName(t)) = &object.node {
                    let name = QName::from_name_nodes(&t.names);
                    impact.lock(LockMode::AccessExclusive, relation(ctx, &name, "type"));
                }
            }
            continue;
        };
        let name = QName::from_name_nodes(&list.items);
        match kind {
            O::ObjectTable => {
                impact.lock(LockMode::AccessExclusive, table(ctx, &name));
                for (referencing, fk) in ctx.catalog.foreign_keys_into(&name) {
                    if referencing.name != name {
                        impact.lock(LockMode::AccessExclusive, table(ctx, &referencing.name));
                        impact.note(format!(
                            "{} is locked too: CASCADE drops its foreign key {} (checked on PostgreSQL 15)",
                            referencing.name,
                            Ident(&fk.name)
                        ));
                    }
                }
                if let Some(t) = ctx.catalog.table(&name) {
                    for c in &t.constraints {
                        if let Some((target, _)) = &c.references {
                            if target != &name {
                                impact.lock(LockMode::AccessExclusive, table(ctx, target));
                                impact.note(format!("{target} is locked too, to remove the foreign key's triggers (checked on PostgreSQL 15)"));
                            }
                        }
                    }
                }
            }
            O::ObjectIndex => {
                let tbl = ctx.catalog.indexes.get(&name).map(|i| i.table.clone());
                let mode = if s.concurrent {
                    LockMode::ShareUpdateExclusive
                } else {
                    LockMode::AccessExclusive
                };
                match tbl {
                    Some(t) => impact.lock(mode, table(ctx, &t)),
                    None => impact.note(format!(
                        "DROP INDEX locks the index's table {mode} (the model does not know which table {name} is on)"
                    )),
                }
                if s.concurrent {
                    impact.note("DROP INDEX CONCURRENTLY waits for every transaction using the table to end");
                }
            }
            O::ObjectView | O::ObjectMatview => {
                impact.lock(LockMode::AccessExclusive, relation(ctx, &name, "view"))
            }
            O::ObjectSequence => {
                impact.lock(LockMode::AccessExclusive, relation(ctx, &name, "sequence"))
            }
            O::ObjectTrigger => {
                // `pg_locks` on PostgreSQL 15: ACCESS EXCLUSIVE on the trigger's table, as
                // its removal takes (not the SHARE ROW EXCLUSIVE of CREATE TRIGGER).
                let names = crate::sql::string_list(&list.items);
                if let Some((_, on)) = names.split_last().filter(|(_, on)| !on.is_empty()) {
                    impact.lock(
                        LockMode::AccessExclusive,
                        table(ctx, &QName::from_names(on)),
                    );
                }
            }
            _ => {}
        }
    }
}

fn rename(ctx: &Context<'_>, s: &pb::RenameStmt, impact: &mut Impact) {
    use pb::ObjectType as O;
    if s.rename_type == O::ObjectType as i32 {
        // Checked on PostgreSQL 15: pg_locks shows no lock on the type object, and none on
        // the tables whose columns use it.
        impact.note("renaming a type takes no heavyweight lock on it or on the tables using it");
        return;
    }
    let Some(rv) = &s.relation else { return };
    let name = QName::from_range_var(rv);
    match O::try_from(s.rename_type).unwrap_or(O::Undefined) {
        O::ObjectIndex => impact.lock(
            LockMode::ShareUpdateExclusive,
            relation(ctx, &name, "index"),
        ),
        O::ObjectView | O::ObjectMatview => {
            impact.lock(LockMode::AccessExclusive, relation(ctx, &name, "view"))
        }
        O::ObjectSequence => {
            impact.lock(LockMode::AccessExclusive, relation(ctx, &name, "sequence"))
        }
        _ => impact.lock(LockMode::AccessExclusive, table(ctx, &name)),
    }
}
