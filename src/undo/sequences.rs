//! The undo of `DROP SEQUENCE` for a sequence a column owns: the one PostgreSQL made for a
//! `serial` column (see `catalog/implicit.rs`), part of rule `undo-drop-object`.

use super::recreate::owned_by_option;
use super::{stmt, Undo, UndoSql};
use crate::catalog::{nextval_target, Catalog, Implicit, Sequence};
use crate::sql::quote::{self, Ident};
use crate::sql::{build, pb, NodeEnum, QName};
use pb::AlterTableType as At;

/// Creates the sequence again, owned by its column (and the column's default again when the
/// drop took it, `CASCADE`), and sets it past the largest value in the column.
pub fn drop_owned_sequence(catalog: &Catalog, sequence: &Sequence) -> Undo {
    let Some((table, column)) = &sequence.owned_by else {
        unreachable!("called for owned sequences only");
    };
    let name = &sequence.name;
    let owner = quote::Column(table, column);
    if sequence.implicit == Some(Implicit::Identity) {
        return Undo::manual(format!(
            "sequence {name} belongs to the identity column {owner}: PostgreSQL refuses to drop it (use ALTER COLUMN … DROP IDENTITY), so this statement fails; reverse what it was meant to do by hand"
        ));
    }
    let Some(c) = catalog.table(table).and_then(|t| t.column(column)) else {
        return Undo::manual(format!(
            "sequence {name} is owned by {owner}, which the model does not know; recreate it by hand"
        ));
    };
    let mut create = sequence.stmt.unpack();
    create.sequence = Some(build::range_var(name));
    create.options.push(owned_by_option(table, column));
    let mut statements = vec![stmt(NodeEnum::CreateSeqStmt(create))];
    let mut what = format!("creates sequence {name} again, owned by {owner}");
    let draws = c.default.as_ref().and_then(|d| nextval_target(&d.unpack()));
    if draws.as_ref() == Some(name) {
        let default = c.default.as_ref().map(|d| d.unpack());
        statements.push(stmt(build::alter_table(
            table,
            vec![build::table_cmd(At::AtColumnDefault, column, default)],
        )));
        what.push_str(", and the column's default nextval, which the drop (CASCADE) removed");
    }
    let integer = matches!(
        c.type_name
            .unpack()
            .names
            .last()
            .and_then(crate::sql::string_value),
        Some("int2" | "int4" | "int8")
    );
    statements.push(set_past_max(name, table, column, integer));
    Undo::lossy(
        format!(
            "{what}: its current value is lost; the undo sets it to the largest {} in {table} (setval), so values handed out to rows deleted since may be handed out again",
            Ident(column)
        ),
        statements,
    )
}

/// `SELECT setval('<sequence>', max(<column>)) FROM <table>`: the next value is past every
/// value in the column (on an empty table `max` is NULL, `setval` does nothing, and the
/// sequence starts at its start value). `column::bigint` when the column is not an integer
/// type (yet: the undo turns it back into one later).
fn set_past_max(sequence: &QName, table: &QName, column: &str, integer: bool) -> UndoSql {
    let mut value = build::column_ref(column);
    if !integer {
        let bigint = pb::TypeName {
            names: vec![build::string("pg_catalog"), build::string("int8")],
            typemod: -1,
            ..Default::default()
        };
        value = build::cast(value, bigint);
    }
    let call = |name: &str, args: Vec<pb::Node>| {
        build::node(NodeEnum::FuncCall(Box::new(pb::FuncCall {
            funcname: vec![build::string(name)],
            args,
            funcformat: pb::CoercionForm::CoerceExplicitCall as i32,
            location: -1,
            ..Default::default()
        })))
    };
    let setval = call(
        "setval",
        vec![
            build::string_constant(&sequence.to_string()),
            call("max", vec![value]),
        ],
    );
    stmt(NodeEnum::SelectStmt(Box::new(pb::SelectStmt {
        target_list: vec![build::node(NodeEnum::ResTarget(Box::new(pb::ResTarget {
            val: Some(Box::new(setval)),
            location: -1,
            ..Default::default()
        })))],
        from_clause: vec![build::node(NodeEnum::RangeVar(build::range_var(table)))],
        limit_option: pb::LimitOption::Default as i32,
        op: pb::SetOperation::SetopNone as i32,
        ..Default::default()
    })))
}
