//! Data moves reversed (issue 13): a migration that copied `from` into a column it added
//! (`UPDATE t SET into = from`, see [`crate::catalog::Moves`]) and then emptied `from`
//! (`SET from = NULL`) or dropped it is undone by moving the values back from `into` before
//! the undo of its `ADD COLUMN` drops `into`, the one column that still holds them.

use super::columns::types::{base_name, same_type};
use super::{stmt, UndoSql};
use crate::catalog::{copies_in, Catalog, ColumnCopy, Table};
use crate::sql::quote::{self, Ident};
use crate::sql::{build, pb, Node, NodeEnum, QName};

/// The value that puts a copy back into its source column: `into`, or `into::type` when the
/// copy went through text; `None` when the round trip is not certain (different types, or a
/// type whose text form may not read back as the same value).
pub(super) fn back_value(catalog: &Catalog, table: &Table, copy: &ColumnCopy) -> Option<pb::Node> {
    let (into, from) = (table.column(&copy.into)?, table.column(&copy.from)?);
    let (into_type, from_type) = (into.type_name.unpack(), from.type_name.unpack());
    if !copy.via_text {
        return same_type(&into_type, &from_type).then(|| build::column_ref(&copy.into));
    }
    let is_enum = catalog
        .enums
        .contains_key(&QName::from_name_nodes(&from_type.names));
    let text_round_trips = from_type.array_bounds.is_empty()
        && (is_enum
            || matches!(
                base_name(&from_type).as_str(),
                "text" | "varchar" | "int2" | "int4" | "int8" | "numeric" | "bool" | "uuid"
            ));
    let into_is_text = into_type.array_bounds.is_empty() && base_name(&into_type) == "text";
    (text_round_trips && into_is_text)
        .then(|| build::cast(build::column_ref(&copy.into), from_type))
}

/// `UPDATE table SET from = value WHERE [from IS NULL AND] into IS NOT NULL`: the rows the
/// forward copied (`into` was NULL everywhere else), and only those it emptied when
/// `emptied_only`.
pub(super) fn move_back(
    table: &QName,
    copy: &ColumnCopy,
    value: pb::Node,
    emptied_only: bool,
) -> UndoSql {
    let mut tests = Vec::new();
    if emptied_only {
        tests.push(null_test(&copy.from, pb::NullTestType::IsNull));
    }
    tests.push(null_test(&copy.into, pb::NullTestType::IsNotNull));
    let condition = if tests.len() == 1 {
        tests.pop().expect("one test")
    } else {
        build::node(NodeEnum::BoolExpr(Box::new(pb::BoolExpr {
            boolop: pb::BoolExprType::AndExpr as i32,
            args: tests,
            location: -1,
            ..Default::default()
        })))
    };
    let target = build::node(NodeEnum::ResTarget(Box::new(pb::ResTarget {
        name: copy.from.clone(),
        val: Some(Box::new(value)),
        location: -1,
        ..Default::default()
    })));
    stmt(NodeEnum::UpdateStmt(Box::new(pb::UpdateStmt {
        relation: Some(build::range_var(table)),
        target_list: vec![target],
        where_clause: Some(Box::new(condition)),
        ..Default::default()
    })))
}

/// What the note says of a move back.
pub(super) fn moved_back_note(table: &QName, copy: &ColumnCopy, emptied_only: bool) -> String {
    let (from, into) = (quote::Column(table, &copy.from), Ident(&copy.into));
    let rows = if emptied_only {
        format!("rows where it is NULL and {into} is not")
    } else {
        format!("rows where {into} is not NULL")
    };
    format!(
        "moves {from} back from {into}, where this migration copied it ({rows}; rows written since that match get the value too), before {into} is dropped"
    )
}

fn null_test(column: &str, kind: pb::NullTestType) -> pb::Node {
    build::node(NodeEnum::NullTest(Box::new(pb::NullTest {
        arg: Some(Box::new(build::column_ref(column))),
        nulltesttype: kind as i32,
        location: -1,
        ..Default::default()
    })))
}

/// The statement that refills a re-added column from the column this migration copied it
/// into before dropping it, and what the note says of it.
pub(super) fn refill(catalog: &Catalog, t: &Table, column: &str) -> Option<(UndoSql, String)> {
    catalog.moves.copies_of(&t.name, column).find_map(|copy| {
        let value = back_value(catalog, t, copy)?;
        Some((
            move_back(&t.name, copy, value, false),
            moved_back_note(&t.name, copy, false),
        ))
    })
}

/// The copies this `UPDATE` empties the source of (`SET from = NULL`), made by it or by an
/// earlier statement of the migration, each with the value that moves it back.
fn emptied_copies(
    catalog: &Catalog,
    table: &QName,
    s: &pb::UpdateStmt,
) -> Vec<(ColumnCopy, pb::Node)> {
    let Some(model) = catalog.table(table) else {
        return Vec::new();
    };
    let made = copies_in(catalog, s, |c| catalog.moves.is_fresh(table, c));
    let mut found: Vec<(ColumnCopy, pb::Node)> = Vec::new();
    for target in s.target_list.iter().filter_map(|t| match &t.node {
        Some(NodeEnum::ResTarget(r))
            if r.indirection.is_empty() && r.val.as_deref().is_some_and(is_null) =>
        {
            Some(r.name.as_str())
        }
        _ => None,
    }) {
        let copy = made
            .iter()
            .chain(catalog.moves.copies_of(table, target))
            .find_map(|copy| Some((copy.clone(), back_value(catalog, model, copy)?)));
        if let Some(found_copy) = copy {
            if !found.iter().any(|(c, _)| c.from == found_copy.0.from) {
                found.push(found_copy);
            }
        }
    }
    found
}

/// The statements that move emptied columns back, with what the note says of each and the
/// column it restores.
pub(super) fn moves_back(
    catalog: &Catalog,
    table: &QName,
    s: &pb::UpdateStmt,
) -> Vec<(UndoSql, String, String)> {
    emptied_copies(catalog, table, s)
        .into_iter()
        .map(|(copy, value)| {
            let note = moved_back_note(table, &copy, true);
            (move_back(table, &copy, value, true), note, copy.from)
        })
        .collect()
}

/// `NULL`, possibly cast.
fn is_null(node: &Node) -> bool {
    match &node.node {
        Some(NodeEnum::AConst(c)) => c.isnull,
        Some(NodeEnum::TypeCast(cast)) => cast.arg.as_deref().is_some_and(is_null),
        _ => false,
    }
}
