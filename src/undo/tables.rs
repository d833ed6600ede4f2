//! Tables: `CREATE TABLE` ↔ `DROP TABLE`.

use super::rule::{undo_rule, UndoExample, UndoRule};
use super::{recreate, views, DataLoss, Undo, Verdict};
use crate::catalog::{object_qname, Catalog};
use crate::sql::text::{self, DropKind};
use crate::sql::{pb, QName};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_CREATE_TABLE, UNDO_DROP_TABLE];

undo_rule!(UNDO_CREATE_TABLE {
    id: "undo-create-table",
    summary: "a new table is dropped again",
    undoes: &[
        "CREATE TABLE",
        "CREATE TABLE IF NOT EXISTS",
        "CREATE UNLOGGED TABLE",
        "CREATE TABLE … PARTITION BY",
    ],
    how: r#"`DROP TABLE` of the new table."#,
    verdicts: r#"**lossy**: the schema returns exactly, but every row written to the new table is deleted with it. Nothing to undo (**exact**, no statement) when `CREATE TABLE IF NOT EXISTS` met a table an earlier migration created."#,
    examples: &[UndoExample {
        before: r#""#,
        forward: r#"CREATE TABLE "Job" ("id" TEXT NOT NULL, CONSTRAINT "Job_pkey" PRIMARY KEY ("id"));"#,
        undo: r#"DROP TABLE "Job";"#,
        verdict: Verdict::Lossy,
    }],
    cases: &[
        "create_table",
        "create_table_if_not_exists_existing",
        "partitioned_and_schema",
    ],
});

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
}

undo_rule!(UNDO_DROP_TABLE {
    id: "undo-drop-table",
    summary: "a dropped table is created again from the model, empty",
    undoes: &["DROP TABLE", "DROP TABLE IF EXISTS", "DROP TABLE … CASCADE"],
    how: r#"Recreates the table as the earlier migrations left it: columns in order with their types, defaults and nullability, its constraints and indexes, its foreign keys, the foreign keys of other tables that pointed at it, and the views a `CASCADE` dropped."#,
    verdicts: r#"**lossy**: the table comes back empty (its rows are gone) and the sequences of its serial columns restart. **manual** when no earlier migration creates the table, or when its columns are not known (a `DO` block or an unmodelled statement touched it), or when a view dropped by `CASCADE` cannot be replayed from its recorded definition. Nothing to undo for `DROP TABLE IF EXISTS` of a table that did not exist."#,
    examples: &[
        UndoExample {
            before: r#"CREATE TABLE "Job" ("id" TEXT NOT NULL, "status" TEXT DEFAULT 'new', CONSTRAINT "Job_pkey" PRIMARY KEY ("id"));
CREATE INDEX "Job_status_idx" ON "Job"("status");"#,
            forward: r#"DROP TABLE "Job";"#,
            undo: r#"CREATE TABLE "Job" (id text NOT NULL, status text DEFAULT 'new', CONSTRAINT "Job_pkey" PRIMARY KEY (id));
CREATE INDEX "Job_status_idx" ON "Job" USING btree (status);"#,
            verdict: Verdict::Lossy,
        },
        UndoExample {
            before: r#""#,
            forward: r#"DROP TABLE "Legacy";"#,
            undo: r#""#,
            verdict: Verdict::Manual,
        },
    ],
    cases: &[
        "drop_table_with_everything",
        "drop_table_unknown",
        "do_block_taints_table",
    ],
});

/// The undo of rule `undo-drop-table` (UNDO_DROP_TABLE above).
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
