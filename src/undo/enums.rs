//! Enum types: `CREATE TYPE … AS ENUM` ↔ `DROP TYPE`, `ADD VALUE`, `RENAME VALUE`.

use super::{stmt, Undo, UndoSql};
use crate::catalog::{Catalog, EnumType};
use crate::sql::names::make_object_name;
use crate::sql::quote::Column;
use crate::sql::text::{self, DropKind};
use crate::sql::{build, pb, NodeEnum, QName};
use pb::{AlterTableType as At, ObjectType};

/// Undoes `CREATE TYPE … AS ENUM` with `DROP TYPE`.
///
/// Verdict **exact**: the type holds no data; columns that use it are created later and so
/// are undone first.
///
/// ```sql
/// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
/// -- undo:
/// DROP TYPE "Role";
/// ```
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

/// Undoes `DROP TYPE` of an enum by creating it again with its values in order.
///
/// Verdict **exact**; **manual** when the type is not an enum the model knows.
///
/// ```sql
/// DROP TYPE "Role";
/// -- undo:
/// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
/// ```
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

/// Undoes `ALTER TYPE … ADD VALUE` and `RENAME VALUE`.
///
/// PostgreSQL cannot remove an enum value, so undoing `ADD VALUE` recreates the type without
/// it: the old type is renamed aside, the type is created again with the earlier values, every
/// column that uses it is converted (`USING col::text::type`, defaults dropped and restored
/// around the change), and the old type is dropped.
///
/// Verdict **lossy**: the conversion fails if any row holds the added value, which must be
/// changed first. **manual** when a view reads such a column (it blocks the conversion).
/// `RENAME VALUE` is renamed back: **exact**.
///
/// ```sql
/// ALTER TYPE "Role" ADD VALUE 'OWNER';
/// -- undo:
/// ALTER TYPE "Role" RENAME TO "Role_unmigrate_old";
/// CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
/// ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role" USING "role"::text::"Role";
/// DROP TYPE "Role_unmigrate_old";
/// ```
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
