//! What a data statement does beyond its own rows, for the reasons and losses of its undo:
//! the rows and columns foreign keys cascade to, and the triggers that ran.

use crate::catalog::{Catalog, Constraint};
use crate::sql::quote::Ident;
use crate::sql::QName;
use crate::undo::DataLoss;

/// What deleting rows of `table` loses, as [`DataLoss`]es: its rows, rows of tables whose
/// foreign keys cascade the delete (transitively), and the columns `ON DELETE SET NULL/DEFAULT`
/// resets in referencing tables.
pub(super) fn rows_and_effects(catalog: &Catalog, table: &QName) -> Vec<DataLoss> {
    let mut loses: Vec<DataLoss> = Vec::new();
    let mut pending = vec![table.clone()];
    while let Some(table) = pending.pop() {
        let loss = DataLoss::Rows {
            table: table.clone(),
        };
        if loses.contains(&loss) {
            continue;
        }
        loses.push(loss);
        for (referencing, fk) in catalog.foreign_keys_into(&table) {
            match fk.def.unpack().fk_del_action.as_str() {
                "c" => pending.push(referencing.name.clone()),
                "n" | "d" => loses.extend(fk.columns.iter().map(|c| DataLoss::Column {
                    table: referencing.name.clone(),
                    column: c.clone(),
                })),
                _ => {}
            }
        }
    }
    loses
}

/// `table` and every table whose foreign keys reach it, directly or through others: what
/// `TRUNCATE … CASCADE` empties.
pub(super) fn referencing_closure(catalog: &Catalog, table: &QName) -> Vec<QName> {
    let mut seen = vec![table.clone()];
    let mut next = 0;
    while next < seen.len() {
        let current = seen[next].clone();
        for (referencing, _) in catalog.foreign_keys_into(&current) {
            if !seen.contains(&referencing.name) {
                seen.push(referencing.name.clone());
            }
        }
        next += 1;
    }
    seen
}

/// The foreign-key columns of tables that reference `table` through keys `fires` selects.
pub(super) fn referencing_columns(
    catalog: &Catalog,
    table: &QName,
    fires: impl Fn(&Constraint) -> bool,
) -> Vec<DataLoss> {
    catalog
        .foreign_keys_into(table)
        .filter(|(_, fk)| fires(fk))
        .flat_map(|(referencing, fk)| {
            fk.columns.iter().map(|c| DataLoss::Column {
                table: referencing.name.clone(),
                column: c.clone(),
            })
        })
        .collect()
}

/// What deleting rows of `table` does to the tables whose foreign keys point at it, said of
/// the undo's `DELETE` (`undoing`) or of a forward `DELETE` that already happened.
pub(super) fn delete_effects(catalog: &Catalog, table: &QName, undoing: bool) -> Vec<String> {
    let mut effects = Vec::new();
    for (referencing, fk) in catalog.foreign_keys_into(table) {
        let (on, columns, fk_name) = (&referencing.name, quoted(&fk.columns), Ident(&fk.name));
        let action = fk.def.unpack().fk_del_action;
        let action = action.as_str();
        effects.push(match (action, undoing) {
            ("c", true) => format!("rows of {on} that reference them are deleted too (ON DELETE CASCADE of {fk_name})"),
            ("c", false) => format!("rows of {on} that referenced them were deleted too (ON DELETE CASCADE of {fk_name}) and are not restored either"),
            ("n" | "d", true) => format!("{on}.{columns} of rows that reference them is reset (ON DELETE SET NULL/DEFAULT of {fk_name})"),
            ("n" | "d", false) => format!("{on}.{columns} of rows that referenced them was reset (ON DELETE SET NULL/DEFAULT of {fk_name}) and stays so"),
            (_, true) => format!("it fails while rows of {on} still reference them (foreign key {fk_name})"),
            (_, false) => continue,
        });
    }
    effects
}

/// Triggers on the table ran for the forward statement; whatever they did stays done.
pub(super) fn trigger_note(catalog: &Catalog, table: &QName) -> String {
    let names: Vec<&str> = catalog
        .triggers
        .keys()
        .filter(|(on, _)| on == table)
        .map(|(_, name)| name.as_str())
        .collect();
    if names.is_empty() {
        return String::new();
    }
    format!(
        "; triggers on {table} ({}) ran for these rows, and what they did is not undone",
        quoted(&names)
    )
}

/// Whether an `UPDATE` of `columns` can fire `ON UPDATE` actions of foreign keys into `table`.
pub(super) fn updates_referenced_key(
    catalog: &Catalog,
    table: &QName,
    columns: &[&String],
) -> bool {
    catalog.foreign_keys_into(table).any(|(_, fk)| {
        fk.cascades_updates()
            && fk
                .references
                .as_ref()
                .is_some_and(|(_, referenced)| referenced.iter().any(|r| columns.contains(&r)))
    })
}

/// Names for a message, each quoted by the one rule: `a, "B"`.
pub(super) fn quoted(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(|n| Ident(n.as_ref()).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
