//! Statements that rebuild objects from the schema model: what undoing a `DROP` needs.

use crate::catalog::{
    nextval_target, serial_over, Catalog, Column, Constraint, ConstraintKind, Index, Table,
};
use crate::sql::names::make_object_name;
use crate::sql::{build, pb, NodeEnum, QName};
use pb::{AlterTableType as At, ConstrType};

use super::{stmt, Placement, UndoSql};

/// The column of `table` as a `ColumnDef`, to add it back where it was dropped with the
/// sequence it owned: a column drawing from its own sequence, under the name `serial` gives
/// one now, is written `serial` again (which creates that sequence); any other owned sequence
/// is created around it by [`owned_sequences`].
pub fn column_def(catalog: &Catalog, table: &QName, column: &Column) -> pb::ColumnDef {
    let mut def = plain_column_def(column);
    if let Some(serial) = as_serial(catalog, table, column) {
        def.type_name = Some(pb::TypeName {
            names: vec![build::string(serial)],
            typemod: -1,
            ..Default::default()
        });
        def.constraints.retain(|c| {
            !matches!(&c.node, Some(NodeEnum::Constraint(c)) if c.contype == ConstrType::ConstrDefault as i32)
        });
    }
    def
}

/// The sequence `column` owns and draws its default from, if it has one.
fn drawn_sequence<'a>(
    catalog: &'a Catalog,
    table: &QName,
    column: &Column,
) -> Option<&'a crate::catalog::Sequence> {
    let sequence = catalog.owned_sequence(table, &column.name)?;
    let draws = column
        .default
        .as_ref()
        .and_then(|d| nextval_target(&d.unpack()))?;
    (draws == sequence.name).then_some(sequence)
}

/// `serial`, `bigserial` or `smallserial` when writing the column so recreates exactly its
/// type, default and sequence.
fn as_serial(catalog: &Catalog, table: &QName, column: &Column) -> Option<&'static str> {
    let sequence = drawn_sequence(catalog, table, column)?;
    // A sequence made by CREATE SEQUENCE keeps its own options (a pg_dump's is `bigint`
    // behind an `integer` column): it is created again as it was, not as `serial` makes one.
    if sequence.implicit != Some(crate::catalog::Implicit::Serial) {
        return None;
    }
    let chosen = table.sibling(&make_object_name(&table.name, Some(&column.name), "seq"));
    if sequence.name != chosen {
        return None;
    }
    serial_over(&column.type_name.unpack())
}

/// For columns re-added with the table or column that owned their sequence and that
/// `column_def` cannot write as `serial` (the sequence's name is not the one `serial` would
/// choose now, e.g. after the table was renamed): `CREATE SEQUENCE` to run before, and
/// `ALTER SEQUENCE … OWNED BY` to run after.
pub fn owned_sequences<'a>(
    catalog: &Catalog,
    table: &QName,
    columns: impl IntoIterator<Item = &'a Column>,
) -> (Vec<UndoSql>, Vec<UndoSql>) {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for column in columns {
        if as_serial(catalog, table, column).is_some() {
            continue;
        }
        let Some(sequence) = drawn_sequence(catalog, table, column) else {
            continue;
        };
        let mut create = sequence.stmt.unpack();
        create.sequence = Some(build::range_var(&sequence.name));
        before.push(stmt(NodeEnum::CreateSeqStmt(create)));
        after.push(stmt(owned_by(&sequence.name, table, &column.name)));
    }
    (before, after)
}

/// `ALTER SEQUENCE <sequence> OWNED BY <table>.<column>`
pub fn owned_by(sequence: &QName, table: &QName, column: &str) -> NodeEnum {
    NodeEnum::AlterSeqStmt(pb::AlterSeqStmt {
        sequence: Some(build::range_var(sequence)),
        options: vec![owned_by_option(table, column)],
        ..Default::default()
    })
}

/// The `OWNED BY <table>.<column>` option of a sequence statement.
pub fn owned_by_option(table: &QName, column: &str) -> pb::Node {
    let mut names = table.to_name_nodes();
    names.push(build::string(column));
    build::node(NodeEnum::DefElem(Box::new(pb::DefElem {
        defname: "owned_by".into(),
        arg: Some(Box::new(build::list(names))),
        defaction: pb::DefElemAction::DefelemUnspec as i32,
        location: -1,
        ..Default::default()
    })))
}

/// The column as a `ColumnDef`, with NOT NULL, DEFAULT, identity/generation and collation.
fn plain_column_def(column: &Column) -> pb::ColumnDef {
    let mut constraints = Vec::new();
    if column.not_null && !is_identity(column) {
        constraints.push(simple_constraint(ConstrType::ConstrNotnull, None));
    }
    if let Some(default) = &column.default {
        constraints.push(simple_constraint(
            ConstrType::ConstrDefault,
            Some(Box::new(default.unpack())),
        ));
    }
    if let Some(generated) = &column.generated {
        constraints.push(build::node(NodeEnum::Constraint(Box::new(
            generated.unpack(),
        ))));
    }
    pb::ColumnDef {
        colname: column.name.clone(),
        type_name: Some(column.type_name.unpack()),
        is_local: true,
        coll_clause: column.collation.as_ref().map(|c| Box::new(c.unpack())),
        constraints,
        ..Default::default()
    }
}

fn is_identity(column: &Column) -> bool {
    matches!(&column.generated, Some(g) if g.unpack().contype == ConstrType::ConstrIdentity as i32)
}

fn simple_constraint(kind: ConstrType, expr: Option<Box<pb::Node>>) -> pb::Node {
    build::node(NodeEnum::Constraint(Box::new(pb::Constraint {
        contype: kind as i32,
        raw_expr: expr,
        location: -1,
        ..Default::default()
    })))
}

/// The constraint definition ready to deparse, with its referenced table as it is named now.
pub fn constraint_node(c: &Constraint) -> Box<pb::Constraint> {
    let mut def = Box::new(c.def.unpack());
    def.conname = c.name.clone();
    if let Some((target, columns)) = &c.references {
        def.pktable = Some(build::range_var(target));
        def.pk_attrs = columns.iter().map(|col| build::string(col)).collect();
    }
    def.skip_validation = c.not_valid;
    def.initially_valid = !c.not_valid;
    def
}

/// `ALTER TABLE t ADD CONSTRAINT …`
pub fn add_constraint(table: &QName, c: &Constraint) -> UndoSql {
    let def = build::node(NodeEnum::Constraint(constraint_node(c)));
    stmt(build::alter_table(
        table,
        vec![build::table_cmd(At::AtAddConstraint, "", Some(def))],
    ))
}

/// `ALTER TABLE t ADD CONSTRAINT …` for a table in use: a valid foreign key or CHECK is added
/// `NOT VALID` (a brief lock, no scan: writes go on) and validated by a second statement in a
/// later transaction (see [`Placement`]), which scans under SHARE UPDATE EXCLUSIVE. Other
/// constraints, and one that was NOT VALID, as [`add_constraint`].
pub fn add_constraint_online(table: &QName, c: &Constraint) -> Vec<UndoSql> {
    if c.not_valid || !validates_later(c) {
        return vec![add_constraint(table, c)];
    }
    let mut def = constraint_node(c);
    def.skip_validation = true;
    def.initially_valid = false;
    let add = stmt(build::alter_table(
        table,
        vec![build::table_cmd(
            At::AtAddConstraint,
            "",
            Some(build::node(NodeEnum::Constraint(def))),
        )],
    ));
    let validate = UndoSql::text(crate::sql::text::validate_constraint(table, &c.name), false);
    vec![
        add.placed(Placement::NotValidAdd),
        validate.placed(Placement::Later),
    ]
}

/// Whether a constraint of this kind can be added `NOT VALID` and validated later.
pub fn validates_later(c: &Constraint) -> bool {
    matches!(c.kind, ConstraintKind::ForeignKey | ConstraintKind::Check)
}

/// `ALTER TABLE t DROP CONSTRAINT name`; `references` is the table a foreign key points at,
/// `columns` those of `t` the constraint covers or mentions.
pub fn drop_constraint(
    table: &QName,
    name: &str,
    references: Option<QName>,
    columns: Vec<String>,
) -> UndoSql {
    UndoSql::text(crate::sql::text::drop_constraint(table, name), false).with_effect(
        super::Effect::DropsConstraint {
            table: table.clone(),
            name: name.to_string(),
            references,
            columns,
            definition: None,
        },
    )
}

/// `CREATE INDEX` for a standalone index, as the model recorded it.
pub fn create_index(index: &Index, concurrent: bool) -> UndoSql {
    create_index_as(index, &index.name.name, concurrent)
}

/// [`create_index`] under another name.
pub fn create_index_as(index: &Index, name: &str, concurrent: bool) -> UndoSql {
    let mut s = Box::new(index.stmt.unpack());
    s.relation = Some(build::range_var(&index.table));
    s.idxname = name.to_string();
    s.concurrent = concurrent;
    UndoSql::new(NodeEnum::IndexStmt(s), concurrent)
}

/// Recreates a dropped table: `CREATE TABLE` with its columns and the constraints that do not
/// point elsewhere, then its standalone indexes, then foreign keys (its own and, when
/// `with_incoming`, those of other tables that pointed at it).
pub fn recreate_table(catalog: &Catalog, table: &Table, with_incoming: bool) -> Vec<UndoSql> {
    let inline = |c: &&Constraint| c.kind != ConstraintKind::ForeignKey && !c.not_valid;
    let mut elements: Vec<pb::Node> = table
        .columns
        .iter()
        .map(|c| {
            build::node(NodeEnum::ColumnDef(Box::new(column_def(
                catalog,
                &table.name,
                c,
            ))))
        })
        .collect();
    elements.extend(
        table
            .constraints
            .iter()
            .filter(inline)
            .map(|c| build::node(NodeEnum::Constraint(constraint_node(c)))),
    );
    let mut create = table.shape.unpack();
    let original = create.relation.take();
    create.relation = Some({
        let mut rv = build::range_var(&table.name);
        if let Some(original) = &original {
            rv.relpersistence = original.relpersistence.clone();
        }
        rv
    });
    create.table_elts = elements;
    let (mut out, sequences_owned) = owned_sequences(catalog, &table.name, &table.columns);
    out.push(stmt(NodeEnum::CreateStmt(create)));
    out.extend(sequences_owned);
    out.extend(
        catalog
            .indexes_on(&table.name)
            .filter(|i| i.constraint.is_none())
            .map(|i| create_index(i, false)),
    );
    out.extend(
        table
            .constraints
            .iter()
            .filter(|c| !inline(c))
            .map(|c| add_constraint(&table.name, c)),
    );
    out.extend(triggers_of(catalog, &table.name));
    out.extend(comments_of(
        catalog,
        pb::ObjectType::ObjectTable,
        &table.name,
    ));
    for index in catalog.indexes_on(&table.name) {
        out.extend(comments_of(
            catalog,
            pb::ObjectType::ObjectIndex,
            &index.name,
        ));
    }
    if with_incoming {
        // Those tables are in use: their foreign keys come back NOT VALID, validated later.
        out.extend(
            catalog
                .foreign_keys_into(&table.name)
                .filter(|(t, _)| t.name != table.name)
                .flat_map(|(t, c)| add_constraint_online(&t.name, c)),
        );
    }
    out
}

/// `COMMENT ON kind object IS text`.
pub fn comment(kind: pb::ObjectType, object: pb::Node, text: &str) -> UndoSql {
    stmt(NodeEnum::CommentStmt(Box::new(pb::CommentStmt {
        objtype: kind as i32,
        object: Some(Box::new(object)),
        comment: text.to_string(),
    })))
}

/// The comments on relation `name` (of `kind`) and on its columns, as the model recorded
/// them: what a drop took, to put back once it is created again.
pub fn comments_of(catalog: &Catalog, kind: pb::ObjectType, name: &QName) -> Vec<UndoSql> {
    // A type is named by a TypeName, a relation by a list of names.
    let object = match kind {
        pb::ObjectType::ObjectType => build::node(NodeEnum::TypeName(build::type_name(name))),
        _ => build::list(name.to_name_nodes()),
    };
    let mut out: Vec<UndoSql> = (catalog.comment_on(kind, name).into_iter())
        .map(|text| comment(kind, object.clone(), text))
        .collect();
    out.extend(
        (catalog.column_comments(name).into_iter()).map(|(column, text)| {
            comment(
                pb::ObjectType::ObjectColumn,
                column_object(name, column),
                text,
            )
        }),
    );
    out
}

/// A column as the object of a `COMMENT ON COLUMN`.
pub fn column_object(table: &QName, column: &str) -> pb::Node {
    let mut names = table.to_name_nodes();
    names.push(build::string(column));
    build::list(names)
}

/// The triggers on `relation`, created again as the model recorded them.
pub fn triggers_of(catalog: &Catalog, relation: &QName) -> Vec<UndoSql> {
    (catalog.triggers.range((relation.clone(), String::new())..))
        .take_while(|((on, _), _)| on == relation)
        .map(|(_, trigger)| stmt(NodeEnum::CreateTrigStmt(Box::new(trigger.unpack()))))
        .collect()
}
