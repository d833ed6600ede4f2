//! A primary key or unique constraint added back to a table in use without building its index
//! under ACCESS EXCLUSIVE: `ADD CONSTRAINT … PRIMARY KEY (…)` would build the index while
//! every read and write of the table waits. Instead the index is built `CONCURRENTLY` first,
//! in a migration of its own (reads and writes go on), and `ADD CONSTRAINT … USING INDEX`
//! takes it over under a brief lock, renaming it to the constraint's name.

use super::{Effect, UndoSql};
use crate::catalog::{Catalog, Constraint, ConstraintKind};
use crate::sql::quote::Ident;
use crate::sql::text;
use crate::sql::QName;

/// The statements that add key constraint `c` back to `table` (a table in use) over an index
/// built concurrently, and the note that says so; `None` when `c` is not a plain key the
/// model knows how to build that way (then it is added back as it was).
pub fn add_key_online(
    catalog: &Catalog,
    table: &QName,
    c: &Constraint,
) -> Option<(Vec<UndoSql>, String)> {
    let primary = match c.kind {
        ConstraintKind::PrimaryKey => true,
        ConstraintKind::Unique => false,
        _ => return None,
    };
    if !is_plain_key(c) || !key_columns_not_null(catalog, table, c, primary) {
        return None;
    }
    let index = free_index_name(catalog, table, &c.name);
    let build = UndoSql::text(
        text::create_unique_index_concurrently(table, &index, &c.columns),
        true,
    )
    .with_effect(Effect::BuildsAheadOf {
        table: table.clone(),
        constraint: c.name.clone(),
    });
    let add = UndoSql::text(
        text::add_key_using_index(table, &c.name, primary, &index),
        false,
    );
    let note = format!(
        "adds constraint {name} back to {table} without building its index under ACCESS EXCLUSIVE: unique index {index} is built CONCURRENTLY first (in a migration of its own, so reads and writes go on; where the undo drops a constraint of that name, before that drop, so the swap is one short transaction), then ADD CONSTRAINT {name} USING INDEX takes it over under a brief lock and renames it {name}. The build fails if duplicate rows were written since, and a failed CONCURRENTLY build leaves an INVALID index {index} behind: drop it (DROP INDEX CONCURRENTLY) before deploying again",
        name = Ident(&c.name),
        index = Ident(&index),
    );
    Some((vec![build, add], note))
}

/// Whether the constraint is nothing but a list of key columns (no `INCLUDE`, storage
/// options, tablespace, `NULLS NOT DISTINCT`, `WITHOUT OVERLAPS` or deferral), so a plain
/// `CREATE UNIQUE INDEX` on those columns is the index it would build.
fn is_plain_key(c: &Constraint) -> bool {
    let def = c.def.unpack();
    !c.columns.is_empty()
        && crate::sql::string_list(&def.keys) == c.columns
        && def.including.is_empty()
        && def.options.is_empty()
        && def.indexspace.is_empty()
        && def.access_method.is_empty()
        && def.where_clause.is_none()
        && !def.nulls_not_distinct
        && !def.without_overlaps
        && !def.deferrable
        && !def.initdeferred
}

/// A primary key taken over `USING INDEX` sets NOT NULL on its columns, which scans the table
/// for NULLs under ACCESS EXCLUSIVE unless they are NOT NULL already: they are when the model
/// says so (a primary key made them NOT NULL, and dropping it keeps that).
fn key_columns_not_null(catalog: &Catalog, table: &QName, c: &Constraint, primary: bool) -> bool {
    let Some(t) = catalog.table(table) else {
        return false;
    };
    !primary
        || c.columns
            .iter()
            .all(|name| t.column(name).is_some_and(|col| col.not_null))
}

/// `<constraint>_undo` (cut to 63 bytes, numbered if taken): a name no relation of the schema
/// has while the constraint still stands and holds its own name.
pub(super) fn free_index_name(catalog: &Catalog, table: &QName, constraint: &str) -> String {
    (0..)
        .map(|n| {
            let suffix = if n == 0 {
                "_undo".to_string()
            } else {
                format!("_undo{n}")
            };
            let mut base = constraint.to_string();
            while base.len() + suffix.len() > 63 {
                base.pop();
            }
            base + &suffix
        })
        .find(|name| name != constraint && !catalog.relation_exists(&table.sibling(name)))
        .expect("a free name")
}
