//! Values a migration copied from one column into another (`UPDATE t SET new = old`), so an
//! undo that empties or drops `old` can move them back from `new` before `new` is dropped.
//! Kept while a migration is folded, from statement to statement, and forgotten at its end.
//!
//! A copy counts only into a column the same migration added without a default and nothing
//! else wrote since: then `new` holds exactly the copied values and NULL elsewhere.

use super::Catalog;
use crate::sql::{pb, string_list, NodeEnum, QName};
use pb::AlterTableType as At;

/// The copies made so far in the migration being folded.
#[derive(Debug, Clone, Default)]
pub struct Moves {
    /// Columns the migration added without a default that no statement has written yet.
    fresh: Vec<(QName, String)>,
    copies: Vec<ColumnCopy>,
    /// Columns the migration added to a table that stood before it, and that were not there
    /// before (an `ADD COLUMN IF NOT EXISTS` that met one adds nothing): the undo drops them.
    added: Vec<(QName, String)>,
    /// Tables the migration created, `CREATE TABLE IF NOT EXISTS` of one that did not stand
    /// included: the undo drops them, and the rows written to them with them.
    created: Vec<QName>,
}

/// `UPDATE table SET into = from` (or `from::text`, `via_text`) into a fresh column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnCopy {
    pub table: QName,
    pub into: String,
    pub from: String,
    pub via_text: bool,
}

impl Moves {
    /// The copies of `from` in `table` made earlier in the migration.
    pub fn copies_of<'a>(
        &'a self,
        table: &'a QName,
        from: &'a str,
    ) -> impl Iterator<Item = &'a ColumnCopy> + 'a {
        self.copies
            .iter()
            .filter(move |c| &c.table == table && c.from == from)
    }

    /// Follows one statement of the migration, before the model folds it.
    pub(super) fn observe(&mut self, catalog: &Catalog, stmt: &NodeEnum) {
        match stmt {
            NodeEnum::AlterTableStmt(a) => {
                let Some(table) = a.relation.as_ref().map(QName::from_range_var) else {
                    return;
                };
                for cmd in &a.cmds {
                    if let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node {
                        self.note_added(catalog, &table, cmd);
                        self.alter(&table, cmd);
                    }
                }
            }
            NodeEnum::RenameStmt(r) => self.rename(r),
            NodeEnum::CreateStmt(c) => {
                let table = c.relation.as_ref().map(QName::from_range_var);
                if let Some(table) = table.filter(|t| catalog.table(t).is_none()) {
                    self.created.push(table);
                }
            }
            NodeEnum::UpdateStmt(u) => {
                let Some(table) = u.relation.as_ref().map(QName::from_range_var) else {
                    return;
                };
                let made = copies_in(catalog, u, |c| self.is_fresh(&table, c));
                for target in targets(u) {
                    self.written(&table, target);
                }
                self.copies.extend(made);
            }
            NodeEnum::InsertStmt(i) => {
                if let Some(table) = i.relation.as_ref().map(QName::from_range_var) {
                    self.fresh.retain(|(t, _)| t != &table);
                    self.copies.retain(|c| c.table != table);
                }
            }
            _ => {}
        }
    }

    /// Forgets everything at the end of a migration.
    pub(super) fn clear(&mut self) {
        self.fresh.clear();
        self.copies.clear();
        self.added.clear();
        self.created.clear();
    }

    /// Whether the migration so far created `table` (it did not stand before).
    pub fn created(&self, table: &QName) -> bool {
        self.created.contains(table)
    }

    /// Whether the migration so far added `column` to `table`, which stood before it, where
    /// no such column was (see `added`).
    pub fn added(&self, table: &QName, column: &str) -> bool {
        self.added.iter().any(|(t, c)| t == table && c == column)
    }

    fn note_added(&mut self, catalog: &Catalog, table: &QName, cmd: &pb::AlterTableCmd) {
        let Some(NodeEnum::ColumnDef(def)) = cmd.def.as_deref().and_then(|d| d.node.as_ref())
        else {
            if cmd.subtype == At::AtDropColumn as i32 {
                self.added.retain(|(t, c)| !(t == table && c == &cmd.name));
            }
            return;
        };
        let absent = catalog
            .table(table)
            .is_some_and(|t| t.columns.get(&def.colname).is_none());
        if cmd.subtype == At::AtAddColumn as i32 && absent {
            self.added.push((table.clone(), def.colname.clone()));
        }
    }

    /// Whether `column` of `table` was added by the migration without a default and not
    /// written since.
    pub fn is_fresh(&self, table: &QName, column: &str) -> bool {
        self.fresh.iter().any(|(t, c)| t == table && c == column)
    }

    /// `column` was written (or changed type): it is no longer fresh, and no longer holds a
    /// copy; a copy *from* it stays (that is the point of a move).
    fn written(&mut self, table: &QName, column: &str) {
        self.fresh.retain(|(t, c)| !(t == table && c == column));
        self.copies
            .retain(|c| !(&c.table == table && c.into == column));
    }

    fn alter(&mut self, table: &QName, cmd: &pb::AlterTableCmd) {
        match At::try_from(cmd.subtype).unwrap_or(At::Undefined) {
            At::AtAddColumn => {
                if let Some(NodeEnum::ColumnDef(def)) =
                    cmd.def.as_deref().and_then(|d| d.node.as_ref())
                {
                    if starts_empty(def) {
                        self.fresh.push((table.clone(), def.colname.clone()));
                    }
                }
            }
            At::AtDropColumn => self.written(table, &cmd.name),
            At::AtAlterColumnType => {
                self.written(table, &cmd.name);
                self.copies
                    .retain(|c| !(&c.table == table && c.from == cmd.name));
            }
            _ => {}
        }
    }

    fn rename(&mut self, r: &pb::RenameStmt) {
        let Some(table) = r.relation.as_ref().map(QName::from_range_var) else {
            return;
        };
        match pb::ObjectType::try_from(r.rename_type) {
            Ok(pb::ObjectType::ObjectColumn) => {
                let renamed = |c: &mut String| {
                    if *c == r.subname {
                        c.clone_from(&r.newname);
                    }
                };
                for (t, c) in &mut self.fresh {
                    if *t == table {
                        renamed(c);
                    }
                }
                for copy in self.copies.iter_mut().filter(|c| c.table == table) {
                    renamed(&mut copy.into);
                    renamed(&mut copy.from);
                }
            }
            Ok(pb::ObjectType::ObjectTable) => {
                self.fresh.retain(|(t, _)| t != &table);
                self.copies.retain(|c| c.table != table);
            }
            _ => {}
        }
    }
}

/// Whether a column added by `def` holds NULL in every row: no default, identity or
/// generation, and not a `serial`.
fn starts_empty(def: &pb::ColumnDef) -> bool {
    let serial = def.type_name.as_ref().is_some_and(|t| {
        string_list(&t.names)
            .last()
            .is_some_and(|n| n.to_ascii_lowercase().contains("serial"))
    });
    !serial
        && def.raw_default.is_none()
        && def.constraints.iter().all(|c| {
            !matches!(&c.node, Some(NodeEnum::Constraint(c)) if matches!(
                pb::ConstrType::try_from(c.contype),
                Ok(pb::ConstrType::ConstrDefault | pb::ConstrType::ConstrIdentity | pb::ConstrType::ConstrGenerated)
            ))
        })
}

/// The columns an `UPDATE` sets.
fn targets(u: &pb::UpdateStmt) -> impl Iterator<Item = &str> {
    u.target_list.iter().filter_map(|t| match &t.node {
        Some(NodeEnum::ResTarget(r)) => Some(r.name.as_str()),
        _ => None,
    })
}

/// The copies one `UPDATE` makes: `SET into = from` or `SET into = from::text`, into a
/// column `fresh` accepts, from another column of the table, with no `FROM` or `WITH` (whose
/// names could be another table's) and no subscript or field on the target.
pub fn copies_in(
    catalog: &Catalog,
    u: &pb::UpdateStmt,
    fresh: impl Fn(&str) -> bool,
) -> Vec<ColumnCopy> {
    let Some(rv) = &u.relation else {
        return Vec::new();
    };
    let table = QName::from_range_var(rv);
    let Some(model) = catalog.table(&table) else {
        return Vec::new();
    };
    if !u.from_clause.is_empty() || u.with_clause.is_some() {
        return Vec::new();
    }
    let alias = rv
        .alias
        .as_ref()
        .map_or(rv.relname.as_str(), |a| a.aliasname.as_str());
    u.target_list
        .iter()
        .filter_map(|t| match &t.node {
            Some(NodeEnum::ResTarget(r)) if r.indirection.is_empty() => {
                let (from, via_text) = source_column(r.val.as_deref()?, alias)?;
                let copy = ColumnCopy {
                    table: table.clone(),
                    into: r.name.clone(),
                    from,
                    via_text,
                };
                (copy.into != copy.from
                    && fresh(&copy.into)
                    && model.column(&copy.from).is_some()
                    && model.column(&copy.into).is_some())
                .then_some(copy)
            }
            _ => None,
        })
        .collect()
}

/// `col`, `alias.col` or either cast `::text`: the column, and whether it went through text.
fn source_column(node: &pb::Node, alias: &str) -> Option<(String, bool)> {
    match &node.node {
        Some(NodeEnum::ColumnRef(c)) => {
            let fields = string_list(&c.fields);
            match fields.as_slice() {
                [column] => Some((column.clone(), false)),
                [qualifier, column] if qualifier == alias => Some((column.clone(), false)),
                _ => None,
            }
        }
        Some(NodeEnum::TypeCast(cast)) => {
            let to = cast.type_name.as_ref()?;
            let is_text = to.array_bounds.is_empty()
                && to.typmods.is_empty()
                && string_list(&to.names).last().map(String::as_str) == Some("text");
            let (column, via_text) = source_column(cast.arg.as_deref()?, alias)?;
            (is_text && !via_text).then_some((column, true))
        }
        _ => None,
    }
}
