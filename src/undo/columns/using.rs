//! The forward's `USING` of `ALTER COLUMN … TYPE`, read so its undo converts the values back
//! by the inverse conversion: `AT TIME ZONE 'Z'` by `AT TIME ZONE 'Z'` the other way, a plain
//! cast by the cast back, `decode(col, 'format')` by `encode(col, 'format')`, a map of enum
//! values by the inverse map, and anything else named as not inverted.

use super::types::{base_name, cast_back, cast_to, converts_losslessly, enum_pair, type_label};
use crate::catalog::Catalog;
use crate::sql::{build, pb, string_list, NodeEnum, QName};
use crate::undo::guard::Guard;

/// How the forward computed the new values.
enum Forward {
    /// PostgreSQL's own conversion: no `USING` (an assignment cast), or `USING` of casts of
    /// the column (`explicit`: an explicit cast, which truncates where an assignment fails).
    Cast { explicit: bool },
    /// `col AT TIME ZONE 'zone'` with a constant zone.
    AtTimeZone(String),
    /// `col * k` with a constant integer `k` other than 0 (possibly cast to the new type).
    Times(i64),
    /// `decode(col, 'format')` with a constant format (`escape`, `hex`, `base64`): text to
    /// `bytea`.
    Decode(String),
    /// `CASE WHEN col THEN 'a' ELSE 'b' END` of a `boolean` column: `true` became `'a'`.
    WhenTrue(String),
    /// Any other expression.
    Other,
}

/// Reads the forward's `USING` expression (`None`: it gave none) for `column`.
fn classify(using: Option<&pb::Node>, column: &str, new_type: &pb::TypeName) -> Forward {
    let Some(using) = using else {
        return Forward::Cast { explicit: false };
    };
    if casts_of_column(using, column, new_type) {
        return Forward::Cast { explicit: true };
    }
    let using = without_cast_to(using, new_type);
    match &using.node {
        Some(NodeEnum::AExpr(e)) if is_times(e) => match (e.lexpr.as_deref(), e.rexpr.as_deref()) {
            (Some(l), Some(r)) if is_column(l, column) => integer(r),
            (Some(l), Some(r)) if is_column(r, column) => integer(l),
            _ => None,
        }
        .filter(|k| *k != 0)
        .map_or(Forward::Other, Forward::Times),
        Some(NodeEnum::CaseExpr(case)) if case.arg.is_none() => match case.args.as_slice() {
            [when] => match (
                &when.node,
                case.defresult.as_deref().and_then(string_constant),
            ) {
                (Some(NodeEnum::CaseWhen(w)), Some(_))
                    if w.expr.as_deref().is_some_and(|e| is_column(e, column)) =>
                {
                    w.result
                        .as_deref()
                        .and_then(string_constant)
                        .map_or(Forward::Other, Forward::WhenTrue)
                }
                _ => Forward::Other,
            },
            _ => Forward::Other,
        },
        Some(NodeEnum::FuncCall(f)) if is_decode_call(f) => match f.args.as_slice() {
            [arg, format] if is_column(arg, column) || casts_of_column(arg, column, new_type) => {
                string_constant(format)
                    .filter(|f| {
                        matches!(f.to_ascii_lowercase().as_str(), "escape" | "hex" | "base64")
                    })
                    .map_or(Forward::Other, |f| Forward::Decode(f.to_ascii_lowercase()))
            }
            _ => Forward::Other,
        },
        Some(NodeEnum::FuncCall(f)) if is_timezone_call(f) => match f.args.as_slice() {
            [zone, arg] if casts_of_column(arg, column, new_type) || is_column(arg, column) => {
                string_constant(zone).map_or(Forward::Other, Forward::AtTimeZone)
            }
            _ => Forward::Other,
        },
        _ => Forward::Other,
    }
}

/// The undo's `USING` value, whether every value comes back as it was, and what the note
/// says of the conversion (after "converts … back from X to Y").
pub(super) struct Back {
    pub value: pb::Node,
    pub exact: bool,
    pub note: String,
    /// Between two enums: the values of the new one that make the conversion fail.
    pub failing: Vec<String>,
}

/// The conversion back of `column` from `new_type` to `old_type`, given the forward's `USING`
/// (`None`: it gave none).
pub(super) fn conversion(
    catalog: &Catalog,
    column: &str,
    using: Option<&pb::Node>,
    new_type: &pb::TypeName,
    old_type: &pb::TypeName,
) -> Back {
    // Between two enums the forward's USING is a map of values, mapped back as such;
    // between other types its inverse is worked out by `back`.
    match enum_pair(catalog, new_type, old_type) {
        Some((new_values, old_values)) => {
            let back = crate::undo::enums::remap::back(
                column,
                using,
                old_type,
                old_values,
                new_values,
                cast_back(catalog, column, new_type, old_type),
            );
            let note = match (back.exact, back.note.is_empty()) {
                (true, true) => ", which every value survives".to_string(),
                (true, false) => format!(", which every value survives; {}", back.note),
                (false, _) => format!(": {}", back.note),
            };
            Back {
                value: back.using,
                exact: back.exact,
                note,
                failing: back.failing,
            }
        }
        None => back(
            catalog,
            column,
            new_type,
            old_type,
            &classify(using, column, new_type),
        ),
    }
}

impl Back {
    /// The check that fails the undo first on values this conversion back fails on, if it
    /// may fail on any. Not for a type the model knows (an enum): the undo may rename it
    /// aside first, so its name means something else at the top of the undo.
    pub(super) fn guard(
        &self,
        catalog: &Catalog,
        table: &QName,
        column: &str,
        new_type: &pb::TypeName,
        old_type: &pb::TypeName,
    ) -> Option<Guard> {
        let user_type = catalog
            .enums
            .contains_key(&QName::from_name_nodes(&old_type.names));
        if self.exact {
            return None;
        }
        if user_type {
            // Between enums, the failing values as text: no type name is read.
            return (!self.failing.is_empty()).then(|| {
                Guard::values_outside(
                    table,
                    column,
                    !new_type.array_bounds.is_empty(),
                    &self.failing,
                    &type_label(old_type),
                )
            });
        }
        Guard::conversion(
            table,
            column,
            new_type,
            &cast_to(&self.value, old_type),
            &type_label(old_type),
        )
    }
}

/// The conversion back from `new_type` to `old_type` of `column`, given the forward's.
fn back(
    catalog: &Catalog,
    column: &str,
    new_type: &pb::TypeName,
    old_type: &pb::TypeName,
    forward: &Forward,
) -> Back {
    let (from, to) = (type_label(new_type), type_label(old_type));
    let timestamps = is_timestamp_pair(new_type, old_type);
    match forward {
        Forward::AtTimeZone(zone) if timestamps => {
            let exact = is_utc(zone) && same_precision(new_type, old_type);
            let value = at_time_zone(zone, column);
            let mut note = format!(
                ": the forward's AT TIME ZONE {} is reversed by AT TIME ZONE {} the other way, whatever the session's TimeZone",
                quoted(zone),
                quoted(zone)
            );
            if !is_utc(zone) {
                note.push_str(&format!(
                    ", but local times in an hour {} skips or repeats (daylight saving time, unless it keeps one offset all year) do not come back the same",
                    quoted(zone)
                ));
            }
            if !same_precision(new_type, old_type) {
                note.push_str(&format!(
                    "; {from} and {to} keep different fractions of a second, so values are rounded"
                ));
            }
            Back {
                value,
                exact,
                note,
                failing: Vec::new(),
            }
        }
        Forward::Cast { .. } if timestamps => Back {
            value: cast_back(catalog, column, new_type, old_type),
            exact: false,
            note: ": the forward converted between timestamp and timestamptz by its session's TimeZone (its USING names no zone), and so does this undo by its own; this assumes the forward ran under the same TimeZone as this undo (check SHOW TimeZone on both, and add SET TimeZone = '…' at the top of this file if they differ), and even then local times in an hour the zone's clocks skip do not come back the same"
                .to_string(),
            failing: Vec::new(),
        },
        Forward::Cast { explicit } => {
            // Between two enums the caller maps values back instead (`enums::remap`).
            let exact = converts_losslessly(new_type, old_type)
                && forward_keeps(old_type, new_type, *explicit);
            let note = if exact {
                ", which every value survives".to_string()
            } else {
                cast_loss(new_type, old_type, *explicit)
            };
            Back {
                value: cast_back(catalog, column, new_type, old_type),
                exact,
                note,
                failing: Vec::new(),
            }
        }
        Forward::Times(k) if is_integer(new_type) && is_integer(old_type) => Back {
            value: divided(column, *k),
            exact: false,
            note: format!(
                ": the forward's multiplication by {k} is reversed by an integer division by {k}, which brings back every value it wrote, but values written since that are not a multiple of {k} lose their remainder (and values that do not fit {to} make the undo fail)"
            ),
            failing: Vec::new(),
        },
        Forward::Decode(format) if base_name(new_type) == "bytea" => Back {
            value: cast_to(&encode(column, format), old_type),
            exact: false,
            note: format!(
                ": the forward's decode(…, '{format}') is reversed by encode(…, '{format}'), which gives back every byte as text the forward can decode again, but text it read in another spelling ({}) comes back as encode spells it (and values that do not fit {to} make the undo fail)",
                match format.as_str() {
                    "escape" => "an escape such as \\101 for A",
                    "hex" => "upper-case hex digits",
                    _ => "base64 with line breaks",
                }
            ),
            failing: Vec::new(),
        },
        Forward::WhenTrue(value) if base_name(old_type) == "bool" => Back {
            value: equals(column, value),
            exact: false,
            note: format!(
                ": the forward's CASE WHEN {column} THEN '{value}' … is reversed by {column} = '{value}', which gives back every value it wrote, but any other value written since comes back as false"
            ),
            failing: Vec::new(),
        },
        Forward::AtTimeZone(_)
        | Forward::Times(_)
        | Forward::Decode(_)
        | Forward::WhenTrue(_)
        | Forward::Other => Back {
            value: cast_back(catalog, column, new_type, old_type),
            exact: false,
            note: format!(
                ": the forward computed the new values with a USING expression unmigrate does not invert, and the undo only casts them back to {to}, so values that expression changed stay changed (and values that do not fit {to} make the undo fail)"
            ),
            failing: Vec::new(),
        },
    }
}

/// Why a cast back loses: what the forward's conversion dropped, else what the undo's may.
fn cast_loss(new_type: &pb::TypeName, old_type: &pb::TypeName, explicit: bool) -> String {
    let (from, to) = (type_label(new_type), type_label(old_type));
    if !converts_losslessly(new_type, old_type) {
        return format!(
            ": values written since that do not fit {to} make the undo fail or lose precision"
        );
    }
    let (old, new) = (base_name(old_type), base_name(new_type));
    if is_character(&old) && !is_character(&new) {
        return format!(
            ": text the forward converted to {from} comes back as {from} spells it, so text written otherwise (such as '007' or '+7' for the number 7, which come back as '7') does not come back the same"
        );
    }
    if old == new && !is_character(&old) {
        return format!(
            ": the forward rounded the values to {from}, and the digits it dropped do not come back"
        );
    }
    if explicit && is_character(&new) {
        return format!(
            ": the forward's explicit cast to {from} cut longer values short instead of failing, and the cut-off text does not come back"
        );
    }
    format!(": the forward's conversion from {to} to {from} rounded or reformatted values, and they do not come back as they were")
}

/// Whether the forward's conversion from `old` to `new` keeps every value it does not
/// reject, so that converting back restores it: same type, a wider one, an integer narrowed
/// (out-of-range values fail), or text kept as text or JSON (which stores its text verbatim).
fn forward_keeps(old: &pb::TypeName, new: &pb::TypeName, explicit: bool) -> bool {
    let (o, n) = (base_name(old), base_name(new));
    let int = |t: &str| matches!(t, "int2" | "int4" | "int8");
    if o == n {
        if !narrows(old, new) {
            return true;
        }
        // A shorter length fails an assignment cast; an explicit cast cuts the text short,
        // and a smaller precision or scale rounds.
        return is_character(&o) && !explicit;
    }
    match (o.as_str(), n.as_str()) {
        (a, b) if int(a) && int(b) => true,
        ("int2" | "int4", "float8") | ("int2", "float4") => true,
        (a, "numeric") if int(a) => new.typmods.is_empty(),
        ("float4", "float8") => true,
        ("varchar", "text") | ("text" | "varchar", "json") => true,
        ("text", "varchar") => !explicit || new.typmods.is_empty(),
        _ => false,
    }
}

/// Whether `new` has a smaller modifier than `old` (a length, precision or scale), or one
/// where `old` had none.
fn narrows(old: &pb::TypeName, new: &pb::TypeName) -> bool {
    let mods = |t: &pb::TypeName| -> Vec<i32> {
        t.typmods
            .iter()
            .map(|m| match &m.node {
                Some(NodeEnum::AConst(pb::AConst {
                    val: Some(pb::a_const::Val::Ival(i)),
                    ..
                })) => i.ival,
                _ => i32::MAX,
            })
            .collect()
    };
    let (o, n) = (mods(old), mods(new));
    if n.is_empty() {
        return false;
    }
    if o.is_empty() {
        return true;
    }
    // numeric(p, s): a smaller scale rounds even with a larger precision.
    o.iter().zip(&n).any(|(o, n)| n < o) || n.len() < o.len()
}

fn is_character(base: &str) -> bool {
    matches!(base, "text" | "varchar" | "bpchar" | "citext")
}

/// `column = 'value'`.
fn equals(column: &str, value: &str) -> pb::Node {
    build::node(NodeEnum::AExpr(Box::new(pb::AExpr {
        kind: pb::AExprKind::AexprOp as i32,
        name: vec![build::string("=")],
        lexpr: Some(Box::new(build::column_ref(column))),
        rexpr: Some(Box::new(build::string_constant(value))),
        location: -1,
        ..Default::default()
    })))
}

/// `pg_catalog.encode(column, 'format')`.
fn encode(column: &str, format: &str) -> pb::Node {
    build::node(NodeEnum::FuncCall(Box::new(pb::FuncCall {
        funcname: vec![build::string("pg_catalog"), build::string("encode")],
        args: vec![build::column_ref(column), build::string_constant(format)],
        funcformat: pb::CoercionForm::CoerceExplicitCall as i32,
        location: -1,
        ..Default::default()
    })))
}

/// `column AT TIME ZONE 'zone'` (PostgreSQL's `timezone(zone, column)`).
fn at_time_zone(zone: &str, column: &str) -> pb::Node {
    build::node(NodeEnum::FuncCall(Box::new(pb::FuncCall {
        funcname: vec![build::string("pg_catalog"), build::string("timezone")],
        args: vec![build::string_constant(zone), build::column_ref(column)],
        funcformat: pb::CoercionForm::CoerceSqlSyntax as i32,
        location: -1,
        ..Default::default()
    })))
}

/// `column / k`.
fn divided(column: &str, k: i64) -> pb::Node {
    build::node(NodeEnum::AExpr(Box::new(pb::AExpr {
        kind: pb::AExprKind::AexprOp as i32,
        name: vec![build::string("/")],
        lexpr: Some(Box::new(build::column_ref(column))),
        rexpr: Some(Box::new(integer_constant(k))),
        location: -1,
        ..Default::default()
    })))
}

fn integer_constant(k: i64) -> pb::Node {
    let val = match i32::try_from(k) {
        Ok(ival) => pb::a_const::Val::Ival(pb::Integer { ival }),
        Err(_) => pb::a_const::Val::Fval(pb::Float {
            fval: k.to_string(),
        }),
    };
    build::node(NodeEnum::AConst(pb::AConst {
        val: Some(val),
        ..Default::default()
    }))
}

fn is_times(e: &pb::AExpr) -> bool {
    e.kind == pb::AExprKind::AexprOp as i32 && string_list(&e.name) == ["*"]
}

/// An integer constant: `100`, or a big one PostgreSQL reads as numeric.
fn integer(node: &pb::Node) -> Option<i64> {
    match &node.node {
        Some(NodeEnum::AConst(pb::AConst {
            val: Some(pb::a_const::Val::Ival(i)),
            ..
        })) => Some(i64::from(i.ival)),
        Some(NodeEnum::AConst(pb::AConst {
            val: Some(pb::a_const::Val::Fval(f)),
            ..
        })) => f.fval.parse().ok(),
        _ => None,
    }
}

fn is_integer(t: &pb::TypeName) -> bool {
    t.array_bounds.is_empty() && matches!(base_name(t).as_str(), "int2" | "int4" | "int8")
}

/// `node` without an outer cast to the new type (`(x * 100)::bigint` → `x * 100`).
fn without_cast_to<'a>(node: &'a pb::Node, new_type: &pb::TypeName) -> &'a pb::Node {
    match &node.node {
        Some(NodeEnum::TypeCast(c))
            if c.type_name.as_ref().map(base_name) == Some(base_name(new_type)) =>
        {
            c.arg.as_deref().unwrap_or(node)
        }
        _ => node,
    }
}

/// `decode(…)` or `pg_catalog.decode(…)`, not an aggregate or window call; a `decode` of
/// another schema is the user's own.
fn is_decode_call(f: &pb::FuncCall) -> bool {
    let name = string_list(&f.funcname);
    matches!(
        name.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["decode"] | ["pg_catalog", "decode"]
    ) && f.agg_order.is_empty()
        && f.over.is_none()
}

fn is_timezone_call(f: &pb::FuncCall) -> bool {
    string_list(&f.funcname).last().map(String::as_str) == Some("timezone")
        && f.agg_order.is_empty()
        && f.over.is_none()
}

/// Whether the two types are `timestamp` and `timestamptz`, one each (arrays excluded).
fn is_timestamp_pair(a: &pb::TypeName, b: &pb::TypeName) -> bool {
    let pair = [base_name(a), base_name(b)];
    a.array_bounds.is_empty()
        && b.array_bounds.is_empty()
        && (pair == ["timestamp", "timestamptz"] || pair == ["timestamptz", "timestamp"])
}

fn same_precision(a: &pb::TypeName, b: &pb::TypeName) -> bool {
    !narrows(a, b) && !narrows(b, a)
}

/// Zones PostgreSQL spells UTC, whose offset never changes.
fn is_utc(zone: &str) -> bool {
    let zone = zone.to_ascii_lowercase();
    let zone = zone.strip_prefix("etc/").unwrap_or(&zone);
    matches!(
        zone,
        "utc"
            | "uct"
            | "gmt"
            | "z"
            | "zulu"
            | "universal"
            | "greenwich"
            | "gmt0"
            | "gmt+0"
            | "gmt-0"
    )
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn string_constant(node: &pb::Node) -> Option<String> {
    match &node.node {
        Some(NodeEnum::AConst(pb::AConst {
            val: Some(pb::a_const::Val::Sval(s)),
            ..
        })) => Some(s.sval.clone()),
        Some(NodeEnum::TypeCast(c)) => c.arg.as_deref().and_then(string_constant),
        _ => None,
    }
}

fn is_column(node: &pb::Node, column: &str) -> bool {
    match &node.node {
        Some(NodeEnum::ColumnRef(c)) => {
            string_list(&c.fields).last().map(String::as_str) == Some(column)
        }
        _ => false,
    }
}

/// Whether `node` is the column cast one or more times, each time to text, to a
/// character type or to the new type (`"x"::text::"State_new"`, `config::JSON`): the
/// conversion PostgreSQL makes anyway, as an explicit cast.
fn casts_of_column(node: &pb::Node, column: &str, new_type: &pb::TypeName) -> bool {
    let Some(NodeEnum::TypeCast(cast)) = &node.node else {
        return false;
    };
    let Some(to) = &cast.type_name else {
        return false;
    };
    let target = base_name(to);
    if target != base_name(new_type) && !is_character(&target) {
        return false;
    }
    match cast.arg.as_deref() {
        Some(arg) if is_column(arg, column) => true,
        Some(arg) => casts_of_column(arg, column, new_type),
        None => false,
    }
}
