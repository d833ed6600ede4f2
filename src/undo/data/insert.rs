//! `INSERT`: rows added with constant keys are deleted by those keys (rule `undo-insert`).

use super::effects::{delete_effects, quoted, rows_and_effects, trigger_note};
use super::target_columns;
use crate::catalog::{Catalog, ConstraintKind, Table};
use crate::sql::quote::Ident;
use crate::sql::{build, pb, string_list, Node, NodeEnum, QName};
use crate::undo::rule::undo_rule;
use crate::undo::{stmt, Undo};

undo_rule! {
    /// rows an INSERT added with constant keys are deleted by those keys
    ///
    /// ## Undoes
    ///
    /// - `INSERT … VALUES`
    /// - `INSERT … SELECT`
    /// - `INSERT … ON CONFLICT`
    ///
    /// ## The undo
    ///
    /// `DELETE … WHERE key IN (…)` (or `(k1, k2) IN ((…), …)` for a composite key) when every row gives the table's primary or unique key as constants: a plain `INSERT` that succeeded proves those keys were new, so exactly its rows go.
    ///
    /// ## Verdict
    ///
    /// **lossy**: changes made to those rows since go with them, and so does whatever `ON DELETE` actions follow (the note names them). Nothing to undo (**exact**) for rows into a table the same migration creates (`CREATE TABLE IF NOT EXISTS` of a table no earlier migration creates included). **manual** for `INSERT … SELECT`, `ON CONFLICT`, rows without a constant key, and any statement with a data-changing `WITH`: which rows changed is only known at run time.
    ///
    /// ## Examples
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "models" ("id" TEXT PRIMARY KEY, "name" TEXT);
    ///
    /// -- this migration
    /// INSERT INTO "models" ("id", "name") VALUES ('gpt', 'GPT');
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// DELETE FROM models WHERE id IN ('gpt');
    /// ```
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "models" ("id" SERIAL PRIMARY KEY, "name" TEXT);
    ///
    /// -- this migration
    /// INSERT INTO "models" ("name") VALUES ('GPT');
    /// ```
    ///
    /// Its undo, **manual**: no statement; the undo file holds a manual block that fails until it is written.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/data/keyed_inserts.sql` (snapshot `snapshots/data__keyed_inserts.snap`)
    /// - `tests/cases/data/data_statements.sql` (snapshot `snapshots/data__data_statements.snap`)
    /// - `tests/cases/data/do_blocks_that_only_check.sql` (snapshot `snapshots/data__do_blocks_that_only_check.snap`)
    UNDO_INSERT = "undo-insert";
}

/// The undo of rule `undo-insert` (UNDO_INSERT above).
pub(super) fn insert(catalog: &Catalog, table: &QName, s: &pb::InsertStmt) -> Undo {
    let manual = |why: &str| {
        Undo::manual(format!(
            "INSERT into {table}: {why}; write the DELETE that removes exactly the rows it added"
        ))
    };
    if s.on_conflict_clause.is_some() {
        return manual(
            "with ON CONFLICT some of its rows may have been there already, so which rows it added is unknown",
        );
    }
    let Some(rows) = values_rows(s) else {
        return manual(
            "its rows come from a query, so which rows it added is only known at run time",
        );
    };
    let Some(model) = catalog.table(table) else {
        return manual(
            "the table is not created by any earlier migration, so its keys are unknown",
        );
    };
    if let Some(why) = &model.opaque {
        return manual(&format!("the table's keys are not known ({why})"));
    }
    let columns = if s.cols.is_empty() {
        model.columns.iter().map(|c| c.name.clone()).collect()
    } else {
        target_columns(&s.cols)
    };
    let Some((key_name, key)) = unique_keys(catalog, model)
        .into_iter()
        .find_map(|(name, key)| {
            key_values(&key, &columns, rows).map(|values| (name, (key, values)))
        })
    else {
        return manual("no primary key or unique key of the table is given as a constant in every row, so its rows cannot be told apart from the rows already there");
    };
    let (key_columns, values) = key;
    let count = values.len();
    let (rows_word, them) = if count == 1 {
        ("row", "it")
    } else {
        ("rows", "them")
    };
    let mut reason = format!(
        "deletes the {count} {rows_word} this INSERT added, found by {key_name} ({}): changes made to {them} since are lost with {them}",
        quoted(&key_columns)
    );
    for effect in delete_effects(catalog, table, true) {
        reason.push_str("; ");
        reason.push_str(&effect);
    }
    reason.push_str(&trigger_note(catalog, table));
    Undo::lossy(
        reason,
        vec![stmt(delete_where_in(table, &key_columns, values))],
    )
    .losing(rows_and_effects(catalog, table))
}

/// The rows of `INSERT … VALUES (…), (…)`, or `None` for any other source.
fn values_rows(s: &pb::InsertStmt) -> Option<&[Node]> {
    match s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) {
        Some(NodeEnum::SelectStmt(select))
            if !select.values_lists.is_empty() && select.with_clause.is_none() =>
        {
            Some(&select.values_lists)
        }
        _ => None,
    }
}

/// The table's primary key and unique keys (constraints, and unique indexes without a
/// predicate or expressions), primary key first, each with a description and its columns.
fn unique_keys(catalog: &Catalog, table: &Table) -> Vec<(String, Vec<String>)> {
    let mut keys = Vec::new();
    for kind in [ConstraintKind::PrimaryKey, ConstraintKind::Unique] {
        for c in table.constraints.iter().filter(|c| c.kind == kind) {
            let what = match kind {
                ConstraintKind::PrimaryKey => "its primary key".to_string(),
                _ => format!("unique constraint {}", Ident(&c.name)),
            };
            keys.push((what, string_list(&c.def.unpack().keys)));
        }
    }
    for index in catalog.indexes_on(&table.name) {
        let stmt = index.stmt.unpack();
        let plain_columns: Option<Vec<String>> = stmt
            .index_params
            .iter()
            .map(|p| match &p.node {
                Some(NodeEnum::IndexElem(e)) if e.expr.is_none() && !e.name.is_empty() => {
                    Some(e.name.clone())
                }
                _ => None,
            })
            .collect();
        if !stmt.unique || stmt.where_clause.is_some() || index.constraint.is_some() {
            continue;
        }
        if let Some(columns) = plain_columns {
            keys.push((format!("unique index {}", Ident(&index.name.name)), columns));
        }
    }
    keys.retain(|(_, columns)| !columns.is_empty());
    keys
}

/// The key's value in every row, when each is a non-NULL constant; `None` otherwise (a
/// NULL, `DEFAULT` or computed value, or a key column the INSERT does not set).
fn key_values(key: &[String], columns: &[String], rows: &[Node]) -> Option<Vec<Vec<Node>>> {
    let positions: Vec<usize> = key
        .iter()
        .map(|k| columns.iter().position(|c| c == k))
        .collect::<Option<_>>()?;
    rows.iter()
        .map(|row| {
            let Some(NodeEnum::List(row)) = &row.node else {
                return None;
            };
            if row.items.len() != columns.len() {
                return None;
            }
            positions
                .iter()
                .map(|&p| is_constant(&row.items[p]).then(|| row.items[p].clone()))
                .collect()
        })
        .collect()
}

/// A literal other than NULL, possibly cast (`'…'::uuid`).
fn is_constant(node: &Node) -> bool {
    match &node.node {
        Some(NodeEnum::AConst(c)) => !c.isnull && c.val.is_some(),
        Some(NodeEnum::TypeCast(cast)) => cast.arg.as_deref().is_some_and(is_constant),
        _ => false,
    }
}

/// `DELETE FROM t WHERE k IN (…)`, or `WHERE (k1, k2) IN ((…), (…))` for a composite key.
fn delete_where_in(table: &QName, key: &[String], rows: Vec<Vec<Node>>) -> NodeEnum {
    let row = |items: Vec<Node>| {
        build::node(NodeEnum::RowExpr(Box::new(pb::RowExpr {
            args: items,
            row_format: pb::CoercionForm::CoerceImplicitCast as i32,
            location: -1,
            ..Default::default()
        })))
    };
    let (lexpr, values) = if key.len() == 1 {
        let values = rows.into_iter().flatten().collect();
        (build::column_ref(&key[0]), values)
    } else {
        let columns = key.iter().map(|k| build::column_ref(k)).collect();
        (row(columns), rows.into_iter().map(row).collect())
    };
    let condition = build::node(NodeEnum::AExpr(Box::new(pb::AExpr {
        kind: pb::AExprKind::AexprIn as i32,
        name: vec![build::string("=")],
        lexpr: Some(Box::new(lexpr)),
        rexpr: Some(Box::new(build::list(values))),
        location: -1,
        ..Default::default()
    })));
    NodeEnum::DeleteStmt(Box::new(pb::DeleteStmt {
        relation: Some(build::range_var(table)),
        where_clause: Some(Box::new(condition)),
        ..Default::default()
    }))
}
