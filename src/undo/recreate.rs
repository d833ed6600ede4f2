//! Statements that rebuild objects from the schema model: what undoing a `DROP` needs.

use crate::catalog::{Catalog, Column, Constraint, ConstraintKind, Index, Table};
use crate::sql::{build, pb, NodeEnum, QName};
use pb::{AlterTableType as At, ConstrType};

use super::{stmt, Placement, UndoSql};

/// The column as a `ColumnDef`, with NOT NULL, DEFAULT, identity/generation and collation.
pub fn column_def(column: &Column) -> pb::ColumnDef {
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

/// `ALTER TABLE t DROP CONSTRAINT name`
pub fn drop_constraint(table: &QName, name: &str) -> UndoSql {
    UndoSql::text(crate::sql::text::drop_constraint(table, name), false)
}

/// `CREATE INDEX` for a standalone index, as the model recorded it.
pub fn create_index(index: &Index, concurrent: bool) -> UndoSql {
    let mut s = Box::new(index.stmt.unpack());
    s.relation = Some(build::range_var(&index.table));
    s.idxname = index.name.name.clone();
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
        .map(|c| build::node(NodeEnum::ColumnDef(Box::new(column_def(c)))))
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
    let mut out = vec![stmt(NodeEnum::CreateStmt(create))];
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
