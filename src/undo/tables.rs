//! Tables: `CREATE TABLE` ↔ `DROP TABLE`.

use super::{recreate, views, DataLoss, Undo};
use crate::catalog::{object_qname, Catalog};
use crate::sql::text::{self, DropKind};
use crate::sql::{pb, QName};

/// Undoes `CREATE TABLE` with `DROP TABLE`.
///
/// Verdict **lossy**: the schema returns exactly, but every row written to the new table is
/// deleted with it. A `CREATE TABLE IF NOT EXISTS` over an existing table changed nothing.
///
/// ```sql
/// CREATE TABLE "Job" ("id" TEXT NOT NULL, CONSTRAINT "Job_pkey" PRIMARY KEY ("id"));
/// -- undo:
/// DROP TABLE "Job";
/// ```
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
}

/// Undoes `DROP TABLE` by recreating the table from the model: columns in order, defaults,
/// constraints, indexes, its foreign keys, foreign keys of other tables that pointed at it,
/// and views that `CASCADE` dropped.
///
/// Verdict **lossy**: the table comes back empty (all its rows are gone) and sequences of its
/// serial columns restart. **manual** when the model does not know the table's columns.
///
/// ```sql
/// DROP TABLE "Job";
/// -- undo:
/// CREATE TABLE "Job" ("id" text NOT NULL, CONSTRAINT "Job_pkey" PRIMARY KEY ("id"));
/// ```
pub fn drop_table(catalog: &Catalog, s: &pb::DropStmt) -> Undo {
    let name = object_qname(&s.objects[0]);
    let Some(table) = catalog.table(&name) else {
        if s.missing_ok {
            return Undo::nothing(format!(
                "table {name} did not exist, so DROP TABLE IF EXISTS did nothing"
            ));
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
        for view in catalog.views_reading(&name) {
            match views::recreate_view(view) {
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
    Undo::lossy(
        format!("recreates table {name} empty: its rows are lost"),
        statements,
    )
    .losing([DataLoss::Table { table: name }])
}
