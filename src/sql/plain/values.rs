//! Constants and the few expressions defaults and conversions are made of.

use std::fmt::Write;

use super::types::type_name_text;
use super::{string, Ident};
use crate::sql::{pb, NodeEnum};

/// The few expressions column defaults and type conversions are mostly made of: constants,
/// `current_timestamp`/`current_date`, a column, and casts of those.
pub(super) fn expression(out: &mut String, node: &NodeEnum) -> Option<()> {
    match node {
        NodeEnum::AConst(c) => constant(out, c),
        NodeEnum::SqlvalueFunction(f) => {
            let pb::SqlValueFunction {
                xpr,
                op,
                r#type,
                typmod,
                location: _,
            } = &**f;
            if xpr.is_some() || *r#type != 0 || *typmod != -1 {
                return None;
            }
            out.push_str(match pb::SqlValueFunctionOp::try_from(*op).ok()? {
                pb::SqlValueFunctionOp::SvfopCurrentTimestamp => "current_timestamp",
                pb::SqlValueFunctionOp::SvfopCurrentDate => "current_date",
                _ => return None,
            });
            Some(())
        }
        NodeEnum::ColumnRef(c) => {
            let pb::ColumnRef {
                fields,
                location: _,
            } = c;
            let [field] = fields.as_slice() else {
                return None;
            };
            let _ = write!(out, "{}", Ident(string(field)?));
            Some(())
        }
        NodeEnum::TypeCast(c) => {
            let pb::TypeCast {
                arg,
                type_name,
                location: _,
            } = &**c;
            let arg = arg.as_deref()?.node.as_ref()?;
            let type_name = type_name.as_ref()?;
            // The deparser writes some casts of constants its own way (`true`, `char 'x'`,
            // negative numbers in parentheses); those are left to it.
            match arg {
                NodeEnum::AConst(pb::AConst {
                    val: Some(pb::a_const::Val::Sval(_)),
                    isnull: false,
                    ..
                }) => {
                    let special = match type_name.names.as_slice() {
                        [schema, name] => {
                            string(schema) == Some("pg_catalog")
                                && matches!(string(name), Some("bpchar" | "bool" | "interval"))
                        }
                        [name] => string(name) == Some("point"),
                        _ => false,
                    };
                    if special {
                        return None;
                    }
                }
                NodeEnum::ColumnRef(_) | NodeEnum::TypeCast(_) => {}
                _ => return None,
            }
            expression(out, arg)?;
            out.push_str("::");
            type_name_text(out, type_name)
        }
        _ => None,
    }
}

/// A constant: a string literal, a non-negative integer, `true`/`false`, `NULL`.
pub(super) fn constant(out: &mut String, c: &pb::AConst) -> Option<()> {
    let pb::AConst {
        isnull,
        location: _,
        val,
    } = c;
    match (isnull, val) {
        (true, None) => out.push_str("NULL"),
        (false, Some(pb::a_const::Val::Sval(s))) => string_literal(out, &s.sval),
        (false, Some(pb::a_const::Val::Ival(i))) if i.ival >= 0 => {
            let _ = write!(out, "{}", i.ival);
        }
        (false, Some(pb::a_const::Val::Boolval(b))) => {
            out.push_str(if b.boolval { "true" } else { "false" })
        }
        _ => return None,
    }
    Some(())
}

/// A string constant as the deparser writes it: `'…'` with quotes doubled, and the `E'…'`
/// form with backslashes doubled when there are any.
pub(super) fn string_literal(out: &mut String, value: &str) {
    let _ = write!(out, "{}", crate::sql::quote::Literal(value));
}
