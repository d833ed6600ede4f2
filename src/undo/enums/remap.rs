//! The `USING` of an undo that converts a column back from one enum to another: the forward's
//! `USING` read as a map of values (a plain cast keeps each value, a `CASE` of constants moves
//! some), and the map back.

use crate::sql::quote::Literal;
use crate::sql::{build, pb, string_list, NodeEnum, QName};

/// How the undo converts a column of the new enum back to the old one.
pub struct Back {
    /// The `USING` expression.
    pub using: pb::Node,
    /// Every row converts and comes back with the value it had before the forward.
    pub exact: bool,
    /// What the conversion does to values, for the reason; empty for a plain cast.
    pub note: String,
    /// Values of the new enum that no value of the old one maps back to: a row holding one
    /// makes the conversion fail (empty when the forward's `USING` is not understood).
    pub failing: Vec<String>,
}

/// The forward's `USING`, as a map of enum values.
enum Forward {
    /// The value as it is (`col`, `col::text`, `col::text::"T_new"`): a text round trip.
    Plain,
    /// `CASE col::text WHEN 'a' THEN 'b' … ELSE col::text END`: the listed values move, the
    /// others stay.
    Case(Vec<(String, String)>),
    /// Anything else: the undo cannot tell what it did to the values.
    Unknown,
}

/// The undo's `USING` for `column` converted back from enum `new_values` to enum `old` (with
/// `old_values`), given the forward's `USING` (none: a plain cast). `through_text` is the
/// plain cast back (`col::text::old`) the caller would use otherwise.
pub fn back(
    column: &str,
    forward: Option<&pb::Node>,
    old: &pb::TypeName,
    old_values: &[String],
    new_values: &[String],
    through_text: pb::Node,
) -> Back {
    let outside: Vec<String> = new_values
        .iter()
        .filter(|v| !old_values.contains(v))
        .cloned()
        .collect();
    let plain = |exact, note: String| Back {
        using: through_text.clone(),
        exact,
        note,
        failing: Vec::new(),
    };
    let pairs = match forward.map_or(Forward::Plain, |f| read(f, column)) {
        Forward::Plain if outside.is_empty() => return plain(true, String::new()),
        Forward::Plain => {
            return Back {
                note: failing_note(&outside),
                failing: outside,
                ..plain(false, String::new())
            }
        }
        Forward::Unknown => {
            return plain(
                false,
                "the forward's USING expression is not a plain cast or a CASE of constants, so the values it changed are not changed back".into(),
            )
        }
        Forward::Case(_) if !old.array_bounds.is_empty() => {
            return plain(
                false,
                "the forward's CASE over an array column is not inverted, so the values it changed are not changed back".into(),
            )
        }
        Forward::Case(pairs) => pairs,
    };
    let moved = |v: &String| {
        pairs
            .iter()
            .find(|(from, _)| from == v)
            .map_or(v.clone(), |(_, to)| to.clone())
    };
    let mut back_pairs = Vec::new();
    let mut merged = Vec::new();
    let mut failing = Vec::new();
    for w in new_values {
        let sources: Vec<&String> = old_values.iter().filter(|v| moved(v) == *w).collect();
        let target = match sources.as_slice() {
            [] if old_values.contains(w) => continue,
            [] => {
                failing.push(w.clone());
                continue;
            }
            [only] => (*only).clone(),
            several => {
                // Rows that held any of them now hold `w`: they cannot be told apart.
                let kept = if several.contains(&w) {
                    w.clone()
                } else {
                    several[0].clone()
                };
                let names: Vec<String> = several.iter().map(|v| Literal(v).to_string()).collect();
                merged.push(format!(
                    "{} all became {} and cannot be told apart: every such row comes back as {}",
                    names.join(", "),
                    Literal(w),
                    Literal(&kept)
                ));
                kept
            }
        };
        if target != *w {
            back_pairs.push((w.clone(), target));
        }
    }
    let mut parts = Vec::new();
    if !back_pairs.is_empty() {
        let pairs: Vec<String> = back_pairs
            .iter()
            .map(|(w, v)| format!("{} → {}", Literal(w), Literal(v)))
            .collect();
        parts.push(format!(
            "maps the forward's CASE back ({})",
            pairs.join(", ")
        ));
    }
    parts.extend(merged.iter().cloned());
    if !failing.is_empty() {
        parts.push(failing_note(&failing));
    }
    if parts.is_empty() {
        parts.push("the forward's CASE moved no value".to_string());
    }
    let note = parts.join("; ");
    let using = if back_pairs.is_empty() {
        through_text
    } else {
        build::cast(case_text(column, &back_pairs), old.clone())
    };
    Back {
        using,
        exact: merged.is_empty() && failing.is_empty(),
        note,
        failing,
    }
}

/// What the note says of values no earlier value maps back to.
fn failing_note(failing: &[String]) -> String {
    let names: Vec<String> = failing.iter().map(|v| Literal(v).to_string()).collect();
    format!(
        "rows holding {} (no earlier value maps to them) make the undo fail; change those rows first",
        names.join(", ")
    )
}

/// `CASE col::text WHEN 'a' THEN 'b' … ELSE col::text END`
fn case_text(column: &str, pairs: &[(String, String)]) -> pb::Node {
    let text = || {
        build::cast(
            build::column_ref(column),
            build::type_name(&QName::new("", "text")),
        )
    };
    let args = pairs
        .iter()
        .map(|(when, then)| {
            build::node(NodeEnum::CaseWhen(Box::new(pb::CaseWhen {
                expr: Some(Box::new(build::string_constant(when))),
                result: Some(Box::new(build::string_constant(then))),
                location: -1,
                ..Default::default()
            })))
        })
        .collect();
    build::node(NodeEnum::CaseExpr(Box::new(pb::CaseExpr {
        arg: Some(Box::new(text())),
        args,
        defresult: Some(Box::new(text())),
        location: -1,
        ..Default::default()
    })))
}

/// Whether the forward's `USING` keeps every value of `column` as it is (a cast, through
/// text or not).
pub fn is_plain(using: &pb::Node, column: &str) -> bool {
    matches!(read(using, column), Forward::Plain)
}

/// Reads the forward's `USING` as a map of values of `column`.
fn read(using: &pb::Node, column: &str) -> Forward {
    let inner = strip_casts(using);
    if is_column(inner, column) {
        return Forward::Plain;
    }
    let Some(NodeEnum::CaseExpr(case)) = &inner.node else {
        return Forward::Unknown;
    };
    let on_column = case
        .arg
        .as_deref()
        .is_some_and(|a| is_column(strip_casts(a), column));
    let else_same = case
        .defresult
        .as_deref()
        .is_some_and(|d| is_column(strip_casts(d), column));
    if !on_column || !else_same {
        return Forward::Unknown;
    }
    let mut pairs = Vec::new();
    for arm in &case.args {
        let Some(NodeEnum::CaseWhen(w)) = &arm.node else {
            return Forward::Unknown;
        };
        let constant =
            |n: &Option<Box<pb::Node>>| n.as_deref().and_then(|n| text_constant(strip_casts(n)));
        match (constant(&w.expr), constant(&w.result)) {
            // A later arm for the same value never matches: the first one wins.
            (Some(from), Some(to)) if !pairs.iter().any(|(f, _)| *f == from) => {
                pairs.push((from, to))
            }
            (Some(_), Some(_)) => {}
            _ => return Forward::Unknown,
        }
    }
    Forward::Case(pairs)
}

/// The expression under any casts (`(x::text)::"T"` → `x`).
fn strip_casts(mut node: &pb::Node) -> &pb::Node {
    while let Some(NodeEnum::TypeCast(c)) = &node.node {
        match c.arg.as_deref() {
            Some(arg) => node = arg,
            None => break,
        }
    }
    node
}

fn is_column(node: &pb::Node, column: &str) -> bool {
    matches!(&node.node, Some(NodeEnum::ColumnRef(c)) if string_list(&c.fields).last().is_some_and(|f| f == column))
}

fn text_constant(node: &pb::Node) -> Option<String> {
    match &node.node {
        Some(NodeEnum::AConst(c)) => match &c.val {
            Some(pb::a_const::Val::Sval(s)) => Some(s.sval.clone()),
            _ => None,
        },
        _ => None,
    }
}
