//! Recreating enum types with an earlier list of values: the type renamed aside, created
//! again, every column that uses it converted, the old type dropped. Several recreations
//! done together share each table's rewrite: one `ALTER TABLE` per table converts all its
//! columns.

use super::drop_type_stmt;
use crate::sql::names::make_object_name;
use crate::sql::{build, pb, NodeEnum, QName};
use crate::undo::{stmt, UndoSql};
use pb::{AlterTableType as At, ObjectType};

/// An enum type created again with `values`, and the columns converted to it.
#[derive(Debug, Clone)]
pub struct Recreation {
    pub name: QName,
    pub values: Vec<String>,
    pub columns: Vec<Retype>,
}

/// A column converted to the recreated type.
#[derive(Debug, Clone)]
pub struct Retype {
    pub table: QName,
    pub column: String,
    pub array: bool,
    /// The default the column has when the undo reaches it, dropped before the conversion
    /// (PostgreSQL cannot cast a default from one enum to another).
    pub default_now: Option<pb::Node>,
    /// The default it gets after the conversion.
    pub default_back: Option<pb::Node>,
    /// The conversion (`col::text::"T"`, or a map of values back).
    pub using: pb::Node,
}

impl Retype {
    /// A column of type `name` (or an array of it), converted through text, its default
    /// dropped and set again.
    pub fn through_text(
        table: &QName,
        column: &str,
        array: bool,
        name: &QName,
        default: Option<pb::Node>,
    ) -> Self {
        Retype {
            table: table.clone(),
            column: column.to_string(),
            array,
            default_now: default.clone(),
            default_back: default,
            using: through_text(column, array, name),
        }
    }
}

/// `col::text::"T"` (`col::text[]::"T"[]` for an array).
pub fn through_text(column: &str, array: bool, name: &QName) -> pb::Node {
    let text = typed(build::type_name(&QName::new("", "text")), array);
    build::cast(
        build::cast(build::column_ref(column), text),
        typed(build::type_name(name), array),
    )
}

fn typed(base: pb::TypeName, array: bool) -> pb::TypeName {
    if array {
        build::array_of(base)
    } else {
        base
    }
}

/// The name a recreated type is renamed to while its columns convert.
pub fn aside(name: &QName) -> QName {
    name.sibling(&make_object_name(&name.name, None, "unmigrate_old"))
}

/// The statements of `recreations` done together: each type renamed aside and created
/// again, then one `ALTER TABLE` per table converting all of its columns (defaults dropped
/// first and set again after, in the same statement), then the old types dropped.
pub fn statements(recreations: &[&Recreation]) -> Vec<UndoSql> {
    let mut out = Vec::new();
    for r in recreations {
        out.push(stmt(build::rename_object(
            ObjectType::ObjectType,
            Some(build::list(r.name.to_name_nodes())),
            "",
            &aside(&r.name).name,
        )));
        out.push(stmt(build::create_enum(&r.name, &r.values)));
    }
    // Tables in the order their first column comes.
    let mut tables: Vec<(&QName, Vec<(&Recreation, &Retype)>)> = Vec::new();
    for r in recreations {
        for c in &r.columns {
            match tables.iter_mut().find(|(t, _)| **t == c.table) {
                Some((_, columns)) => columns.push((r, c)),
                None => tables.push((&c.table, vec![(r, c)])),
            }
        }
    }
    for (table, columns) in tables {
        let mut cmds = Vec::new();
        for (_, c) in columns.iter().filter(|(_, c)| c.default_now.is_some()) {
            cmds.push(build::table_cmd(At::AtColumnDefault, &c.column, None));
        }
        for (r, c) in &columns {
            let def = pb::ColumnDef {
                type_name: Some(typed(build::type_name(&r.name), c.array)),
                raw_default: Some(Box::new(c.using.clone())),
                ..Default::default()
            };
            cmds.push(build::table_cmd(
                At::AtAlterColumnType,
                &c.column,
                Some(build::node(NodeEnum::ColumnDef(Box::new(def)))),
            ));
        }
        for (_, c) in &columns {
            if let Some(default) = &c.default_back {
                cmds.push(build::table_cmd(
                    At::AtColumnDefault,
                    &c.column,
                    Some(default.clone()),
                ));
            }
        }
        out.push(stmt(build::alter_table(table, cmds)));
    }
    for r in recreations {
        out.push(drop_type_stmt(&aside(&r.name)));
    }
    out
}
