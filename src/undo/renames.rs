//! Renames of tables, columns, indexes, constraints, types, schemas, views and sequences.

use super::rule::{undo_rule, UndoRule};
use super::{stmt, Undo};
use crate::catalog::{rename_object_qname, Catalog};
use crate::sql::quote::{Column, Ident};
use crate::sql::{build, pb, QName};
use pb::ObjectType as O;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_RENAME];

undo_rule! {
    /// a renamed table, column, index, constraint, type, schema, view or sequence is renamed back
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … RENAME TO`
    /// - `ALTER TABLE … RENAME COLUMN`
    /// - `ALTER TABLE … RENAME CONSTRAINT`
    /// - `ALTER INDEX … RENAME TO`
    /// - `ALTER VIEW / MATERIALIZED VIEW / SEQUENCE … RENAME TO`
    /// - `ALTER TYPE … RENAME TO`
    /// - `ALTER SCHEMA … RENAME TO`
    ///
    /// ## The undo
    ///
    /// The same rename, from the new name back to the old one.
    ///
    /// ## Verdict
    ///
    /// **exact**: a rename changes no data, and PostgreSQL keeps dependent objects (indexes, foreign keys, views) pointing at the renamed object. Nothing to undo (**exact**) for `ALTER … IF EXISTS … RENAME` of a relation no earlier migration creates: as far as the history knows it renamed nothing. **manual** for renames of other objects (functions, triggers, …), which have no rule yet.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "metrics" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// ALTER TABLE "metrics" RENAME TO "gradings";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TABLE gradings RENAME TO metrics;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/renames/all_renames.sql` (snapshot `snapshots/renames__all_renames.snap`)
    /// - `tests/cases/renames/rename_if_exists_unknown.sql` (snapshot `snapshots/renames__rename_if_exists_unknown.snap`)
    UNDO_RENAME = "undo-rename";
}

/// The undo of rule `undo-rename` (UNDO_RENAME above).
pub fn rename(catalog: &Catalog, s: &pb::RenameStmt) -> Undo {
    let kind = O::try_from(s.rename_type).unwrap_or(O::Undefined);
    let relation = s.relation.as_ref().map(QName::from_range_var);
    if let Some(undo) = renamed_nothing(catalog, s, kind, relation.as_ref()) {
        return undo;
    }
    let (sql, what) = match (kind, relation) {
        (O::ObjectColumn, Some(table)) => (
            build::rename_relation(O::ObjectColumn, &table, &s.newname, &s.subname),
            format!("column {}", Column(&table, &s.newname)),
        ),
        (O::ObjectTabconstraint, Some(table)) => (
            build::rename_relation(O::ObjectTabconstraint, &table, &s.newname, &s.subname),
            format!("constraint {} of {table}", Ident(&s.newname)),
        ),
        (
            O::ObjectTable | O::ObjectIndex | O::ObjectView | O::ObjectMatview | O::ObjectSequence,
            Some(old),
        ) => {
            let renamed = old.sibling(&s.newname);
            let mut node = build::rename_relation(kind, &renamed, "", &old.name);
            if let crate::sql::NodeEnum::RenameStmt(r) = &mut node {
                r.relation_type = O::ObjectAccessMethod as i32;
            }
            (node, format!("{renamed}"))
        }
        (O::ObjectType, _) => {
            let old = rename_object_qname(s);
            let renamed = old.sibling(&s.newname);
            (
                build::rename_object(
                    O::ObjectType,
                    Some(build::list(renamed.to_name_nodes())),
                    "",
                    &old.name,
                ),
                format!("type {renamed}"),
            )
        }
        (O::ObjectSchema, _) => (
            build::rename_object(O::ObjectSchema, None, &s.newname, &s.subname),
            format!("schema {}", Ident(&s.newname)),
        ),
        _ => {
            return Undo::manual(format!(
                "renaming a {} has no automatic undo yet; rename it back by hand",
                kind.as_str_name()
                    .trim_start_matches("OBJECT_")
                    .to_lowercase()
            ))
        }
    };
    Undo::exact(format!("renames {what} back"), vec![stmt(sql)])
}

/// `ALTER … IF EXISTS … RENAME` of a relation no earlier migration creates renamed nothing, as
/// far as the history knows (it is the schema's source of truth), so there is nothing to
/// rename back; the note says what to do about one made outside the migrations. `None` when
/// the relation is known, or the model knows no table at all (a lone file).
fn renamed_nothing(
    catalog: &Catalog,
    s: &pb::RenameStmt,
    kind: O,
    relation: Option<&QName>,
) -> Option<Undo> {
    let relation = relation.filter(|_| s.missing_ok && !catalog.knows_nothing())?;
    let known = match kind {
        O::ObjectColumn | O::ObjectTabconstraint => catalog.table(relation).is_some(),
        O::ObjectTable | O::ObjectIndex | O::ObjectView | O::ObjectMatview | O::ObjectSequence => {
            catalog.relation_exists(relation)
        }
        _ => true,
    };
    (!known).then(|| {
        Undo::nothing(format!(
            "no earlier migration creates {relation}, so ALTER … IF EXISTS renamed nothing (if it was created outside the migrations, rename it back by hand)"
        ))
    })
}
