//! Re-adding a dropped NOT NULL column to a table that has rows: `ADD COLUMN … NOT NULL` alone
//! fails there ("contains null values"), so the column is added with a constant its type
//! accepts as its DEFAULT (no rewrite since PostgreSQL 11: the value is kept in the catalog),
//! then that default is dropped again so the schema is the one the history had. Two
//! statements: in one `ALTER TABLE`, PostgreSQL runs `DROP DEFAULT` before `ADD COLUMN`
//! (its pass order), so the column would not exist yet.

use super::super::{recreate, stmt, UndoSql};
use crate::catalog::{Catalog, Column, ConstraintKind, Table};
use crate::sql::quote::Literal;
use crate::sql::quote::{Ident, Qualified};
use crate::sql::text::{self, ColumnChange};
use crate::sql::{build, pb, string_list, NodeEnum, QName};
use pb::{a_const::Val, AlterTableType as At, ConstrType};

/// A constant that fills the existing rows of a re-added NOT NULL column.
pub(in crate::undo) struct Placeholder {
    value: Val,
    /// How the note names it: `''`, `0`, `false`, `'epoch'`, `'ACTIVE'`.
    pub shown: String,
}

impl Placeholder {
    fn text(value: &str) -> Placeholder {
        Placeholder {
            value: Val::Sval(pb::String {
                sval: value.to_string(),
            }),
            shown: Literal(value).to_string(),
        }
    }
}

/// The placeholder for a column the undo re-adds, when it needs one (NOT NULL, no default,
/// not generated) and its type has a constant every such column accepts: `''` for character
/// types, `0` for numbers, `false`, `'epoch'` for dates and timestamps, the zero uuid, `'{}'`
/// for arrays and JSON, an enum's first value. `None` for any other type (domains, composite
/// and unknown types): no constant is known to satisfy it.
pub(in crate::undo) fn placeholder(catalog: &Catalog, column: &Column) -> Option<Placeholder> {
    if !needs_one(column) {
        return None;
    }
    let t = column.type_name.unpack();
    if t.setof || t.pct_type {
        return None;
    }
    if !t.array_bounds.is_empty() {
        return Some(Placeholder::text("{}"));
    }
    let names = string_list(&t.names);
    // Unqualified names resolve in pg_catalog first, whatever the search_path says.
    let builtin = match names.as_slice() {
        [name] => builtin(name),
        [schema, name] if schema == "pg_catalog" => builtin(name),
        _ => None,
    };
    builtin.or_else(|| {
        let values = &catalog.enums.get(&QName::from_name_nodes(&t.names))?.values;
        values.first().map(|v| Placeholder::text(v))
    })
}

/// Whether re-adding the column fails on a table with rows unless it is filled: NOT NULL,
/// without a default, not generated.
pub(in crate::undo) fn needs_one(column: &Column) -> bool {
    column.not_null && column.default.is_none() && column.generated.is_none()
}

fn builtin(name: &str) -> Option<Placeholder> {
    let number = |ival| Placeholder {
        value: Val::Ival(pb::Integer { ival }),
        shown: ival.to_string(),
    };
    Some(match name {
        "text" | "varchar" | "bpchar" | "char" | "name" | "citext" | "bytea" => {
            Placeholder::text("")
        }
        "int2" | "int4" | "int8" | "smallint" | "integer" | "int" | "bigint" | "float4"
        | "float8" | "real" | "numeric" | "decimal" => number(0),
        "bool" | "boolean" => Placeholder {
            value: Val::Boolval(pb::Boolean { boolval: false }),
            shown: "false".to_string(),
        },
        "date" | "timestamp" | "timestamptz" => Placeholder::text("epoch"),
        "time" | "timetz" | "interval" => Placeholder::text("00:00:00"),
        "uuid" => Placeholder::text("00000000-0000-0000-0000-000000000000"),
        "json" | "jsonb" => Placeholder::text("{}"),
        _ => return None,
    })
}

/// `ALTER TABLE t ADD COLUMN …`; with a placeholder, `ADD COLUMN … NOT NULL DEFAULT <it>`
/// then `ALTER COLUMN … DROP DEFAULT`.
pub(in crate::undo) fn add_column(
    catalog: &Catalog,
    table: &QName,
    column: &Column,
    placeholder: Option<&Placeholder>,
) -> Vec<UndoSql> {
    let mut def = recreate::column_def(catalog, table, column);
    if let Some(placeholder) = placeholder {
        let value = build::node(NodeEnum::AConst(pb::AConst {
            val: Some(placeholder.value.clone()),
            location: -1,
            ..Default::default()
        }));
        def.constraints
            .push(build::node(NodeEnum::Constraint(Box::new(
                pb::Constraint {
                    contype: ConstrType::ConstrDefault as i32,
                    raw_expr: Some(Box::new(value)),
                    location: -1,
                    ..Default::default()
                },
            ))));
    }
    let mut out = vec![stmt(build::alter_table(
        table,
        vec![build::table_cmd(
            At::AtAddColumn,
            "",
            Some(column_node(def)),
        )],
    ))];
    if placeholder.is_some() {
        let drop = text::alter_column(table, &column.name, ColumnChange::DropDefault);
        out.push(UndoSql::text(drop, false));
    }
    out
}

fn column_node(def: pb::ColumnDef) -> pb::Node {
    build::node(NodeEnum::ColumnDef(Box::new(def)))
}

/// What the undo rebuilds on a column re-added with a placeholder that the placeholder can
/// fail (see [`conflicts`]).
pub(in crate::undo) struct Conflicts {
    /// A note suffix naming them, empty when there are none.
    pub note: String,
    /// A unique index or key over this column alone (no other key, no `WHERE`), which every
    /// row holding the placeholder is certain to fail once two rows exist.
    pub unique_alone: Option<String>,
    /// A foreign key of this column alone, which no parent row is expected to match.
    pub foreign_alone: Option<String>,
}

/// What the undo rebuilds on the column that a placeholder can fail: every row holds the same
/// value, so a unique index or key over it fails while two rows or more exist, and a CHECK or
/// foreign key may reject the value.
pub(in crate::undo) fn conflicts(catalog: &Catalog, table: &Table, column: &str) -> Conflicts {
    let alone = |columns: &[String]| matches!(columns, [only] if only == column);
    let mut unique_alone = None;
    let mut foreign_alone = None;
    let mut unique: Vec<String> = Vec::new();
    for i in catalog
        .indexes_on(&table.name)
        .filter(|i| i.constraint.is_none() && i.columns.iter().any(|c| c == column))
    {
        let stmt = i.stmt.unpack();
        if !stmt.unique {
            continue;
        }
        let named = format!("index {}", Qualified(&i.name));
        let plain = stmt.index_params.len() == 1 && stmt.where_clause.is_none();
        if plain && alone(&i.columns) && unique_alone.is_none() {
            unique_alone = Some(format!("unique {named}"));
        }
        unique.push(named);
    }
    let mut rejecting = Vec::new();
    for c in table
        .constraints
        .iter()
        .filter(|c| c.columns.iter().any(|c| c == column))
    {
        let named = Ident(&c.name);
        match c.kind {
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion => {
                if c.kind != ConstraintKind::Exclusion && alone(&c.columns) {
                    unique_alone.get_or_insert_with(|| format!("constraint {named}"));
                }
                unique.push(format!("constraint {named}"))
            }
            ConstraintKind::Check => rejecting.push(format!("CHECK {named}")),
            ConstraintKind::ForeignKey => {
                if alone(&c.columns) {
                    foreign_alone.get_or_insert_with(|| format!("foreign key {named}"));
                }
                rejecting.push(format!("foreign key {named}"))
            }
        }
    }
    let mut note = String::new();
    if !unique.is_empty() {
        note.push_str(&format!(
            "; every row gets the same placeholder, so rebuilding {} fails while the table has two rows or more",
            unique.join(", ")
        ));
    }
    if !rejecting.is_empty() {
        note.push_str(&format!(
            "; {} may reject the placeholder, and its validation then fails",
            rejecting.join(", ")
        ));
    }
    Conflicts {
        note,
        unique_alone,
        foreign_alone,
    }
}
