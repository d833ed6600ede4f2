//! Type names as the deparser spells them, and `CREATE TYPE … AS ENUM`.

use std::fmt::Write;

use super::values::string_literal;
use super::{any_name, separated, string};
use crate::sql::{pb, Node, NodeEnum};

/// `CREATE TYPE t AS ENUM ('a', 'b')`
pub(super) fn create_enum(out: &mut String, s: &pb::CreateEnumStmt) -> Option<()> {
    let pb::CreateEnumStmt { type_name, vals } = s;
    out.push_str("CREATE TYPE ");
    any_name(out, type_name)?;
    out.push_str(" AS ENUM (");
    separated(out, vals, ", ", |out, value| {
        string_literal(out, string(value)?);
        Some(())
    })?;
    out.push(')');
    Some(())
}

/// A type name as `deparseTypeName` writes it: built-in `pg_catalog` types by their SQL
/// names (`int`, `timestamp(3) with time zone`), integer modifiers, array bounds.
pub(super) fn type_name_text(out: &mut String, t: &pb::TypeName) -> Option<()> {
    let pb::TypeName {
        names,
        type_oid,
        setof,
        pct_type,
        typmods,
        typemod: _,
        array_bounds,
        location: _,
    } = t;
    if *type_oid != 0 || *setof || *pct_type {
        return None;
    }
    let mut with_time_zone = false;
    match names.as_slice() {
        [schema, name] if string(schema)? == "pg_catalog" => {
            let name = string(name)?;
            let sql = match name {
                "bpchar" => "char",
                "varchar" => "varchar",
                "numeric" => "numeric",
                "bool" => "boolean",
                "int2" => "smallint",
                "int4" => "int",
                "int8" => "bigint",
                "real" | "float4" => "real",
                "float8" => "double precision",
                "time" => "time",
                "timestamp" => "timestamp",
                "timetz" => {
                    with_time_zone = true;
                    "time"
                }
                "timestamptz" => {
                    with_time_zone = true;
                    "timestamp"
                }
                "interval" if typmods.is_empty() => "interval",
                "interval" => return None,
                _ => {
                    out.push_str("pg_catalog.");
                    name
                }
            };
            out.push_str(sql);
        }
        _ => any_name(out, names)?,
    }
    if with_time_zone {
        // The deparser's own spelling: `timestamp (3) with time zone`.
        out.push(' ');
        if !typmods.is_empty() {
            integer_modifiers(out, typmods)?;
            out.push(' ');
        }
        out.push_str("with time zone");
    } else if !typmods.is_empty() {
        integer_modifiers(out, typmods)?;
    }
    for bound in array_bounds {
        let Some(NodeEnum::Integer(bound)) = &bound.node else {
            return None;
        };
        if bound.ival == -1 {
            out.push_str("[]");
        } else {
            let _ = write!(out, "[{}]", bound.ival);
        }
    }
    Some(())
}

/// `(3)`, `(65, 30)`: type modifiers that are integer constants.
pub(super) fn integer_modifiers(out: &mut String, typmods: &[Node]) -> Option<()> {
    out.push('(');
    for (i, typmod) in typmods.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let Some(NodeEnum::AConst(pb::AConst {
            isnull: false,
            val: Some(pb::a_const::Val::Ival(value)),
            ..
        })) = &typmod.node
        else {
            return None;
        };
        let _ = write!(out, "{}", value.ival);
    }
    out.push(')');
    Some(())
}
