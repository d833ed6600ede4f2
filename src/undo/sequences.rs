//! Sequences: `ALTER SEQUENCE` (rule `undo-alter-sequence`), and the undo of `DROP SEQUENCE`
//! for a sequence a column owns (`OWNED BY`, or the one PostgreSQL made for a `serial` column:
//! see `catalog/implicit.rs`), part of rule `undo-drop-object`.

use super::recreate::owned_by_option;
use super::rule::{undo_rule, UndoRule};
use super::{stmt, Undo, UndoSql};
use crate::catalog::{nextval_target, Catalog, Implicit, Sequence};
use crate::sql::quote::{self, Ident};
use crate::sql::{build, pb, NodeEnum, QName};
use pb::AlterTableType as At;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_ALTER_SEQUENCE];

undo_rule! {
    /// a sequence given another owning column gets its earlier owner back
    ///
    /// ## Undoes
    ///
    /// - `ALTER SEQUENCE … OWNED BY table.column`
    /// - `ALTER SEQUENCE … OWNED BY NONE`
    ///
    /// ## The undo
    ///
    /// `ALTER SEQUENCE … OWNED BY` the column that owned it before (the model follows `OWNED BY` in `CREATE SEQUENCE` and `ALTER SEQUENCE`), or `OWNED BY NONE` when none did (written `OWNED BY "none"`, as PostgreSQL's deparser writes it and its parser reads it: a one-part name `none` is no column). Owned by a column, the sequence is dropped with it (or with its table), and the undo of that drop creates it again before the table and owns it after.
    ///
    /// ## Verdict
    ///
    /// **exact**: ownership is a dependency only, no value changes. Nothing to undo for `ALTER SEQUENCE IF EXISTS` of a sequence no earlier migration creates. **manual** for a sequence no earlier migration creates, and for other options (`INCREMENT`, `RESTART`, `AS`, …): their earlier values and the sequence's position are not restored automatically yet; set them back by hand.
    ///
    /// ## Examples
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "builds" ("id" INTEGER NOT NULL);
    /// CREATE SEQUENCE "builds_id_seq" AS integer START WITH 1;
    ///
    /// -- this migration
    /// ALTER SEQUENCE "builds_id_seq" OWNED BY "builds"."id";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER SEQUENCE builds_id_seq OWNED BY "none";
    /// ```
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE SEQUENCE "ticket_seq";
    ///
    /// -- this migration
    /// ALTER SEQUENCE "ticket_seq" INCREMENT BY 10;
    /// ```
    ///
    /// Its undo, **manual**: no statement; the undo file holds a manual block that fails until it is written.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/objects/sequence_owned_by.sql` (snapshot `snapshots/objects__sequence_owned_by.snap`)
    UNDO_ALTER_SEQUENCE = "undo-alter-sequence";
}

/// The undo of rule `undo-alter-sequence` (UNDO_ALTER_SEQUENCE above).
pub fn alter_sequence(catalog: &Catalog, s: &pb::AlterSeqStmt) -> Undo {
    let Some(name) = s.sequence.as_ref().map(QName::from_range_var) else {
        return Undo::manual("ALTER SEQUENCE without a name");
    };
    let Some(sequence) = catalog.sequences.get(&name) else {
        if s.missing_ok {
            return Undo::nothing(format!(
                "no earlier migration creates sequence {name}, so ALTER SEQUENCE IF EXISTS changed nothing (if it was created outside the migrations, set it back by hand)"
            ));
        }
        return Undo::manual(format!(
            "sequence {name} is not created by any earlier migration, so its earlier state is unknown; set it back by hand"
        ));
    };
    let others: Vec<&str> = (s.options.iter())
        .filter_map(|o| match &o.node {
            Some(NodeEnum::DefElem(d)) if d.defname != "owned_by" => Some(d.defname.as_str()),
            _ => None,
        })
        .collect();
    if !others.is_empty() {
        return Undo::manual(format!(
            "ALTER SEQUENCE {name} changes {}: unmigrate does not restore a sequence's options or position yet; set them back by hand",
            others.join(", ")
        ));
    }
    let owner = match &sequence.owned_by {
        Some((table, column)) => owned_by_option(table, column),
        None => build::node(NodeEnum::DefElem(Box::new(pb::DefElem {
            defname: "owned_by".into(),
            arg: Some(Box::new(build::list(vec![build::string("none")]))),
            defaction: pb::DefElemAction::DefelemUnspec as i32,
            location: -1,
            ..Default::default()
        }))),
    };
    let earlier = match &sequence.owned_by {
        Some((table, column)) => format!("owned by {} again", quote::Column(table, column)),
        None => "owned by no column again".to_string(),
    };
    Undo::exact(
        format!("makes sequence {name} {earlier}"),
        vec![stmt(NodeEnum::AlterSeqStmt(pb::AlterSeqStmt {
            sequence: Some(build::range_var(&name)),
            options: vec![owner],
            ..Default::default()
        }))],
    )
}

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
