//! The CHECK constraints seeding can satisfy by construction, read from their parse trees
//! (`pg_get_constraintdef`, parsed by [`crate::sql::check_expression`]), never from their
//! text. A constraint is read as alternatives (`OR`) of conjunctions (`AND`) of shapes, as
//! state-machine constraints are written (`(status = 'a' AND x IS NULL) OR (status = 'b' AND
//! x IS NOT NULL)`); seeding satisfies the first alternative that fits the table. An
//! alternative with a part of another shape is left out; a constraint with none left is
//! unsolved, and seeding falls back to NULL (or the default) in its columns.
//!
//! PostgreSQL shows constraints in its own way, which is what is read here: `x IN ('a', 'b')`
//! becomes `x = ANY (ARRAY['a'::text, 'b'::text])`, `x BETWEEN 1 AND 5` becomes
//! `(x >= 1) AND (x <= 5)`, a negative number `'-1'::integer`, and a `varchar` column is cast
//! to `text` before a comparison. The shapes as written are read too.

use crate::sql::{self, pb, Node, NodeEnum};

/// One part of a CHECK constraint that seeding knows how to satisfy. Columns by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Exactly one of the columns is set (`num_nonnulls(a, b) = 1`, `(a IS NULL) <> (b IS
    /// NULL)`, `(a IS NOT NULL)::int + (b IS NOT NULL)::int = 1`).
    ExactlyOne(Vec<String>),
    /// Not all of the columns are set (`a IS NULL OR b IS NULL`, `num_nonnulls(a, b) <= 1`):
    /// satisfied by setting at most one.
    AtMostOne(Vec<String>),
    /// At least one is set (`num_nonnulls(a, b) >= 1`, `a IS NOT NULL OR b IS NOT NULL`).
    AtLeastOne(Vec<String>),
    /// A number within inclusive integer bounds (`x > 0`, `x BETWEEN 1 AND 5`).
    Range {
        column: String,
        low: Option<i64>,
        high: Option<i64>,
    },
    /// One of a list of constants, as text (`x IN ('a', 'b')`, `x = ANY (ARRAY[…])`,
    /// `x = 1`).
    OneOf { column: String, values: Vec<String> },
    /// A text length within inclusive bounds (`length(x) <= 50`, `char_length(x) > 0`,
    /// `x <> ''`).
    Length {
        column: String,
        low: Option<i64>,
        high: Option<i64>,
    },
    /// NULL in every row (`x IS NULL`, a part of an alternative).
    Null(String),
}

/// Alternatives past this many (a constraint of many `OR`s inside `AND`s multiplies them) are
/// not read: the constraint is left unsolved.
const MOST_ALTERNATIVES: usize = 64;

/// A CHECK constraint's definition as alternatives, each the shapes that together satisfy
/// it, in the order written; `None` when no alternative has only shapes seeding knows.
pub fn read(definition: &str) -> Option<Vec<Vec<Shape>>> {
    let expr = sql::check_expression(definition)?;
    alternatives(&expr).filter(|a| !a.is_empty())
}

/// `node` as alternatives of conjunctions. An `OR` keeps the alternatives of the parts that
/// have some; an `AND` combines one alternative of each part in every way.
fn alternatives(node: &Node) -> Option<Vec<Vec<Shape>>> {
    if let Some(shape) = shape(node) {
        return Some(vec![vec![shape]]);
    }
    match node.node.as_ref()? {
        NodeEnum::BoolExpr(b) if b.boolop == pb::BoolExprType::AndExpr as i32 => {
            let mut combined: Vec<Vec<Shape>> = vec![Vec::new()];
            for arg in &b.args {
                let parts = alternatives(arg)?;
                if combined.len() * parts.len() > MOST_ALTERNATIVES {
                    return None;
                }
                combined = combined
                    .iter()
                    .flat_map(|before| {
                        parts.iter().map(move |part| {
                            let mut both = before.clone();
                            both.extend(part.iter().cloned());
                            both
                        })
                    })
                    .collect();
            }
            Some(combined)
        }
        NodeEnum::BoolExpr(b) if b.boolop == pb::BoolExprType::OrExpr as i32 => {
            let mut any: Vec<Vec<Shape>> = Vec::new();
            for arg in &b.args {
                any.extend(alternatives(arg).unwrap_or_default());
                if any.len() > MOST_ALTERNATIVES {
                    return None;
                }
            }
            (!any.is_empty()).then_some(any)
        }
        NodeEnum::NullTest(_) => Some(vec![vec![Shape::Null(is_null(node)?)]]),
        _ => None,
    }
}

fn shape(node: &Node) -> Option<Shape> {
    match node.node.as_ref()? {
        NodeEnum::BoolExpr(b) if b.boolop == pb::BoolExprType::OrExpr as i32 => {
            let set: Option<Vec<String>> = b.args.iter().map(is_not_null).collect();
            let unset: Option<Vec<String>> = b.args.iter().map(is_null).collect();
            match (set, unset) {
                (Some(columns), _) => Some(Shape::AtLeastOne(columns)),
                (_, Some(columns)) => Some(Shape::AtMostOne(columns)),
                _ => None,
            }
        }
        NodeEnum::NullTest(_) => Some(Shape::AtLeastOne(vec![is_not_null(node)?])),
        NodeEnum::AExpr(e) => a_expr(e),
        _ => None,
    }
}

fn a_expr(e: &pb::AExpr) -> Option<Shape> {
    let op = operator(e)?;
    let left = e.lexpr.as_deref()?;
    let right = e.rexpr.as_deref()?;
    match pb::AExprKind::try_from(e.kind).ok()? {
        pb::AExprKind::AexprOp => comparison(left, op, right),
        pb::AExprKind::AexprOpAny if op == "=" => {
            let NodeEnum::AArrayExpr(array) = uncast(right).node.as_ref()? else {
                return None;
            };
            one_of(left, &array.elements)
        }
        pb::AExprKind::AexprIn if op == "=" => {
            let NodeEnum::List(list) = right.node.as_ref()? else {
                return None;
            };
            one_of(left, &list.items)
        }
        pb::AExprKind::AexprBetween => {
            let NodeEnum::List(list) = right.node.as_ref()? else {
                return None;
            };
            let [low, high] = list.items.as_slice() else {
                return None;
            };
            Some(Shape::Range {
                column: column(left)?,
                low: Some(bound(">=", number(low)?)),
                high: Some(bound("<=", number(high)?)),
            })
        }
        _ => None,
    }
}

/// `left op right`, with the constant on either side.
fn comparison(left: &Node, op: &str, right: &Node) -> Option<Shape> {
    if constant(left).is_some() && constant(right).is_none() {
        return comparison(right, flipped(op)?, left);
    }
    if let Some(shape) = null_tests(left, op, right) {
        return Some(shape);
    }
    let value = constant(right)?;
    if let Some(columns) = counted(left) {
        let n = value.parse::<i64>().ok()?;
        return match (op, n) {
            ("=", 1) => Some(Shape::ExactlyOne(columns)),
            ("<=", 1) | ("<", 2) => Some(Shape::AtMostOne(columns)),
            (">=", 1) | (">" | "<>", 0) => Some(Shape::AtLeastOne(columns)),
            _ => None,
        };
    }
    if let Some(column) = length_of(left) {
        let (low, high) = bounds(op, value.parse::<f64>().ok()?)?;
        return Some(Shape::Length { column, low, high });
    }
    let column = column(left)?;
    match op {
        "=" => Some(Shape::OneOf {
            column,
            values: vec![value],
        }),
        "<>" | "!=" if value.is_empty() => Some(Shape::Length {
            column,
            low: Some(1),
            high: None,
        }),
        _ => {
            let (low, high) = bounds(op, value.parse::<f64>().ok()?)?;
            Some(Shape::Range { column, low, high })
        }
    }
}

/// `(a IS NULL) <> (b IS NULL)` (or both `IS NOT NULL`): exactly one of two is set.
fn null_tests(left: &Node, op: &str, right: &Node) -> Option<Shape> {
    let (NodeEnum::NullTest(l), NodeEnum::NullTest(r)) =
        (left.node.as_ref()?, right.node.as_ref()?)
    else {
        return None;
    };
    if op != "<>" || l.nulltesttype != r.nulltesttype {
        return None;
    }
    Some(Shape::ExactlyOne(vec![
        column(l.arg.as_deref()?)?,
        column(r.arg.as_deref()?)?,
    ]))
}

/// The columns counted by `num_nonnulls(a, b)` or `(a IS NOT NULL)::int + (b IS NOT
/// NULL)::int`.
fn counted(node: &Node) -> Option<Vec<String>> {
    match node.node.as_ref()? {
        NodeEnum::FuncCall(f) if function_name(f)? == "num_nonnulls" => {
            f.args.iter().map(column).collect()
        }
        NodeEnum::AExpr(e) if operator(e)? == "+" => {
            let mut columns = counted(e.lexpr.as_deref()?)?;
            columns.extend(counted(e.rexpr.as_deref()?)?);
            Some(columns)
        }
        NodeEnum::TypeCast(c) => Some(vec![is_not_null(c.arg.as_deref()?)?]),
        _ => None,
    }
}

/// The column of `length(x)` or `char_length(x)`.
fn length_of(node: &Node) -> Option<String> {
    let NodeEnum::FuncCall(f) = node.node.as_ref()? else {
        return None;
    };
    match (function_name(f)?, f.args.as_slice()) {
        ("length" | "char_length" | "character_length", [arg]) => column(arg),
        _ => None,
    }
}

fn one_of(left: &Node, items: &[Node]) -> Option<Shape> {
    let values: Option<Vec<String>> = items.iter().map(constant).collect();
    Some(Shape::OneOf {
        column: column(left)?,
        values: values?,
    })
}

/// The column of `x IS NOT NULL`.
fn is_not_null(node: &Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::NullTest(t) if t.nulltesttype == pb::NullTestType::IsNotNull as i32 => {
            column(t.arg.as_deref()?)
        }
        _ => None,
    }
}

/// The column of `x IS NULL`.
fn is_null(node: &Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::NullTest(t) if t.nulltesttype == pb::NullTestType::IsNull as i32 => {
            column(t.arg.as_deref()?)
        }
        _ => None,
    }
}

/// A column, maybe cast (`(status)::text`).
fn column(node: &Node) -> Option<String> {
    match uncast(node).node.as_ref()? {
        NodeEnum::ColumnRef(c) => c.fields.last().and_then(sql::string_value).map(Into::into),
        _ => None,
    }
}

/// A constant as text, maybe cast (`'a'::text`, `'-1'::integer`).
fn constant(node: &Node) -> Option<String> {
    let NodeEnum::AConst(c) = uncast(node).node.as_ref()? else {
        return None;
    };
    match c.val.as_ref()? {
        pb::a_const::Val::Ival(i) => Some(i.ival.to_string()),
        pb::a_const::Val::Fval(f) => Some(f.fval.clone()),
        pb::a_const::Val::Sval(s) => Some(s.sval.clone()),
        pb::a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
        pb::a_const::Val::Bsval(_) => None,
    }
}

fn number(node: &Node) -> Option<f64> {
    constant(node)?.parse().ok()
}

fn uncast(node: &Node) -> &Node {
    match &node.node {
        Some(NodeEnum::TypeCast(c)) => c.arg.as_deref().map_or(node, uncast),
        _ => node,
    }
}

fn operator(e: &pb::AExpr) -> Option<&str> {
    match e.name.as_slice() {
        [.., last] => sql::string_value(last),
        [] => None,
    }
}

fn function_name(f: &pb::FuncCall) -> Option<&str> {
    f.funcname.last().and_then(sql::string_value)
}

/// `c op x` read as `x flipped(op) c`.
fn flipped(op: &str) -> Option<&'static str> {
    Some(match op {
        "=" => "=",
        "<>" => "<>",
        "!=" => "!=",
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        _ => return None,
    })
}

/// The inclusive integer bounds of `x op n`.
fn bounds(op: &str, n: f64) -> Option<(Option<i64>, Option<i64>)> {
    match op {
        ">" | ">=" => Some((Some(bound(op, n)), None)),
        "<" | "<=" => Some((None, Some(bound(op, n)))),
        "=" => Some((Some(bound(">=", n)), Some(bound("<=", n)))),
        _ => None,
    }
}

/// The smallest (`>`, `>=`) or largest (`<`, `<=`) integer that `x op n` admits.
fn bound(op: &str, n: f64) -> i64 {
    let n = match op {
        ">" => n.floor() + 1.0,
        ">=" => n.ceil(),
        "<" => n.ceil() - 1.0,
        _ => n.floor(),
    };
    n as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(columns: &[&str]) -> Vec<String> {
        columns.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn exactly_one_of_in_its_three_spellings() {
        let ab = Some(vec![vec![Shape::ExactlyOne(names(&["a", "b"]))]]);
        assert_eq!(read("CHECK ((num_nonnulls(a, b) = 1))"), ab);
        assert_eq!(read("CHECK (((a IS NULL) <> (b IS NULL)))"), ab);
        assert_eq!(
            read("CHECK ((((a IS NOT NULL))::integer + ((b IS NOT NULL))::integer) = 1)"),
            ab
        );
    }

    #[test]
    fn at_least_one_of() {
        let ab = Some(vec![vec![Shape::AtLeastOne(names(&["a", "b"]))]]);
        assert_eq!(read("CHECK ((num_nonnulls(a, b) >= 1))"), ab);
        assert_eq!(read("CHECK (((a IS NOT NULL) OR (b IS NOT NULL)))"), ab);
    }

    #[test]
    fn at_most_one_of() {
        let ab = Some(vec![vec![Shape::AtMostOne(names(&["a", "b"]))]]);
        assert_eq!(read("CHECK (((a IS NULL) OR (b IS NULL))) NOT VALID"), ab);
        assert_eq!(read("CHECK ((num_nonnulls(a, b) <= 1))"), ab);
    }

    #[test]
    fn lists_as_postgres_shows_them() {
        let status = Some(vec![vec![Shape::OneOf {
            column: "status".into(),
            values: names(&["a", "b"]),
        }]]);
        assert_eq!(
            read("CHECK ((status = ANY (ARRAY['a'::text, 'b'::text])))"),
            status
        );
        assert_eq!(
            read(
                "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, \
                 'b'::character varying])::text[])))"
            ),
            status
        );
        assert_eq!(read("CHECK (status IN ('a', 'b'))"), status);
    }

    #[test]
    fn comparisons_with_constants() {
        let range = |low, high| {
            Some(vec![vec![Shape::Range {
                column: "x".into(),
                low,
                high,
            }]])
        };
        assert_eq!(read("CHECK ((x > 0))"), range(Some(1), None));
        assert_eq!(read("CHECK ((0 < x))"), range(Some(1), None));
        assert_eq!(read("CHECK ((x > '-1'::integer))"), range(Some(0), None));
        assert_eq!(read("CHECK ((x > 0.5))"), range(Some(1), None));
        assert_eq!(read("CHECK (x BETWEEN 1 AND 5)"), range(Some(1), Some(5)));
        assert_eq!(
            read("CHECK (((x >= 0) AND (x <= 100)))"),
            Some(vec![vec![
                Shape::Range {
                    column: "x".into(),
                    low: Some(0),
                    high: None
                },
                Shape::Range {
                    column: "x".into(),
                    low: None,
                    high: Some(100)
                },
            ]])
        );
    }

    #[test]
    fn length_limits() {
        let length = |low, high| {
            Some(vec![vec![Shape::Length {
                column: "x".into(),
                low,
                high,
            }]])
        };
        assert_eq!(read("CHECK ((length(x) <= 50))"), length(None, Some(50)));
        assert_eq!(read("CHECK ((char_length(x) > 0))"), length(Some(1), None));
        assert_eq!(read("CHECK ((x <> ''::text))"), length(Some(1), None));
    }

    /// openmeter's state machines: each alternative of an `OR`, nested ones multiplied out;
    /// an alternative with a part of another shape (`a = b` of two columns) is left out.
    #[test]
    fn alternatives_of_conjunctions() {
        let null = |c: &str| Shape::Null(c.into());
        let set = |c: &str| Shape::AtLeastOne(names(&[c]));
        let mode = |m: &str| Shape::OneOf {
            column: "mode".into(),
            values: names(&[m]),
        };
        assert_eq!(
            read(
                "CHECK ((((deleted_at IS NULL) AND (api_key IS NOT NULL)) OR \
                 ((deleted_at IS NOT NULL) AND (api_key IS NULL))))"
            ),
            Some(vec![
                vec![null("deleted_at"), set("api_key")],
                vec![set("deleted_at"), null("api_key")],
            ])
        );
        assert_eq!(
            read(
                "CHECK (((((mode)::text = 'dynamic'::text) AND (basis IS NULL) AND \
                 (((resolved IS NULL) AND (at IS NULL)) OR ((resolved IS NOT NULL) AND \
                 (at IS NOT NULL)))) OR (((mode)::text = 'pinned'::text) AND \
                 (resolved = basis))))"
            ),
            Some(vec![
                vec![mode("dynamic"), null("basis"), null("resolved"), null("at")],
                vec![mode("dynamic"), null("basis"), set("resolved"), set("at")],
            ])
        );
        assert_eq!(
            read("CHECK ((((char_length((currency)::text) = 3) AND (custom_id IS NULL))))"),
            Some(vec![vec![
                Shape::Length {
                    column: "currency".into(),
                    low: Some(3),
                    high: Some(3)
                },
                null("custom_id"),
            ]])
        );
    }

    #[test]
    fn other_shapes_are_unsolved() {
        assert_eq!(read("CHECK ((ends_at > starts_at))"), None);
        assert_eq!(read("CHECK (((x > 0) AND (lower(y) = y)))"), None);
        assert_eq!(read("CHECK ((x ~ '^[a-z]+$'::text))"), None);
        assert_eq!(read("CHECK (((a = b) OR (lower(c) = c)))"), None);
        assert_eq!(read("not a constraint"), None);
    }
}
