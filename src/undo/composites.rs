//! Composite types: `CREATE TYPE … AS (…)` ↔ `DROP TYPE` (the drop's undo is rule
//! `undo-drop-type`'s, which finds the type here).

use super::rule::{undo_rule, UndoRule};
use super::{recreate, stmt, Undo, UndoSql};
use crate::catalog::Catalog;
use crate::sql::text::{self, DropKind};
use crate::sql::{build, pb, NodeEnum, QName};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_CREATE_COMPOSITE_TYPE];

undo_rule! {
    /// a new composite type is dropped again
    ///
    /// ## Undoes
    ///
    /// - `CREATE TYPE … AS (…)`
    ///
    /// ## The undo
    ///
    /// `DROP TYPE`. The model keeps the type's attributes, so a later `DROP TYPE` of it is undone by creating it again (rule `undo-drop-type`); an `ALTER TYPE` that changes its attributes stops the model from knowing them.
    ///
    /// ## Verdict
    ///
    /// **exact**: a type holds no data; anything the same migration built on it (a function returning it, a column of it) is undone before it.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE TYPE "semver_triple" AS ("major" int4, "minor" int4, "teeny" int4);
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP TYPE semver_triple;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/composites/create_and_drop.sql` (snapshot `snapshots/composites__create_and_drop.snap`)
    UNDO_CREATE_COMPOSITE_TYPE = "undo-create-composite-type";
}

/// The undo of rule `undo-create-composite-type` (UNDO_CREATE_COMPOSITE_TYPE above).
pub fn create_composite_type(_catalog: &Catalog, s: &pb::CompositeTypeStmt) -> Undo {
    let Some(name) = s.typevar.as_ref().map(QName::from_range_var) else {
        return Undo::manual("CREATE TYPE … AS without a name");
    };
    Undo::exact(
        format!("drops composite type {name} again"),
        vec![UndoSql::text(
            text::drop(DropKind::Type, &name, false),
            false,
        )],
    )
}

/// The undo of `DROP TYPE` of a composite type an earlier migration created (rule
/// `undo-drop-type`): the type created again with its attributes, and its comment. `None`
/// when the model does not hold the type.
pub fn drop_composite_type(catalog: &Catalog, name: &QName, cascade: bool) -> Option<Undo> {
    let created = catalog.composites.get(name)?;
    if cascade {
        return Some(Undo::manual(format!(
            "DROP TYPE {name} CASCADE also drops the columns and functions that use it; create the type again and recreate them by hand"
        )));
    }
    let mut again = created.unpack();
    again.typevar = Some(build::range_var(name));
    let mut statements = vec![stmt(NodeEnum::CompositeTypeStmt(again))];
    statements.extend(recreate::comments_of(
        catalog,
        pb::ObjectType::ObjectType,
        name,
    ));
    Some(Undo::exact(
        format!("creates composite type {name} again with its attributes"),
        statements,
    ))
}
