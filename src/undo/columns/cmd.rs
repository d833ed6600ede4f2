//! Small helpers of the column rules: one `ALTER TABLE … ALTER COLUMN` step, the column a
//! statement is about, the name of a helper CHECK.

use super::super::{stmt, Effect, Undo, UndoSql};
use crate::catalog::{Catalog, Column, Table};
use crate::sql::quote::Ident;
use crate::sql::text::{self, ColumnChange};
use crate::sql::{build, pb, QName};
use pb::AlterTableType as At;

pub(super) fn column_cmd(
    table: &QName,
    subtype: At,
    column: &str,
    def: Option<pb::Node>,
) -> UndoSql {
    // The frequent value-less forms are written directly; the rest are deparsed trees.
    let (table_, column_) = (table.clone(), column.to_string());
    let (sql, effect) = match (subtype, &def) {
        (At::AtDropColumn, None) => (
            text::drop_column(table, column),
            Some(Effect::DropsColumn {
                table: table_,
                column: column_,
            }),
        ),
        (At::AtColumnDefault, None) => (
            text::alter_column(table, column, ColumnChange::DropDefault),
            Some(Effect::DropsDefault {
                table: table_,
                column: column_,
            }),
        ),
        (At::AtDropNotNull, None) => (
            text::alter_column(table, column, ColumnChange::DropNotNull),
            Some(Effect::DropsNotNull {
                table: table_,
                column: column_,
            }),
        ),
        (At::AtSetNotNull, None) => (
            text::alter_column(table, column, ColumnChange::SetNotNull),
            None,
        ),
        _ => {
            return stmt(build::alter_table(
                table,
                vec![build::table_cmd(subtype, column, def)],
            ))
        }
    };
    let sql = UndoSql::text(sql, false);
    match effect {
        Some(effect) => sql.with_effect(effect),
        None => sql,
    }
}

pub(super) fn column_of<'a>(
    catalog: &'a Catalog,
    table: &QName,
    column: &str,
) -> Result<(&'a Table, &'a Column), Undo> {
    let t = catalog.table(table).expect("checked by the engine");
    match t.column(column) {
        Some(c) => Ok((t, c)),
        None if t.opaque.is_some() => Err(Undo::manual(format!(
            "the columns of {table} are not known ({}); reverse this by hand",
            t.opaque.as_deref().unwrap_or_default()
        ))),
        None => Err(Undo::manual(format!(
            "column {} of {table} is not created by any earlier migration; reverse this by hand",
            Ident(column)
        ))),
    }
}

/// A name for the helper CHECK of [`super::drop_not_null`] that no constraint of the table has, at
/// most 63 bytes (PostgreSQL's limit).
pub(super) fn helper_check_name(t: &Table, table: &QName, column: &str) -> String {
    let base = format!("{}_{column}_not_null", table.name);
    (0..)
        .map(|n| {
            let suffix = if n == 0 { String::new() } else { n.to_string() };
            let mut name = base.clone();
            while name.len() + suffix.len() > 63 {
                name.pop();
            }
            name + &suffix
        })
        .find(|name| t.constraint(name).is_none())
        .expect("a free name")
}
