//! Preflight guards: a lossy undo that fails on some rows (duplicates under a unique index it
//! rebuilds, NULLs in a column it makes NOT NULL again, …) checks for those rows first, at the
//! top of the undo, before any change. Under Prisma's split mode, where each statement commits
//! alone, an undo that failed half-way would leave the schema between two states during an
//! incident; with the guard it fails whole, and its message names the table, the columns and
//! the query that lists the rows to fix.
//!
//! A rule attaches a [`Guard`] to its [`Undo`](super::Undo); once the whole migration is folded,
//! [`place`] decides where each guard can run: at the top when its table and columns stand
//! unchanged after the forward migration and no undo step before it changes data, else right
//! before the statement it guards (still before that change, and said so in the note).

mod place;
mod statement;

pub(super) use place::place;
pub(super) use statement::tree_of;

use crate::catalog::{Constraint, ConstraintKind, Index};
use crate::sql::quote::{Ident, Idents, Literal, Qualified};
use crate::sql::{build, deparse, pb, Node, NodeEnum, QName};

/// How the message of every preflight check that fails starts (the drill tells a check that
/// stopped an undo, as its note announced, from any other failure by it).
pub const PREFLIGHT_FAILED: &str = "unmigrate preflight check failed";

/// A condition that makes an undo statement fail, as a query listing the rows that meet it.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    /// The tables the query reads, with the columns it reads of each (the guarded table first).
    reads: Vec<(QName, Vec<String>)>,
    /// `SELECT …` listing the offending rows (or groups of rows); for a conversion, the query
    /// that converts every row (it fails at the first value that does not convert).
    offenders: String,
    /// For a conversion: the column's type when the guard was made, which it must still have
    /// after the forward migration to be checked at the top (a later statement may change it
    /// again).
    converts_from: Option<Box<pb::TypeName>>,
    /// The query fails on an offending row (a conversion) instead of listing it. The guard
    /// then counts its one column: a column nobody reads could be planned away unconverted.
    fails_on_row: bool,
    /// What is wrong with them, and what it stops.
    problem: String,
    /// What to do about them, when "fix or remove those rows" is not it.
    hint: Option<String>,
    /// Which values of the columns it reads make it fail, for the pass that finds the guards
    /// an undo's own re-added columns are certain to fail (`super::backfill`).
    pub(super) offends: Offends,
    /// It only asks whether its table has rows (see [`Guard::table_has_rows`]): data the undo
    /// changes before it, and the table's columns, do not keep it from the top of the undo.
    rows_only: bool,
    /// Where the step it guards starts among its undo's statements: 0 but in the undo of a
    /// statement of several parts, whose parts' steps follow one another (`Undo::combine`).
    pub(super) at: usize,
}

/// Which values of the columns a guard reads make it fail (see [`Guard::offends`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Offends {
    /// NULL in `column`: it is made NOT NULL.
    Nulls { column: String },
    /// Equal values in every one of `keys` over the whole table: a unique index, key or
    /// primary key is built over them. A primary key fails on a NULL too (`primary`); a
    /// unique one on equal NULLs only with `NULLS NOT DISTINCT` (`nulls_equal`).
    Duplicates {
        keys: Vec<String>,
        nulls_equal: bool,
        primary: bool,
    },
    /// A value of `column` (set) that no row of `parent` holds: a one-column foreign key.
    Orphans { column: String, parent: QName },
    /// One of `values` (as text) in `column`: a type converted back, or recreated, without
    /// them.
    Values { column: String, values: Vec<String> },
    /// Anything else: a CHECK, a conversion, an enum value, a partial or expression index.
    Other,
}

impl Guard {
    /// Rows with equal keys stop `index` (a unique index) from being built again. `None` when
    /// the index is not unique, or its definition cannot be written as a query.
    pub fn duplicates(index: &Index) -> Option<Guard> {
        let stmt = index.stmt.unpack();
        if !stmt.unique {
            return None;
        }
        let keys: Vec<Node> = stmt
            .index_params
            .iter()
            .map(|p| match &p.node {
                Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => {
                    Some(build::column_ref(&e.name))
                }
                Some(NodeEnum::IndexElem(e)) => e.expr.as_deref().cloned(),
                _ => None,
            })
            .collect::<Option<_>>()?;
        let mut conditions: Vec<Node> = Vec::new();
        if !stmt.nulls_not_distinct {
            // NULLs never collide in a unique index (unless NULLS NOT DISTINCT).
            conditions.extend(keys.iter().map(|k| is_not_null(k.clone())));
        }
        conditions.extend(stmt.where_clause.as_deref().cloned());
        let plain_keys: Option<Vec<String>> = stmt
            .index_params
            .iter()
            .map(|p| match &p.node {
                Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                _ => None,
            })
            .collect();
        let offends = match plain_keys {
            Some(keys) if stmt.where_clause.is_none() => Offends::Duplicates {
                keys,
                nulls_equal: stmt.nulls_not_distinct,
                primary: false,
            },
            _ => Offends::Other,
        };
        let offenders = duplicates_query(&index.table, keys, conditions)?;
        let shown: Vec<String> = stmt.index_params.iter().map(key_shown).collect();
        Some(Guard {
            reads: vec![(index.table.clone(), index.columns.clone())],
            offenders,
            fails_on_row: false,
            converts_from: None,
            hint: None,
            offends,
            rows_only: false,
            at: 0,
            problem: format!(
                "table {} has rows with equal ({}), so unique index {} cannot be built again",
                index.table,
                shown.join(", "),
                Qualified(&index.name)
            ),
        })
    }

    /// Rows that constraint `c` of `table` would reject stop it from being added back (and
    /// validated). `None` for an exclusion constraint, a `MATCH FULL` foreign key, or a
    /// definition that cannot be written as a query.
    pub fn violations(table: &QName, c: &Constraint) -> Option<Guard> {
        let def = c.def.unpack();
        let named = format!("constraint {} of {table}", Ident(&c.name));
        let mut offends = Offends::Other;
        let (offenders, problem) = match c.kind {
            ConstraintKind::PrimaryKey | ConstraintKind::Unique => {
                // The key columns (an INCLUDE column is covered, not compared).
                let mut names = crate::sql::string_list(&def.keys);
                if names.is_empty() {
                    names = c.columns.clone();
                }
                let keys: Vec<Node> = names.iter().map(|k| build::column_ref(k)).collect();
                // A primary key also rejects NULLs, which NOT NULL on its columns already does.
                let skip_nulls = c.kind == ConstraintKind::Unique && !def.nulls_not_distinct;
                let conditions = if skip_nulls {
                    keys.iter().map(|k| is_not_null(k.clone())).collect()
                } else {
                    Vec::new()
                };
                offends = Offends::Duplicates {
                    keys: names.clone(),
                    nulls_equal: def.nulls_not_distinct,
                    primary: c.kind == ConstraintKind::PrimaryKey,
                };
                (
                    duplicates_query(table, keys, conditions)?,
                    format!(
                        "table {table} has rows with equal ({}), so {named} cannot be added back",
                        Idents(&names)
                    ),
                )
            }
            ConstraintKind::Check => {
                let check = def.raw_expr.as_deref().cloned()?;
                let select = select(
                    vec![build::node(NodeEnum::ColumnRef(pb::ColumnRef {
                        fields: vec![build::node(NodeEnum::AStar(pb::AStar {}))],
                        location: -1,
                    }))],
                    table,
                    Some(is_false(check)),
                );
                (
                    deparse(NodeEnum::SelectStmt(Box::new(select))).ok()?,
                    format!("table {table} has rows that fail {named}, so it cannot be added back"),
                )
            }
            ConstraintKind::ForeignKey => {
                let (parent, referenced) = c.references.as_ref()?;
                if def.fk_matchtype == "f" || referenced.len() != c.columns.len() {
                    return None;
                }
                let not_null: Vec<String> = c
                    .columns
                    .iter()
                    .map(|k| format!("child.{} IS NOT NULL", Ident(k)))
                    .collect();
                let matches: Vec<String> = c
                    .columns
                    .iter()
                    .zip(referenced)
                    .map(|(k, r)| format!("parent.{} = child.{}", Ident(r), Ident(k)))
                    .collect();
                if let [column] = c.columns.as_slice() {
                    offends = Offends::Orphans {
                        column: column.clone(),
                        parent: parent.clone(),
                    };
                }
                (
                    format!(
                        "SELECT child.* FROM {} AS child WHERE {} AND NOT EXISTS (SELECT FROM {} AS parent WHERE {})",
                        Qualified(table),
                        not_null.join(" AND "),
                        Qualified(parent),
                        matches.join(" AND ")
                    ),
                    format!(
                        "table {table} has rows whose ({}) match no row of {parent}, so {named} cannot be added back",
                        Idents(&c.columns)
                    ),
                )
            }
            ConstraintKind::Exclusion => return None,
        };
        let mut reads = vec![(table.clone(), c.columns.clone())];
        reads.extend(c.references.clone());
        Some(Guard {
            reads,
            offenders,
            fails_on_row: false,
            converts_from: None,
            problem,
            hint: None,
            offends,
            rows_only: false,
            at: 0,
        })
    }

    /// Rows holding `value` in `column` (of enum `type_name`, or an array of it) stop the type
    /// from being recreated without that value.
    pub fn enum_value_in_use(
        table: &QName,
        column: &str,
        array: bool,
        type_name: &QName,
        value: &str,
    ) -> Guard {
        let condition = if array {
            format!("{} = ANY ({})", Literal(value), Ident(column))
        } else {
            format!("{} = {}", Ident(column), Literal(value))
        };
        Guard {
            reads: vec![(table.clone(), vec![column.to_string()])],
            offenders: format!("SELECT * FROM {} WHERE {condition}", Qualified(table)),
            fails_on_row: false,
            converts_from: None,
            hint: None,
            offends: values_offend(column, array, &[value.to_string()]),
            rows_only: false,
            at: 0,
            problem: format!(
                "table {table} has rows where {} holds {}, so enum {type_name} cannot be recreated without it",
                Ident(column),
                Literal(value)
            ),
        }
    }

    /// Values of `column` that `conversion` (the undo's `USING`, to type `to`) fails on stop
    /// the type change back. PostgreSQL 15 cannot test a conversion without running it, so
    /// the guard runs it on every row (under ACCESS SHARE, writes go on) and fails with the
    /// first error, which names the value. `None` when the expression cannot be written.
    pub fn conversion(
        table: &QName,
        column: &str,
        from: &pb::TypeName,
        conversion: &Node,
        to: &str,
    ) -> Option<Guard> {
        let converted = expression_text(conversion)?;
        Some(Guard {
            converts_from: Some(Box::new(from.clone())),
            reads: vec![(table.clone(), vec![column.to_string()])],
            offenders: format!("SELECT {converted} AS converted FROM {}", Qualified(table)),
            fails_on_row: true,
            hint: None,
            offends: Offends::Other,
            rows_only: false,
            at: 0,
            problem: format!(
                "a value of {} does not convert back to {to}",
                crate::sql::quote::Column(table, column)
            ),
        })
    }

    /// Rows of `table` that reference anything at all through foreign key `c` stop it from
    /// being added back into its parent when the undo recreates that table empty: every such
    /// row would be an orphan. The query reads only `table` (the parent does not exist yet at
    /// the top of the undo). `None` unless `c` is a foreign key.
    pub fn references_into_emptied(table: &QName, c: &Constraint) -> Option<Guard> {
        let (parent, _) = c.references.as_ref()?;
        // MATCH SIMPLE checks only rows with every column set; MATCH FULL rejects a row with
        // some set and some NULL, and checks the rest.
        let (join, full) = if c.def.unpack().fk_matchtype == "f" {
            (" OR ", true)
        } else {
            (" AND ", false)
        };
        let set: Vec<String> = c
            .columns
            .iter()
            .map(|k| format!("{} IS NOT NULL", Ident(k)))
            .collect();
        let set = match (full, set.len()) {
            (true, n) if n > 1 => format!("({})", set.join(join)),
            _ => set.join(join),
        };
        let columns = Idents(&c.columns);
        Some(Guard {
            reads: vec![(table.clone(), c.columns.clone())],
            offenders: format!("SELECT * FROM {} WHERE {set}", Qualified(table)),
            fails_on_row: false,
            converts_from: None,
            offends: Offends::Other,
            rows_only: false,
            at: 0,
            problem: format!(
                "table {table} has rows whose ({columns}) reference {parent}, which the undo recreates empty, so foreign key {} of {table} cannot be added back",
                Ident(&c.name)
            ),
            hint: Some(format!(
                "Bring the rows of {parent} back first (from a backup) and add the key by hand, or clear those references of {table}, then deploy the undo again."
            )),
        })
    }

    /// Rows with NULL in `column` stop it from becoming NOT NULL again.
    pub fn nulls(table: &QName, column: &str) -> Guard {
        Guard {
            reads: vec![(table.clone(), vec![column.to_string()])],
            fails_on_row: false,
            converts_from: None,
            hint: None,
            offends: Offends::Nulls {
                column: column.to_string(),
            },
            rows_only: false,
            at: 0,
            offenders: format!(
                "SELECT * FROM {} WHERE {} IS NULL",
                Qualified(table),
                Ident(column)
            ),
            problem: format!(
                "table {table} has rows where {} IS NULL, so it cannot be made NOT NULL again",
                Ident(column)
            ),
        }
    }

    /// Rows holding any of `values` in `column` (or, for an array, an element among them)
    /// stop it from being converted back to enum `to`, which lacks those values. Compared as
    /// text, so the query means the same before and after the undo renames types.
    pub fn values_outside(
        table: &QName,
        column: &str,
        array: bool,
        values: &[String],
        to: &str,
    ) -> Guard {
        let listed: Vec<String> = values.iter().map(|v| Literal(v).to_string()).collect();
        let listed = listed.join(", ");
        let condition = if array {
            format!("{}::text[] && ARRAY[{listed}]::text[]", Ident(column))
        } else {
            format!("{}::text IN ({listed})", Ident(column))
        };
        Guard {
            reads: vec![(table.clone(), vec![column.to_string()])],
            offenders: format!("SELECT * FROM {} WHERE {condition}", Qualified(table)),
            fails_on_row: false,
            converts_from: None,
            hint: Some(format!(
                "Give those rows a value {to} has (or remove them), then deploy the undo again."
            )),
            offends: values_offend(column, array, values),
            rows_only: false,
            at: 0,
            problem: format!(
                "table {table} has rows where {} holds {listed}, which {to} lacks, so it cannot be converted back",
                Ident(column)
            ),
        }
    }

    /// Any row of `table` (two or more when `at_least` is 2) stops the undo as written: a step
    /// of it needs values in a column the undo itself re-adds without them, so a person must
    /// write the backfill (see `super::backfill`) and then delete this check.
    pub(super) fn table_has_rows(table: &QName, at_least: usize, problem: String) -> Guard {
        let offenders = if at_least > 1 {
            format!(
                "SELECT count(*) FROM {} HAVING count(*) >= {at_least}",
                Qualified(table)
            )
        } else {
            format!("SELECT * FROM {}", Qualified(table))
        };
        Guard {
            reads: vec![(table.clone(), Vec::new())],
            offenders,
            fails_on_row: false,
            converts_from: None,
            hint: Some(
                "Write the backfill where this undo says MANUAL STEP, then delete this check and deploy the undo again."
                    .to_string(),
            ),
            offends: Offends::Other,
            rows_only: true,
            at: 0,
            problem,
        }
    }

    /// The table the guard is about, and the columns of it it reads.
    pub(super) fn guarded(&self) -> (&QName, &[String]) {
        let (table, columns) = &self.reads[0];
        (table, columns)
    }
}

/// `SELECT keys…, count(*) FROM table WHERE conditions GROUP BY keys HAVING count(*) > 1`.
fn duplicates_query(table: &QName, keys: Vec<Node>, conditions: Vec<Node>) -> Option<String> {
    let mut targets = keys.clone();
    targets.push(count_star());
    let select = pb::SelectStmt {
        group_clause: keys,
        having_clause: Some(Box::new(greater_than_one(count_star()))),
        ..select(targets, table, and(conditions))
    };
    deparse(NodeEnum::SelectStmt(Box::new(select))).ok()
}

/// `SELECT targets FROM table [WHERE condition]`
fn select(targets: Vec<Node>, table: &QName, condition: Option<Node>) -> pb::SelectStmt {
    pb::SelectStmt {
        target_list: targets.into_iter().map(res_target).collect(),
        from_clause: vec![build::node(NodeEnum::RangeVar(build::range_var(table)))],
        where_clause: condition.map(Box::new),
        // The protobuf defaults (0) are not valid values of these enums.
        op: pb::SetOperation::SetopNone as i32,
        limit_option: pb::LimitOption::Default as i32,
        ..Default::default()
    }
}

/// `(expr) IS FALSE`: the rows a CHECK rejects (NULL passes a check).
fn is_false(arg: Node) -> Node {
    build::node(NodeEnum::BooleanTest(Box::new(pb::BooleanTest {
        arg: Some(Box::new(arg)),
        booltesttype: pb::BoolTestType::IsFalse as i32,
        location: -1,
        ..Default::default()
    })))
}

/// How a key of an index shows in a message: its column, or its expression.
fn key_shown(param: &Node) -> String {
    match &param.node {
        Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => Ident(&e.name).to_string(),
        Some(NodeEnum::IndexElem(e)) => e
            .expr
            .as_deref()
            .and_then(expression_text)
            .unwrap_or_else(|| "an expression".to_string()),
        _ => "an expression".to_string(),
    }
}

/// An expression as SQL text, written by the deparser (as `SELECT expr`, then cut).
fn expression_text(expr: &Node) -> Option<String> {
    let select = pb::SelectStmt {
        target_list: vec![res_target(expr.clone())],
        op: pb::SetOperation::SetopNone as i32,
        limit_option: pb::LimitOption::Default as i32,
        ..Default::default()
    };
    let text = deparse(NodeEnum::SelectStmt(Box::new(select))).ok()?;
    text.strip_prefix("SELECT ").map(str::to_string)
}

fn res_target(value: Node) -> Node {
    build::node(NodeEnum::ResTarget(Box::new(pb::ResTarget {
        val: Some(Box::new(value)),
        location: -1,
        ..Default::default()
    })))
}

fn count_star() -> Node {
    build::node(NodeEnum::FuncCall(Box::new(pb::FuncCall {
        funcname: vec![build::string("count")],
        agg_star: true,
        funcformat: pb::CoercionForm::CoerceExplicitCall as i32,
        location: -1,
        ..Default::default()
    })))
}

fn greater_than_one(left: Node) -> Node {
    build::node(NodeEnum::AExpr(Box::new(pb::AExpr {
        kind: pb::AExprKind::AexprOp as i32,
        name: vec![build::string(">")],
        lexpr: Some(Box::new(left)),
        rexpr: Some(Box::new(build::node(NodeEnum::AConst(pb::AConst {
            val: Some(pb::a_const::Val::Ival(pb::Integer { ival: 1 })),
            ..Default::default()
        })))),
        location: -1,
        ..Default::default()
    })))
}

fn is_not_null(arg: Node) -> Node {
    build::node(NodeEnum::NullTest(Box::new(pb::NullTest {
        arg: Some(Box::new(arg)),
        nulltesttype: pb::NullTestType::IsNotNull as i32,
        location: -1,
        ..Default::default()
    })))
}

fn and(mut conditions: Vec<Node>) -> Option<Node> {
    match conditions.len() {
        0 => None,
        1 => conditions.pop(),
        _ => Some(build::node(NodeEnum::BoolExpr(Box::new(pb::BoolExpr {
            boolop: pb::BoolExprType::AndExpr as i32,
            args: conditions,
            location: -1,
            ..Default::default()
        })))),
    }
}

/// What a guard against `values` in `column` offends on: those values, for a plain column;
/// an array's elements are not followed.
fn values_offend(column: &str, array: bool, values: &[String]) -> Offends {
    match array {
        true => Offends::Other,
        false => Offends::Values {
            column: column.to_string(),
            values: values.to_vec(),
        },
    }
}
