//! Column types for the undo of `ALTER COLUMN … TYPE`: the cast back to the old type, whether
//! it converts every value, and type labels for reasons.

use crate::catalog::Catalog;
use crate::sql::{build, pb, string_list, NodeEnum, QName};

/// `col::old_type`, going through text when either side is an enum: PostgreSQL has no
/// direct cast between two enum types (Prisma swaps an enum for `<Type>_new` this way).
pub(super) fn cast_back(
    catalog: &Catalog,
    column: &str,
    new_type: &pb::TypeName,
    old_type: &pb::TypeName,
) -> pb::Node {
    let is_enum = |t: &pb::TypeName| {
        catalog
            .enums
            .contains_key(&QName::from_name_nodes(&t.names))
    };
    let mut value = build::column_ref(column);
    if is_enum(new_type) || is_enum(old_type) {
        let mut text = build::type_name(&QName::new("", "text"));
        text.array_bounds = old_type.array_bounds.clone();
        value = build::cast(value, text);
    }
    build::cast(value, old_type.clone())
}

/// The values of enums `from` and `to` when both are enums the model knows, with as many
/// array dimensions.
pub(super) fn enum_pair<'a>(
    catalog: &'a Catalog,
    from: &pb::TypeName,
    to: &pb::TypeName,
) -> Option<(&'a [String], &'a [String])> {
    let values = |t: &pb::TypeName| {
        catalog
            .enums
            .get(&QName::from_name_nodes(&t.names))
            .map(|e| e.values.as_slice())
    };
    let same_dims = from.array_bounds.len() == to.array_bounds.len();
    Some((values(from)?, values(to)?)).filter(|_| same_dims)
}

/// A readable type label for reasons: `varchar(255)`, `int4[]`.
pub(super) fn type_label(t: &pb::TypeName) -> String {
    let names = string_list(&t.names);
    let base = names.last().cloned().unwrap_or_default();
    let mods: Vec<String> = t
        .typmods
        .iter()
        .filter_map(|m| match &m.node {
            Some(NodeEnum::AConst(c)) => match &c.val {
                Some(pb::a_const::Val::Ival(i)) => Some(i.ival.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let mut label = base;
    if !mods.is_empty() {
        label = format!("{label}({})", mods.join(","));
    }
    if !t.array_bounds.is_empty() {
        label.push_str("[]");
    }
    label
}

/// Whether every value of `from` converts to `to` without error or loss: same type with a
/// wider or equal modifier, an integer widening, or anything non-array to text.
pub(super) fn converts_losslessly(from: &pb::TypeName, to: &pb::TypeName) -> bool {
    if from.array_bounds.len() != to.array_bounds.len() {
        return false;
    }
    let (f, t) = (base_name(from), base_name(to));
    let (f, t) = (f.as_str(), t.as_str());
    let modifier = |t: &pb::TypeName| type_label(t);
    if f == t {
        let (fm, tm) = (modifier(from), modifier(to));
        if fm == tm || to.typmods.is_empty() {
            return true;
        }
        return matches!((first_mod(from), first_mod(to)), (Some(a), Some(b)) if a <= b && from.typmods.len() == 1 && to.typmods.len() == 1);
    }
    let rank = |name: &str| match name {
        "int2" => Some(1),
        "int4" => Some(2),
        "int8" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rank(f), rank(t)) {
        return a <= b && (t != "numeric" || to.typmods.is_empty());
    }
    (f == "float4" && t == "float8")
        || (t == "text" && from.array_bounds.is_empty())
        || (f == "varchar" && t == "text")
}

fn first_mod(t: &pb::TypeName) -> Option<i32> {
    t.typmods.first().and_then(|m| match &m.node {
        Some(NodeEnum::AConst(c)) => match &c.val {
            Some(pb::a_const::Val::Ival(i)) => Some(i.ival),
            _ => None,
        },
        _ => None,
    })
}

/// Whether two written types are the same type: the same name (aliases read as
/// PostgreSQL's own), modifiers and array dimensions.
pub(in crate::undo) fn same_type(a: &pb::TypeName, b: &pb::TypeName) -> bool {
    let mods = |t: &pb::TypeName| -> Vec<Option<i32>> {
        t.typmods
            .iter()
            .map(|m| match &m.node {
                Some(NodeEnum::AConst(pb::AConst {
                    val: Some(pb::a_const::Val::Ival(i)),
                    ..
                })) => Some(i.ival),
                _ => None,
            })
            .collect()
    };
    base_name(a) == base_name(b)
        && a.array_bounds.len() == b.array_bounds.len()
        && mods(a) == mods(b)
}

/// The type's name as PostgreSQL spells it internally, without schema or modifiers: `int4`
/// for `INTEGER`, `timestamptz` for `TIMESTAMPTZ(3)`.
pub(in crate::undo) fn base_name(t: &pb::TypeName) -> String {
    canonical(
        string_list(&t.names)
            .last()
            .map(String::as_str)
            .unwrap_or(""),
    )
    .to_string()
}

/// PostgreSQL's internal name for a type alias (`integer` → `int4`).
fn canonical(name: &str) -> &str {
    match name {
        "integer" | "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "decimal" => "numeric",
        "real" => "float4",
        "double precision" => "float8",
        "character varying" => "varchar",
        "character" => "bpchar",
        "boolean" => "bool",
        other => other,
    }
}

/// `value` cast to `to` as the type change casts it, so a value out of the type's range fails
/// the guard too; as it is when it already is such a cast.
pub(super) fn cast_to(value: &pb::Node, to: &pb::TypeName) -> pb::Node {
    match &value.node {
        Some(NodeEnum::TypeCast(c)) if c.type_name.as_ref().is_some_and(|t| same_type(t, to)) => {
            value.clone()
        }
        _ => build::cast(value.clone(), to.clone()),
    }
}
