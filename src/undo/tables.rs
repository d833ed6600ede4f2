//! Tables: `CREATE TABLE` ↔ `DROP TABLE`.

use super::guard::Guard;
use super::rule::{undo_rule, UndoRule};
use super::{recreate, views, DataLoss, Undo};
use crate::catalog::{object_qname, Catalog, Constraint};
use crate::sql::quote::Ident;
use crate::sql::text::{self, DropKind};
use crate::sql::{pb, QName};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_CREATE_TABLE, UNDO_DROP_TABLE];

undo_rule! {
    /// a new table is dropped again
    ///
    /// ## Undoes
    ///
    /// - `CREATE TABLE`
    /// - `CREATE TABLE IF NOT EXISTS`
    /// - `CREATE UNLOGGED TABLE`
    /// - `CREATE TABLE … PARTITION BY`
    ///
    /// ## The undo
    ///
    /// `DROP TABLE` of the new table.
    ///
    /// ## Verdict
    ///
    /// **lossy**: the schema returns exactly, but every row written to the new table is deleted with it. Nothing to undo (**exact**, no statement) when `CREATE TABLE IF NOT EXISTS` met a table an earlier migration created.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE TABLE "Job" ("id" TEXT NOT NULL, CONSTRAINT "Job_pkey" PRIMARY KEY ("id"));
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// DROP TABLE "Job";
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/tables/create_table.sql` (snapshot `snapshots/tables__create_table.snap`)
    /// - `tests/cases/tables/create_table_if_not_exists_existing.sql` (snapshot `snapshots/tables__create_table_if_not_exists_existing.snap`)
    /// - `tests/cases/tables/partitioned_and_schema.sql` (snapshot `snapshots/tables__partitioned_and_schema.snap`)
    UNDO_CREATE_TABLE = "undo-create-table";
}

/// The undo of rule `undo-create-table` (UNDO_CREATE_TABLE above).
pub fn create_table(catalog: &Catalog, s: &pb::CreateStmt) -> Undo {
    let name = QName::from_range_var(s.relation.as_ref().expect("table name"));
    if catalog.table(&name).is_some() {
        return Undo::nothing(format!(
            "table {name} already existed, so CREATE TABLE IF NOT EXISTS did nothing"
        ));
    }
    Undo::lossy(
        format!("drops table {name}: rows written to it after the migration are lost"),
        vec![drop_table_stmt(&name)],
    )
    .losing([DataLoss::Table { table: name }])
}

pub fn drop_table_stmt(name: &QName) -> super::UndoSql {
    super::UndoSql::text(text::drop(DropKind::Table, name, false), false)
        .with_effect(super::Effect::DropsTable(name.clone()))
}

undo_rule! {
    /// a dropped table is created again from the model, empty
    ///
    /// ## Undoes
    ///
    /// - `DROP TABLE`
    /// - `DROP TABLE IF EXISTS`
    /// - `DROP TABLE … CASCADE`
    ///
    /// ## The undo
    ///
    /// Recreates the table as the earlier migrations left it: columns in order with their types, defaults and nullability, its constraints and indexes, its foreign keys, its triggers, the comments on it, its columns and its indexes, the foreign keys of other tables that pointed at it, and the views a `CASCADE` dropped (with the views that read those, in an order they can be created in, each with what went with it: see `undo-drop-view`).
    ///
    /// ## Verdict
    ///
    /// **lossy**: the table comes back empty (its rows are gone) and the sequences of its serial columns restart (created again with their names, which a table rename does not change). **manual** when no earlier migration creates the table, or when its columns are not known (a `DO` block or an unmodelled statement touched it, or `CREATE TABLE … AS` made it from a query other than columns selected from one table the model knows), or when a view dropped by `CASCADE` cannot be replayed from its recorded definition. Nothing to undo for `DROP TABLE IF EXISTS` of a table that did not exist.
    ///
    /// ## Examples
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT NOT NULL, "status" TEXT DEFAULT 'new', CONSTRAINT "Job_pkey" PRIMARY KEY ("id"));
    /// CREATE INDEX "Job_status_idx" ON "Job"("status");
    ///
    /// -- this migration
    /// DROP TABLE "Job";
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// CREATE TABLE "Job" (id text NOT NULL, status text DEFAULT 'new', CONSTRAINT "Job_pkey" PRIMARY KEY (id));
    /// CREATE INDEX "Job_status_idx" ON "Job" USING btree (status);
    /// ```
    ///
    /// ```sql
    /// DROP TABLE "Legacy";
    /// ```
    ///
    /// Its undo, **manual**: no statement; the undo file holds a manual block that fails until it is written.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/tables/drop_table_with_everything.sql` (snapshot `snapshots/tables__drop_table_with_everything.snap`)
    /// - `tests/cases/tables/drop_table_unknown.sql` (snapshot `snapshots/tables__drop_table_unknown.snap`)
    /// - `tests/cases/tables/drop_serial_tables.sql` (snapshot `snapshots/tables__drop_serial_tables.snap`)
    /// - `tests/cases/tables/do_block_taints_table.sql` (snapshot `snapshots/tables__do_block_taints_table.snap`)
    /// - `tests/cases/tables/drops_take_comments_and_triggers.sql` (snapshot `snapshots/tables__drops_take_comments_and_triggers.snap`)
    /// - `tests/cases/tables/drop_table_created_as.sql` (snapshot `snapshots/tables__drop_table_created_as.snap`)
    UNDO_DROP_TABLE = "undo-drop-table";
}

/// The undo of rule `undo-drop-table` (UNDO_DROP_TABLE above).
pub fn drop_table(catalog: &Catalog, s: &pb::DropStmt) -> Undo {
    let name = object_qname(&s.objects[0]);
    let Some(table) = catalog.table(&name) else {
        if s.missing_ok {
            return Undo::of_unknown_drop("table", &name, true);
        }
        return Undo::manual(format!(
            "table {name} is not created by any earlier migration, so its definition is unknown; recreate it by hand"
        ));
    };
    if let Some(why) = &table.opaque {
        return Undo::manual(format!(
            "table {name} cannot be recreated automatically: {why}; recreate it by hand"
        ));
    }
    let cascade = s.behavior == pb::DropBehavior::DropCascade as i32;
    let mut statements = recreate::recreate_table(catalog, table, true);
    if cascade {
        for view in catalog.views_depending_on(&name) {
            match views::recreate_view_whole(catalog, view) {
                Ok(again) => statements.extend(again),
                Err(why) => {
                    return Undo::manual(format!(
                        "DROP … CASCADE also dropped view {}, which cannot be recreated from its recorded definition: {why}",
                        view.name
                    ))
                }
            }
        }
    }
    // Foreign keys of other tables into it come back with it (only a CASCADE dropped them):
    // every row that references anything would be an orphan of the empty table.
    let incoming: Vec<(&QName, &Constraint)> = catalog
        .foreign_keys_into(&name)
        .filter(|(t, _)| t.name != name)
        .map(|(t, c)| (&t.name, c))
        .collect();
    let guards: Vec<Guard> = incoming
        .iter()
        .filter_map(|(t, c)| Guard::references_into_emptied(t, c))
        .collect();
    let keys = if incoming.is_empty() {
        String::new()
    } else {
        let keys: Vec<String> = incoming
            .iter()
            .map(|(t, c)| format!("{} of {t}", Ident(&c.name)))
            .collect();
        format!(
            "; the foreign keys into it ({}) come back NOT VALID and are validated in a later transaction: they hold only while no row references anything, so bring its rows back first (from a backup), or clear those references",
            keys.join(", ")
        )
    };
    Undo::lossy(
        format!("recreates table {name} empty: its rows are lost{keys}"),
        statements,
    )
    .losing([DataLoss::Table { table: name }])
    .guarded(guards)
}
