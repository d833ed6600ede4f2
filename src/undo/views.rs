//! Views and materialized views: `CREATE [OR REPLACE] VIEW` ↔ `DROP VIEW`.

use super::rule::{undo_rule, UndoRule};
use super::{recreate, stmt, tables, DataLoss, Undo, UndoSql};
use crate::catalog::{object_qname, Catalog, View, ViewDefinition};
use crate::sql::text::{self, DropKind};
use crate::sql::{pb, NodeEnum, QName};
use pb::ObjectType;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_CREATE_VIEW, UNDO_CREATE_TABLE_AS, UNDO_DROP_VIEW];

fn drop_view_stmt(view: &QName, materialized: bool) -> UndoSql {
    let kind = if materialized {
        DropKind::MaterializedView
    } else {
        DropKind::View
    };
    UndoSql::text(text::drop(kind, view, false), false)
}

/// The statements that create `view` as the model recorded it, or why its recorded
/// definition cannot be replayed (every caller must then fall back to a manual undo).
pub fn recreate_view(view: &View) -> Result<Vec<UndoSql>, &str> {
    if let Some(why) = &view.not_replayable {
        return Err(why);
    }
    Ok(match &view.definition {
        ViewDefinition::View(s) => vec![stmt(NodeEnum::ViewStmt(Box::new(s.unpack())))],
        ViewDefinition::Materialized(s) => {
            vec![stmt(NodeEnum::CreateTableAsStmt(Box::new(s.unpack())))]
        }
    })
}

/// [`recreate_view`], then what PostgreSQL dropped with the view: the indexes of a
/// materialized view, the triggers on it, and the comments on it, its columns and its indexes.
pub fn recreate_view_whole(catalog: &Catalog, view: &View) -> Result<Vec<UndoSql>, String> {
    let mut statements = recreate_view(view).map_err(str::to_string)?;
    let kind = match view.definition {
        ViewDefinition::View(_) => ObjectType::ObjectView,
        ViewDefinition::Materialized(_) => ObjectType::ObjectMatview,
    };
    for index in catalog.indexes_on(&view.name) {
        statements.push(recreate::create_index(index, false));
        statements.extend(recreate::comments_of(
            catalog,
            ObjectType::ObjectIndex,
            &index.name,
        ));
    }
    statements.extend(recreate::triggers_of(catalog, &view.name));
    statements.extend(recreate::comments_of(catalog, kind, &view.name));
    Ok(statements)
}

undo_rule! {
    /// a new view is dropped, a replaced one gets its previous definition back
    ///
    /// ## Undoes
    ///
    /// - `CREATE VIEW`
    /// - `CREATE OR REPLACE VIEW`
    ///
    /// ## The undo
    ///
    /// `DROP VIEW`; for `CREATE OR REPLACE VIEW` of an existing view, `DROP VIEW` and the previous definition created again (`OR REPLACE` cannot remove columns, so the old definition could not replace the new one).
    ///
    /// ## Verdict
    ///
    /// **exact**: a view holds no data. **manual** when other views read it (they would have to be dropped and recreated too), or when the previous definition cannot be replayed.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT);
    /// CREATE VIEW "active_users" AS SELECT "id" FROM "User";
    ///
    /// -- this migration
    /// CREATE OR REPLACE VIEW "active_users" AS SELECT "id", "email" FROM "User";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP VIEW active_users;
    /// CREATE VIEW active_users AS SELECT id FROM "User";
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/views/views.sql` (snapshot `snapshots/views__views.snap`)
    UNDO_CREATE_VIEW = "undo-create-view";
}

/// The undo of rule `undo-create-view` (UNDO_CREATE_VIEW above).
pub fn create_view(catalog: &Catalog, s: &pb::ViewStmt) -> Undo {
    let name = QName::from_range_var(s.view.as_ref().expect("view name"));
    let previous = catalog.views.get(&name);
    if let Some(reader) = catalog.views_reading(&name).next() {
        return Undo::manual(format!(
            "view {} reads view {name}, so reverting {name} means dropping and recreating it too; do it by hand",
            reader.name
        ));
    }
    match previous {
        Some(old) => match recreate_view(old) {
            Ok(again) => {
                let mut statements = vec![drop_view_stmt(&name, false)];
                statements.extend(again);
                Undo::exact(
                    format!("restores the previous definition of view {name}"),
                    statements,
                )
            }
            Err(why) => Undo::manual(format!(
                "the previous definition of view {name} cannot be replayed: {why}; recreate it by hand"
            )),
        },
        None => Undo::exact(
            format!("drops view {name} again"),
            vec![drop_view_stmt(&name, false)],
        ),
    }
}

undo_rule! {
    /// a materialized view or a table created from a query is dropped again
    ///
    /// ## Undoes
    ///
    /// - `CREATE MATERIALIZED VIEW`
    /// - `CREATE TABLE … AS`
    /// - `SELECT … INTO`
    ///
    /// ## The undo
    ///
    /// `DROP MATERIALIZED VIEW`, or `DROP TABLE` for a table created from a query.
    ///
    /// ## Verdict
    ///
    /// **exact** for a materialized view (its rows are derived); **lossy** for a table (its rows are lost).
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE MATERIALIZED VIEW "daily" AS SELECT 1 AS "one";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP MATERIALIZED VIEW daily;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/views/views.sql` (snapshot `snapshots/views__views.snap`)
    UNDO_CREATE_TABLE_AS = "undo-create-table-as";
}

/// The undo of rule `undo-create-table-as` (UNDO_CREATE_TABLE_AS above).
pub fn create_table_as(_catalog: &Catalog, s: &pb::CreateTableAsStmt) -> Undo {
    let Some(rel) = s.into.as_ref().and_then(|i| i.rel.as_ref()) else {
        return Undo::manual("CREATE … AS without a name");
    };
    let name = QName::from_range_var(rel);
    if s.objtype == ObjectType::ObjectMatview as i32 {
        Undo::exact(
            format!("drops materialized view {name} again"),
            vec![drop_view_stmt(&name, true)],
        )
    } else {
        Undo::lossy(
            format!("drops table {name}: its rows are lost"),
            vec![tables::drop_table_stmt(&name)],
        )
        .losing([DataLoss::Table { table: name }])
    }
}

undo_rule! {
    /// a dropped view is created again from its recorded definition
    ///
    /// ## Undoes
    ///
    /// - `DROP VIEW`
    /// - `DROP MATERIALIZED VIEW`
    /// - `DROP VIEW IF EXISTS`
    ///
    /// ## The undo
    ///
    /// Creates the view again from the definition the model recorded (`SELECT *` expanded as PostgreSQL expanded it when the view was created, in its CTEs and `FROM` subqueries too, renames of what it reads followed as PostgreSQL follows them), then what the drop took with it: the indexes of a materialized view, the triggers on the view, the comments on it, its columns and its indexes. After `DROP … CASCADE`, the views that read it, directly or through each other, are created again too, each after the views it reads.
    ///
    /// ## Verdict
    ///
    /// **exact**: a view holds no data of its own (a materialized view is filled again from its query). **manual** when no earlier migration creates the view, or its definition (or that of a view the `CASCADE` dropped) cannot be replayed: a `*` over something whose columns the model does not know (a function, another view, a subquery column without a name) or in a subquery inside an expression (`EXISTS (SELECT * …)`), or a column renamed since that unmigrate cannot follow into every reference.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    /// CREATE VIEW "active_users" AS SELECT "id" FROM "User";
    ///
    /// -- this migration
    /// DROP VIEW "active_users";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// CREATE VIEW active_users AS SELECT id FROM "User";
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/views/views.sql` (snapshot `snapshots/views__views.snap`)
    /// - `tests/cases/views/star_expanded_at_creation.sql` (snapshot `snapshots/views__star_expanded_at_creation.snap`)
    /// - `tests/cases/views/drop_cascade_after_renames.sql` (snapshot `snapshots/views__drop_cascade_after_renames.snap`)
    /// - `tests/cases/views/drop_materialized_view_with_index.sql` (snapshot `snapshots/views__drop_materialized_view_with_index.snap`)
    UNDO_DROP_VIEW = "undo-drop-view";
}

/// The undo of rule `undo-drop-view` (UNDO_DROP_VIEW above).
pub fn drop_view(catalog: &Catalog, s: &pb::DropStmt) -> Undo {
    let name = object_qname(&s.objects[0]);
    let Some(view) = catalog.views.get(&name) else {
        return Undo::of_unknown_drop("view", &name, s.missing_ok);
    };
    let mut statements = match recreate_view_whole(catalog, view) {
        Ok(again) => again,
        Err(why) => {
            return Undo::manual(format!(
                "view {name} cannot be recreated from its recorded definition: {why}; recreate it by hand"
            ))
        }
    };
    let mut reason = format!("creates view {name} again");
    if s.behavior == pb::DropBehavior::DropCascade as i32 {
        let dependents = catalog.views_depending_on(&name);
        for dependent in &dependents {
            match recreate_view_whole(catalog, dependent) {
                Ok(again) => statements.extend(again),
                Err(why) => {
                    return Undo::manual(format!(
                        "DROP … CASCADE also dropped view {}, which cannot be recreated from its recorded definition: {why}; recreate it by hand",
                        dependent.name
                    ))
                }
            }
        }
        if !dependents.is_empty() {
            let names: Vec<String> = dependents.iter().map(|v| v.name.to_string()).collect();
            reason.push_str(&format!(
                ", and the views CASCADE dropped with it: {}",
                names.join(", ")
            ));
        }
    }
    Undo::exact(reason, statements)
}
