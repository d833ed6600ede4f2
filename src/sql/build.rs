//! Constructors for the parse-tree nodes that undo rules emit. Generated SQL is always built
//! as a tree and deparsed, never spliced together from strings.

use super::{pb, Node, NodeEnum, QName};
use pb::{AlterTableType, DropBehavior, ObjectType};

pub fn node(inner: NodeEnum) -> Node {
    Node { node: Some(inner) }
}

pub fn string(value: &str) -> Node {
    node(NodeEnum::String(pb::String {
        sval: value.to_string(),
    }))
}

pub fn list(items: Vec<Node>) -> Node {
    node(NodeEnum::List(pb::List { items }))
}

pub fn range_var(name: &QName) -> pb::RangeVar {
    pb::RangeVar {
        schemaname: if name.is_qualified() {
            name.schema.clone()
        } else {
            String::new()
        },
        relname: name.name.clone(),
        inh: true,
        relpersistence: "p".into(),
        ..Default::default()
    }
}

pub fn type_name(name: &QName) -> pb::TypeName {
    pb::TypeName {
        names: name.to_name_nodes(),
        typemod: -1,
        ..Default::default()
    }
}

/// The array form of a type (`T[]`).
pub fn array_of(mut base: pb::TypeName) -> pb::TypeName {
    base.array_bounds = vec![node(NodeEnum::Integer(pb::Integer { ival: -1 }))];
    base
}

pub fn column_ref(column: &str) -> Node {
    node(NodeEnum::ColumnRef(pb::ColumnRef {
        fields: vec![string(column)],
        ..Default::default()
    }))
}

pub fn cast(arg: Node, to: pb::TypeName) -> Node {
    node(NodeEnum::TypeCast(Box::new(pb::TypeCast {
        arg: Some(Box::new(arg)),
        type_name: Some(to),
        location: -1,
    })))
}

pub fn string_constant(value: &str) -> Node {
    node(NodeEnum::AConst(pb::AConst {
        val: Some(pb::a_const::Val::Sval(pb::String {
            sval: value.to_string(),
        })),
        ..Default::default()
    }))
}

/// `ALTER TABLE <table> <cmd>`; `objtype` distinguishes tables from indexes and views.
pub fn alter_table(table: &QName, cmds: Vec<pb::AlterTableCmd>) -> NodeEnum {
    NodeEnum::AlterTableStmt(pb::AlterTableStmt {
        relation: Some(range_var(table)),
        cmds: cmds
            .into_iter()
            .map(|c| node(NodeEnum::AlterTableCmd(Box::new(c))))
            .collect(),
        objtype: ObjectType::ObjectTable as i32,
        missing_ok: false,
    })
}

pub fn table_cmd(subtype: AlterTableType, name: &str, def: Option<Node>) -> pb::AlterTableCmd {
    pb::AlterTableCmd {
        subtype: subtype as i32,
        name: name.to_string(),
        def: def.map(Box::new),
        behavior: DropBehavior::DropRestrict as i32,
        ..Default::default()
    }
}

/// `DROP <kind> <objects>`; objects are given in the shape the grammar produces for `kind`.
pub fn drop(kind: ObjectType, objects: Vec<Node>, concurrent: bool) -> NodeEnum {
    NodeEnum::DropStmt(pb::DropStmt {
        objects,
        remove_type: kind as i32,
        behavior: DropBehavior::DropRestrict as i32,
        missing_ok: false,
        concurrent,
    })
}

/// A relation-like object (table, index, view, sequence) for `drop`.
pub fn drop_object(name: &QName) -> Node {
    list(name.to_name_nodes())
}

pub fn drop_type_object(name: &QName) -> Node {
    node(NodeEnum::TypeName(type_name(name)))
}

pub fn rename_relation(kind: ObjectType, relation: &QName, sub: &str, new: &str) -> NodeEnum {
    let relation_type = if kind == ObjectType::ObjectColumn {
        ObjectType::ObjectTable
    } else {
        ObjectType::ObjectAccessMethod
    };
    NodeEnum::RenameStmt(Box::new(pb::RenameStmt {
        rename_type: kind as i32,
        relation_type: relation_type as i32,
        relation: Some(range_var(relation)),
        subname: sub.to_string(),
        newname: new.to_string(),
        behavior: DropBehavior::DropRestrict as i32,
        ..Default::default()
    }))
}

/// `ALTER TYPE`/`ALTER SCHEMA … RENAME TO`, for objects named by a list rather than a relation.
pub fn rename_object(kind: ObjectType, object: Option<Node>, sub: &str, new: &str) -> NodeEnum {
    NodeEnum::RenameStmt(Box::new(pb::RenameStmt {
        rename_type: kind as i32,
        relation_type: ObjectType::ObjectAccessMethod as i32,
        object: object.map(Box::new),
        subname: sub.to_string(),
        newname: new.to_string(),
        behavior: DropBehavior::DropRestrict as i32,
        ..Default::default()
    }))
}

pub fn create_enum(name: &QName, values: &[String]) -> NodeEnum {
    NodeEnum::CreateEnumStmt(pb::CreateEnumStmt {
        type_name: name.to_name_nodes(),
        vals: values.iter().map(|v| string(v)).collect(),
    })
}
