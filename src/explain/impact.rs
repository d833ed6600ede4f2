//! What a statement does to a live system, as PostgreSQL documents it: the heavyweight locks
//! it takes and on what, whether it rewrites or scans a table, and whether it may run in a
//! transaction block. One table of facts, kept in step with
//! `../shared/notes/postgres-ddl-facts.md`, whose rows were verified on PostgreSQL 15.18.
//! Checked on PostgreSQL 15 while writing this (pg_locks of the session, relfilenode):
//! `ADD FOREIGN KEY` takes SHARE ROW EXCLUSIVE on both tables (not ACCESS EXCLUSIVE on the
//! referencing one), `CREATE TABLE … REFERENCES` SHARE ROW EXCLUSIVE on the referenced table,
//! `DROP TABLE` ACCESS EXCLUSIVE on tables its foreign keys reference, `PARTITION OF` ACCESS
//! EXCLUSIVE on the parent, `COMMENT ON TABLE` SHARE UPDATE EXCLUSIVE, and the widening type
//! changes in `super::rewrite` keep the relfilenode. Nothing here is measured at run time;
//! the drill's lock trace is what measures.

use std::fmt;

use serde::Serialize;

use super::rewrite::{self, Rewrite};
use super::Context;
use crate::catalog::relation_refs;
use crate::sql::blocks::{has_concurrently, outside_transaction_only};
use crate::sql::names::quote_for_message;
use crate::sql::{pb, NodeEnum, QName};
use pb::AlterTableType as At;

/// PostgreSQL's table-level lock modes, weakest first
/// (<https://www.postgresql.org/docs/current/explicit-locking.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    /// What the lock stops other sessions from doing while it is held.
    pub fn blocks(self) -> &'static str {
        match self {
            LockMode::AccessShare | LockMode::RowShare | LockMode::RowExclusive => {
                "reads and writes continue"
            }
            LockMode::ShareUpdateExclusive => "reads and writes continue; other DDL waits",
            LockMode::Share | LockMode::ShareRowExclusive => "blocks writes, reads continue",
            LockMode::Exclusive => "blocks writes and SELECT … FOR UPDATE; plain reads continue",
            LockMode::AccessExclusive => "blocks reads and writes",
        }
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        })
    }
}

/// A relation (or type) a statement acts on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Relation {
    pub name: String,
    /// `table`, `index`, `view`, `sequence` or `type`.
    pub kind: &'static str,
    /// Created by the same migration: empty and unused, so a lock or rewrite costs nothing.
    pub new: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lock {
    pub mode: LockMode,
    pub on: Relation,
}

/// A table rewritten or scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub on: Relation,
    pub why: String,
}

/// The documented cost of one statement.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Impact {
    /// The strongest lock on each relation, strongest first.
    pub locks: Vec<Lock>,
    /// Tables copied into new storage (with all their indexes), and why.
    pub rewrites: Vec<Cost>,
    /// Tables read in full without being rewritten, and why.
    pub scans: Vec<Cost>,
    /// Why the statement cannot run inside a transaction block, if it cannot.
    pub outside_transaction: Option<String>,
    /// Further facts: what the statement may fail on, what it waits for.
    pub notes: Vec<String>,
}

impl Impact {
    fn lock(&mut self, mode: LockMode, on: Relation) {
        match self.locks.iter_mut().find(|l| l.on == on) {
            Some(l) => l.mode = l.mode.max(mode),
            None => self.locks.push(Lock { mode, on }),
        }
    }

    fn rewrite(&mut self, on: Relation, why: impl Into<String>) {
        if !self.rewrites.iter().any(|c| c.on == on) {
            self.rewrites.push(Cost {
                on,
                why: why.into(),
            });
        }
    }

    fn scan(&mut self, on: Relation, why: impl Into<String>) {
        if !self.scans.iter().any(|c| c.on == on) {
            self.scans.push(Cost {
                on,
                why: why.into(),
            });
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    fn finish(mut self) -> Self {
        self.locks.sort_by_key(|l| std::cmp::Reverse(l.mode));
        // A rewritten table is not also reported as scanned.
        let rewritten: Vec<Relation> = self.rewrites.iter().map(|c| c.on.clone()).collect();
        self.scans.retain(|c| !rewritten.contains(&c.on));
        self
    }
}

fn relation(ctx: &Context, name: &QName, kind: &'static str) -> Relation {
    Relation {
        name: name.to_string(),
        kind,
        new: !ctx.existing(name),
    }
}

fn table(ctx: &Context, name: &QName) -> Relation {
    relation(ctx, name, "table")
}

/// The documented impact of one statement.
pub fn of(ctx: &Context, node: &NodeEnum) -> Impact {
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
        NodeEnum::CommentStmt(s) => {
            if let Some(name) = commented_table(s) {
                impact.lock(ShareUpdateExclusive, table(ctx, &name));
            }
        }
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
            let mode = lock_mode_number(s.mode);
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
fn reads(ctx: &Context, node: &NodeEnum, impact: &mut Impact) {
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

/// The table a `COMMENT ON TABLE` or `COMMENT ON COLUMN` is about.
fn commented_table(s: &pb::CommentStmt) -> Option<QName> {
    use pb::ObjectType as O;
    let Some(NodeEnum::List(list)) = s.object.as_deref().and_then(|o| o.node.as_ref()) else {
        return None;
    };
    let names = crate::sql::string_list(&list.items);
    match O::try_from(s.objtype).ok()? {
        O::ObjectTable => Some(QName::from_names(&names)),
        O::ObjectColumn if names.len() > 1 => Some(QName::from_names(&names[..names.len() - 1])),
        _ => None,
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

fn lock_mode_number(mode: i32) -> LockMode {
    use LockMode::*;
    // lockdefs.h: AccessShareLock = 1 … AccessExclusiveLock = 8.
    match mode {
        1 => AccessShare,
        2 => RowShare,
        3 => RowExclusive,
        4 => ShareUpdateExclusive,
        5 => Share,
        6 => ShareRowExclusive,
        7 => Exclusive,
        _ => AccessExclusive,
    }
}

fn index(ctx: &Context, s: &pb::IndexStmt, impact: &mut Impact) {
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

fn drop(ctx: &Context, s: &pb::DropStmt, impact: &mut Impact) {
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
                            quote_for_message(&fk.name)
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
            _ => {}
        }
    }
}

fn rename(ctx: &Context, s: &pb::RenameStmt, impact: &mut Impact) {
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

fn alter_table(ctx: &Context, s: &pb::AlterTableStmt, impact: &mut Impact) {
    let Some(rv) = &s.relation else { return };
    let name = QName::from_range_var(rv);
    if s.objtype == pb::ObjectType::ObjectIndex as i32 {
        impact.lock(
            LockMode::ShareUpdateExclusive,
            relation(ctx, &name, "index"),
        );
        return;
    }
    let on = table(ctx, &name);
    for cmd in &s.cmds {
        if let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node {
            alter_table_cmd(ctx, &name, &on, cmd, impact);
        }
    }
}

/// One `ALTER TABLE` command. Locks follow `AlterTableGetLockLevel` as the documentation of
/// ALTER TABLE describes it: ACCESS EXCLUSIVE unless a command is documented weaker.
fn alter_table_cmd(
    ctx: &Context,
    name: &QName,
    on: &Relation,
    cmd: &pb::AlterTableCmd,
    impact: &mut Impact,
) {
    use LockMode::*;
    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
    match subtype {
        At::AtAddColumn => {
            impact.lock(AccessExclusive, on.clone());
            if let Some(NodeEnum::ColumnDef(d)) = def {
                match rewrite::add_column(d) {
                    Rewrite::Yes(why) => impact.rewrite(on.clone(), why),
                    Rewrite::Maybe(why) => impact.note(format!("may rewrite {}: {why}", on.name)),
                    Rewrite::No => {}
                }
                for c in inline_constraints(d) {
                    constraint(ctx, on, c, impact);
                }
            }
        }
        At::AtAlterColumnType => {
            impact.lock(AccessExclusive, on.clone());
            if let Some(NodeEnum::ColumnDef(d)) = def {
                match column_type_rewrite(ctx, name, &cmd.name, d) {
                    Rewrite::Yes(why) => impact.rewrite(on.clone(), why),
                    Rewrite::Maybe(why) => impact.note(format!("may rewrite {}: {why}", on.name)),
                    Rewrite::No => impact.note(format!(
                        "{}: the new type is binary-coercible, so no rewrite (indexes on the column may still be rebuilt)",
                        quote_for_message(&cmd.name)
                    )),
                }
            }
        }
        At::AtSetNotNull => {
            impact.lock(AccessExclusive, on.clone());
            if !has_valid_not_null_check(ctx, name, &cmd.name) {
                impact.scan(on.clone(), format!("SET NOT NULL checks every row of {} (skipped only when a valid CHECK ({} IS NOT NULL) exists)", on.name, quote_for_message(&cmd.name)));
            }
            impact.note("fails if any row holds NULL");
        }
        At::AtAddConstraint => {
            // A foreign key alone needs only SHARE ROW EXCLUSIVE (on both tables); every other
            // constraint takes ACCESS EXCLUSIVE.
            let foreign = matches!(def, Some(NodeEnum::Constraint(c)) if c.contype == pb::ConstrType::ConstrForeign as i32);
            if !foreign {
                impact.lock(AccessExclusive, on.clone());
            }
            if let Some(NodeEnum::Constraint(c)) = def {
                constraint(ctx, on, c, impact);
            }
        }
        At::AtValidateConstraint => {
            impact.lock(ShareUpdateExclusive, on.clone());
            impact.scan(on.clone(), "VALIDATE CONSTRAINT checks every row");
            let fk = ctx
                .catalog
                .table(name)
                .and_then(|t| t.constraint(&cmd.name))
                .and_then(|c| c.references.clone());
            if let Some((target, _)) = fk {
                impact.lock(RowShare, table(ctx, &target));
            }
        }
        At::AtDropConstraint => {
            impact.lock(AccessExclusive, on.clone());
            let references = ctx
                .catalog
                .table(name)
                .and_then(|t| t.constraint(&cmd.name))
                .and_then(|c| c.references.clone());
            if let Some((target, _)) = references.filter(|(target, _)| target != name) {
                impact.lock(AccessExclusive, table(ctx, &target));
                impact.note(format!(
                    "{target} is locked too, to remove the foreign key's triggers (measured on PostgreSQL 15)"
                ));
            }
        }
        At::AtAttachPartition => {
            impact.lock(ShareUpdateExclusive, on.clone());
            if let Some(NodeEnum::PartitionCmd(p)) = def {
                if let Some(rv) = &p.name {
                    let part = table(ctx, &QName::from_range_var(rv));
                    impact.lock(AccessExclusive, part.clone());
                    impact.scan(part, "the partition constraint is checked on every row, unless a matching valid CHECK exists");
                }
            }
        }
        At::AtDetachPartition => {
            let concurrent = matches!(def, Some(NodeEnum::PartitionCmd(p)) if p.concurrent);
            impact.lock(
                if concurrent {
                    ShareUpdateExclusive
                } else {
                    AccessExclusive
                },
                on.clone(),
            );
            if let Some(NodeEnum::PartitionCmd(p)) = def {
                if let Some(rv) = &p.name {
                    impact.lock(AccessExclusive, table(ctx, &QName::from_range_var(rv)));
                }
            }
        }
        At::AtSetLogged | At::AtSetUnLogged | At::AtSetTableSpace | At::AtSetAccessMethod => {
            impact.lock(AccessExclusive, on.clone());
            impact.rewrite(on.clone(), "the table is copied into new storage");
        }
        At::AtSetRelOptions
        | At::AtResetRelOptions
        | At::AtSetStatistics
        | At::AtClusterOn
        | At::AtDropCluster => impact.lock(ShareUpdateExclusive, on.clone()),
        At::AtEnableTrig
        | At::AtEnableAlwaysTrig
        | At::AtEnableReplicaTrig
        | At::AtDisableTrig
        | At::AtEnableTrigAll
        | At::AtDisableTrigAll
        | At::AtEnableTrigUser
        | At::AtDisableTrigUser => impact.lock(ShareRowExclusive, on.clone()),
        _ => impact.lock(AccessExclusive, on.clone()),
    }
}

fn inline_constraints(d: &pb::ColumnDef) -> impl Iterator<Item = &pb::Constraint> {
    d.constraints.iter().filter_map(|c| match &c.node {
        Some(NodeEnum::Constraint(c)) => Some(&**c),
        _ => None,
    })
}

/// Locks and scans of adding one constraint (also inline in `ADD COLUMN`).
fn constraint(ctx: &Context, on: &Relation, c: &pb::Constraint, impact: &mut Impact) {
    use pb::ConstrType as C;
    match C::try_from(c.contype).unwrap_or(C::Undefined) {
        C::ConstrForeign => {
            impact.lock(LockMode::ShareRowExclusive, on.clone());
            if let Some(rv) = &c.pktable {
                let target = table(ctx, &QName::from_range_var(rv));
                impact.lock(LockMode::ShareRowExclusive, target.clone());
                if !c.skip_validation {
                    impact.scan(
                        on.clone(),
                        "every row is checked against the referenced table",
                    );
                    impact.scan(target, "looked up for every referencing row");
                }
            }
        }
        C::ConstrCheck if !c.skip_validation => {
            impact.scan(on.clone(), "the CHECK is evaluated on every row");
        }
        C::ConstrPrimary | C::ConstrUnique | C::ConstrExclusion if c.indexname.is_empty() => {
            impact.scan(
                on.clone(),
                "the constraint's index is built from the whole table",
            );
            impact.note("fails if existing rows hold duplicates (or NULLs, for a primary key)");
        }
        C::ConstrPrimary if !c.indexname.is_empty() => {
            impact.note("a primary key USING INDEX sets NOT NULL on its columns, which scans the table when they are nullable");
        }
        _ => {}
    }
}

/// Whether the model holds a validated `CHECK (column IS NOT NULL)` on the table, which
/// lets `SET NOT NULL` skip its scan (PostgreSQL ≥ 12).
pub fn has_valid_not_null_check(ctx: &Context, table: &QName, column: &str) -> bool {
    let Some(t) = ctx.catalog.table(table) else {
        return false;
    };
    t.constraints.iter().any(|c| {
        c.kind == crate::catalog::ConstraintKind::Check
            && !c.not_valid
            && matches!(
                c.def.raw_expr.as_deref().and_then(|e| e.node.as_ref()),
                Some(NodeEnum::NullTest(n))
                    if n.nulltesttype == pb::NullTestType::IsNotNull as i32
                        && n.arg.as_deref().is_some_and(|a| crate::catalog::column_refs(a) == [column.to_string()])
            )
    })
}

/// Whether `ALTER COLUMN … TYPE` rewrites, from the column's type in the model.
pub fn column_type_rewrite(
    ctx: &Context,
    table: &QName,
    column: &str,
    d: &pb::ColumnDef,
) -> Rewrite {
    let Some(new) = &d.type_name else {
        return Rewrite::Maybe("no new type".into());
    };
    let old = ctx
        .catalog
        .table(table)
        .and_then(|t| t.column(column))
        .map(|c| &c.type_name);
    match old {
        Some(old) => rewrite::type_change(old, new, d.raw_default.as_deref(), column),
        None => Rewrite::Maybe(format!(
            "the model does not know the current type of {column}; the table is rewritten unless the change is binary-coercible"
        )),
    }
}
