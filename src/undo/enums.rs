//! Enum types: `CREATE TYPE … AS ENUM` ↔ `DROP TYPE`, `ADD VALUE`, `RENAME VALUE`.

use super::rule::{undo_rule, UndoRule};
use super::{stmt, Undo, UndoSql};
use crate::catalog::{Catalog, EnumType};
use crate::sql::names::make_object_name;
use crate::sql::quote::Column;
use crate::sql::text::{self, DropKind};
use crate::sql::{build, pb, NodeEnum, QName};
use pb::{AlterTableType as At, ObjectType};

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
    /// a dropped enum type is created again with its values
    ///
    /// ## Undoes
    ///
    /// - `DROP TYPE`
    /// - `DROP TYPE IF EXISTS`
    ///
    /// ## The undo
    ///
    /// `CREATE TYPE … AS ENUM` with the values in their order.
    ///
    /// ## Verdict
    ///
    /// **exact**. **manual** when the type is not an enum an earlier migration creates; nothing to undo for `IF EXISTS` of a type that did not exist.
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
    UNDO_DROP_TYPE = "undo-drop-type";
}

/// The undo of rule `undo-drop-type` (UNDO_DROP_TYPE above).
pub fn drop_type(catalog: &Catalog, s: &pb::DropStmt) -> Undo {
    let Some(NodeEnum::TypeName(t)) = s.objects.first().and_then(|o| o.node.as_ref()) else {
        return Undo::manual("DROP TYPE without a type name");
    };
    let name = QName::from_name_nodes(&t.names);
    match catalog.enums.get(&name) {
        Some(e) => Undo::exact(
            format!("creates enum {name} again with its {} values", e.values.len()),
            vec![stmt(build::create_enum(&name, &e.values))],
        ),
        None if s.missing_ok => Undo::nothing(format!("type {name} did not exist, so DROP TYPE IF EXISTS did nothing")),
        None => Undo::manual(format!(
            "type {name} is not an enum created by an earlier migration, so its definition is unknown"
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
    /// PostgreSQL cannot remove an enum value, so the undo recreates the type without it: the old type is renamed aside, the type is created again with the earlier values, every column that uses it is converted (`USING col::text::type`, defaults dropped and restored around the change), and the old type is dropped.
    ///
    /// ## Verdict
    ///
    /// **lossy**: the conversion fails if any row holds the added value, which must be changed first. **manual** when a view reads such a column (it blocks the conversion), or when no earlier migration creates the enum. Nothing to undo when `ADD VALUE IF NOT EXISTS` met an existing value.
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
    /// ALTER TABLE "User" ALTER COLUMN role DROP DEFAULT;
    /// ALTER TABLE "User" ALTER COLUMN role TYPE "Role" USING role::text::"Role";
    /// ALTER TABLE "User" ALTER COLUMN role SET DEFAULT 'USER';
    /// DROP TYPE "Role_unmigrate_old";
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/enums/add_value_used_by_columns.sql` (snapshot `snapshots/enums__add_value_used_by_columns.snap`)
    UNDO_ADD_ENUM_VALUE = "undo-add-enum-value";
}

/// The undo of rule `undo-add-enum-value` (UNDO_ADD_ENUM_VALUE above).
fn remove_value(catalog: &Catalog, e: &EnumType, value: &str) -> Undo {
    let name = &e.name;
    let aside = name.sibling(&make_object_name(&name.name, None, "unmigrate_old"));
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
    let mut statements = vec![
        stmt(build::rename_object(
            ObjectType::ObjectType,
            Some(build::list(name.to_name_nodes())),
            "",
            &aside.name,
        )),
        stmt(build::create_enum(name, &e.values)),
    ];
    let mut columns = Vec::new();
    for (table, column) in &users {
        columns.push(Column(&table.name, &column.name).to_string());
        let retyped = |base: pb::TypeName| {
            if column.is_array() {
                build::array_of(base)
            } else {
                base
            }
        };
        let text = retyped(build::type_name(&QName::new("", "text")));
        let using = build::cast(
            build::cast(build::column_ref(&column.name), text),
            retyped(build::type_name(name)),
        );
        let def = pb::ColumnDef {
            type_name: Some(retyped(build::type_name(name))),
            raw_default: Some(Box::new(using)),
            ..Default::default()
        };
        let alter = |subtype, def| {
            stmt(build::alter_table(
                &table.name,
                vec![build::table_cmd(subtype, &column.name, def)],
            ))
        };
        if column.default.is_some() {
            statements.push(alter(At::AtColumnDefault, None));
        }
        statements.push(alter(
            At::AtAlterColumnType,
            Some(build::node(NodeEnum::ColumnDef(Box::new(def)))),
        ));
        if let Some(default) = &column.default {
            statements.push(alter(At::AtColumnDefault, Some(default.unpack())));
        }
    }
    statements.push(drop_type_stmt(&aside));
    let used_by = if columns.is_empty() {
        "no column uses the type".to_string()
    } else {
        format!(
            "fails if any row of {} holds '{value}'; change those rows first",
            columns.join(", ")
        )
    };
    Undo::lossy(
        format!("recreates enum {name} without value '{value}': {used_by}"),
        statements,
    )
}
