//! Enum types: `CREATE TYPE … AS ENUM` ↔ `DROP TYPE`, `ADD VALUE`, `RENAME VALUE`.

mod once;
mod recreation;
pub(super) mod remap;
mod swap;

pub(super) use once::{fact, once_per_type, EnumFact};
use recreation::{Recreation, Retype};

use super::guard::Guard;
use super::rule::{undo_rule, UndoRule};
use super::{stmt, Undo, UndoSql};
use crate::catalog::{Catalog, EnumType};
use crate::sql::quote::Column;
use crate::sql::text::{self, DropKind};
use crate::sql::{build, pb, NodeEnum, QName};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[
    UNDO_CREATE_ENUM,
    UNDO_DROP_TYPE,
    UNDO_RENAME_ENUM_VALUE,
    UNDO_ADD_ENUM_VALUE,
];

undo_rule! {
    /// a new enum type is dropped again
    ///
    /// ## Undoes
    ///
    /// - `CREATE TYPE … AS ENUM`
    ///
    /// ## The undo
    ///
    /// `DROP TYPE`.
    ///
    /// ## Verdict
    ///
    /// **exact**: the type holds no data; columns that use it are created later, so their undo runs first.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP TYPE "Role";
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/enums/create_and_drop.sql` (snapshot `snapshots/enums__create_and_drop.snap`)
    UNDO_CREATE_ENUM = "undo-create-enum";
}

/// The undo of rule `undo-create-enum` (UNDO_CREATE_ENUM above).
pub fn create_enum(_catalog: &Catalog, s: &pb::CreateEnumStmt) -> Undo {
    let name = QName::from_name_nodes(&s.type_name);
    Undo::exact(
        format!("drops enum {name} again"),
        vec![drop_type_stmt(&name)],
    )
}

fn drop_type_stmt(name: &QName) -> UndoSql {
    UndoSql::text(text::drop(DropKind::Type, name, false), false)
}

undo_rule! {
    /// a dropped enum or composite type is created again as it was
    ///
    /// ## Undoes
    ///
    /// - `DROP TYPE`
    /// - `DROP TYPE IF EXISTS`
    ///
    /// ## The undo
    ///
    /// `CREATE TYPE … AS ENUM` with the values in their order; for a composite type, `CREATE TYPE … AS (…)` with its attributes, and its comment.
    ///
    /// ## Verdict
    ///
    /// **exact**. **manual** when the type is not an enum or composite type an earlier migration creates (a domain or range the history created is not modelled, nor a composite type an `ALTER TYPE` changed since), and for a composite type dropped with `CASCADE` (the columns and functions using it went with it); nothing to undo for `IF EXISTS` of a type no earlier migration creates, with the note that one made outside the migrations would be lost.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
    ///
    /// -- this migration
    /// DROP TYPE "Role";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/enums/create_and_drop.sql` (snapshot `snapshots/enums__create_and_drop.snap`)
    /// - `tests/cases/composites/create_and_drop.sql` (snapshot `snapshots/composites__create_and_drop.snap`)
    UNDO_DROP_TYPE = "undo-drop-type";
}

/// The undo of rule `undo-drop-type` (UNDO_DROP_TYPE above).
pub fn drop_type(catalog: &Catalog, s: &pb::DropStmt) -> Undo {
    let Some(NodeEnum::TypeName(t)) = s.objects.first().and_then(|o| o.node.as_ref()) else {
        return Undo::manual("DROP TYPE without a type name");
    };
    let name = QName::from_name_nodes(&t.names);
    let cascade = s.behavior == pb::DropBehavior::DropCascade as i32;
    if let Some(undo) = super::composites::drop_composite_type(catalog, &name, cascade) {
        return undo;
    }
    match catalog.enums.get(&name) {
        Some(e) => Undo::exact(
            format!("creates enum {name} again with its {} values", e.values.len()),
            vec![stmt(build::create_enum(&name, &e.values))],
        ),
        None if s.missing_ok && !catalog.untracked_types.contains(&name) => {
            Undo::of_unknown_drop("type", &name, true)
        }
        None => Undo::manual(format!(
            "type {name} is not an enum or composite type created by an earlier migration (and left as created), so its definition is unknown"
        )),
    }
}

undo_rule! {
    /// a renamed enum value is renamed back
    ///
    /// ## Undoes
    ///
    /// - `ALTER TYPE … RENAME VALUE`
    ///
    /// ## The undo
    ///
    /// `ALTER TYPE … RENAME VALUE new TO old`.
    ///
    /// ## Verdict
    ///
    /// **exact**: rows holding the value follow the rename. **manual** when no earlier migration creates the enum.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
    ///
    /// -- this migration
    /// ALTER TYPE "Role" RENAME VALUE 'ADMIN' TO 'OWNER';
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TYPE "Role" RENAME VALUE 'OWNER' TO 'ADMIN';
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/enums/rename_value.sql` (snapshot `snapshots/enums__rename_value.snap`)
    UNDO_RENAME_ENUM_VALUE = "undo-rename-enum-value";
}

/// Undoes `ALTER TYPE … ADD VALUE` and `RENAME VALUE`: rules `undo-add-enum-value`
/// (UNDO_ADD_ENUM_VALUE, beside `remove_value`) and `undo-rename-enum-value` (above).
pub fn alter_enum(catalog: &Catalog, s: &pb::AlterEnumStmt) -> Undo {
    let name = QName::from_name_nodes(&s.type_name);
    let Some(e) = catalog.enums.get(&name) else {
        return Undo::manual(format!(
            "enum {name} is not created by any earlier migration, so its values are unknown"
        ));
    };
    if !s.old_val.is_empty() {
        let back = NodeEnum::AlterEnumStmt(pb::AlterEnumStmt {
            type_name: name.to_name_nodes(),
            old_val: s.new_val.clone(),
            new_val: s.old_val.clone(),
            ..Default::default()
        });
        return Undo::exact(
            format!(
                "renames value '{}' of {name} back to '{}'",
                s.new_val, s.old_val
            ),
            vec![stmt(back)],
        );
    }
    if e.values.contains(&s.new_val) {
        return Undo::nothing(format!(
            "{name} already had value '{}', so ADD VALUE IF NOT EXISTS did nothing",
            s.new_val
        ));
    }
    remove_value(catalog, e, &s.new_val)
}

undo_rule! {
    /// an added enum value is removed by recreating the type without it
    ///
    /// ## Undoes
    ///
    /// - `ALTER TYPE … ADD VALUE`
    /// - `ALTER TYPE … ADD VALUE IF NOT EXISTS`
    ///
    /// ## The undo
    ///
    /// PostgreSQL cannot remove an enum value, so the undo recreates the type without it: the old type is renamed aside, the type is created again with the earlier values, every column that uses it is converted (`USING col::text::type`, one `ALTER TABLE` per table with the defaults dropped and restored in the same statement), and the old type is dropped.
    ///
    /// A migration's changes to one enum are undone by one recreation: its `ADD VALUE`s of a type (with the values the type had before the first of them, where the first one's undo runs), and recreations whose undos run one after the other (several types) share their `ALTER TABLE`s, so each table is rewritten once. Prisma's enum swap (`CREATE TYPE "T_new"`, the columns converted, the old type dropped, `"T_new"` renamed to `"T"`) is read as one change of `"T"`: when it only removed values, the undo adds them back in their places with `ALTER TYPE … ADD VALUE … BEFORE/AFTER` (no rewrite; PostgreSQL 12 or later runs it in a transaction), unless another statement of the undo uses a restored value (a value added in a transaction cannot be used before it commits); otherwise it is one recreation of `"T"` with the values mapped back (`undo-alter-column-type`).
    ///
    /// ## Verdict
    ///
    /// **lossy**: the conversion fails if any row holds the added value, which must be changed first. **manual** when a view reads such a column (it blocks the conversion), or when no earlier migration creates the enum. Nothing to undo when `ADD VALUE IF NOT EXISTS` met an existing value. Statements undone together keep their own verdicts; their reasons say which statement holds the undo.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "role" "Role" NOT NULL DEFAULT 'USER');
    ///
    /// -- this migration
    /// ALTER TYPE "Role" ADD VALUE 'OWNER';
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// ALTER TYPE "Role" RENAME TO "Role_unmigrate_old";
    /// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
    /// ALTER TABLE "User" ALTER COLUMN role DROP DEFAULT, ALTER COLUMN role TYPE "Role" USING role::text::"Role", ALTER COLUMN role SET DEFAULT 'USER';
    /// DROP TYPE "Role_unmigrate_old";
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/enums/add_value_used_by_columns.sql` (snapshot `snapshots/enums__add_value_used_by_columns.snap`)
    /// - `tests/cases/enums/add_values_recreated_once.sql` (snapshot `snapshots/enums__add_values_recreated_once.snap`)
    /// - `tests/cases/enums/add_values_apart.sql` (snapshot `snapshots/enums__add_values_apart.snap`)
    /// - `tests/cases/enums/swap_removes_values.sql` (snapshot `snapshots/enums__swap_removes_values.snap`)
    /// - `tests/cases/enums/swap_removes_default_value.sql` (snapshot `snapshots/enums__swap_removes_default_value.snap`)
    /// - `tests/cases/enums/two_swaps_one_table.sql` (snapshot `snapshots/enums__two_swaps_one_table.snap`)
    UNDO_ADD_ENUM_VALUE = "undo-add-enum-value";
}

/// The undo of rule `undo-add-enum-value` (UNDO_ADD_ENUM_VALUE above). The undo carries
/// its [`Recreation`], so that all of a migration's recreations of the type become one
/// ([`once`]).
fn remove_value(catalog: &Catalog, e: &EnumType, value: &str) -> Undo {
    let name = &e.name;
    let users: Vec<_> = catalog.columns_of_type(name).collect();
    if let Some(view) = users
        .iter()
        .find_map(|(t, _)| catalog.views_reading(&t.name).next())
    {
        return Undo::manual(format!(
            "removing value '{value}' means converting the columns of enum {name}, but view {} reads one of their tables and blocks the conversion; drop and recreate the view around the change by hand",
            view.name
        ));
    }
    let recreation = Recreation {
        name: name.clone(),
        values: e.values.clone(),
        columns: users
            .iter()
            .map(|(table, column)| {
                Retype::through_text(
                    &table.name,
                    &column.name,
                    column.is_array(),
                    name,
                    column.default.as_ref().map(|d| d.unpack()),
                )
            })
            .collect(),
    };
    let columns: Vec<String> = users
        .iter()
        .map(|(t, c)| Column(&t.name, &c.name).to_string())
        .collect();
    let used_by = if columns.is_empty() {
        "no column uses the type".to_string()
    } else {
        format!(
            "fails if any row of {} holds '{value}'; change those rows first",
            columns.join(", ")
        )
    };
    let guards = users
        .iter()
        .map(|(t, c)| Guard::enum_value_in_use(&t.name, &c.name, c.is_array(), name, value));
    let mut undo = Undo::lossy(
        format!("recreates enum {name} without value '{value}': {used_by}"),
        recreation::statements(&[&recreation]),
    )
    .guarded(guards);
    undo.enum_fact = Some(Box::new(EnumFact::Recreates {
        recreation,
        added: value.to_string(),
    }));
    undo
}
