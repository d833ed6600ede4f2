//! The CHECK constraints the seeder solves: per column, the values they allow (a list, a
//! range, a length) or that it stays NULL, and the groups of columns of which exactly, at
//! most or at least one is set. Of a constraint with alternatives, the first that fits the
//! table and the constraints solved before it is taken. A constraint of another shape is
//! left unsolved: its columns are relaxed.

use std::collections::{BTreeMap, BTreeSet};

use crate::rows::live::{BaseType, LiveTable};
use crate::rows::shapes::{self, Shape};
use crate::sql::quote::Ident;

/// What the solved CHECK constraints allow in one column.
#[derive(Debug, Clone, Default)]
pub(super) struct Domain {
    pub(super) one_of: Option<Vec<String>>,
    pub(super) range: (Option<i64>, Option<i64>),
    pub(super) length: (Option<i64>, Option<i64>),
}

/// A group of columns a solved CHECK constraint counts: exactly, at most or at least one of
/// them is set.
#[derive(Clone)]
pub(super) enum Group {
    Exactly(Vec<i16>),
    /// As `Exactly`, or none when none can be set.
    AtMost(Vec<i16>),
    AtLeast(Vec<i16>),
}

/// The solved CHECK constraints of a table: per column domains and groups.
#[derive(Default, Clone)]
pub(super) struct Solved {
    pub(super) domains: BTreeMap<i16, Domain>,
    pub(super) groups: Vec<(String, Group)>,
    /// Columns NULL in every row.
    pub(super) nulls: BTreeSet<i16>,
    pub(super) relaxed: BTreeSet<i16>,
    pub(super) unsolved: BTreeSet<String>,
}

impl Solved {
    pub(super) fn of(table: &LiveTable) -> Solved {
        let mut solved = Solved::default();
        for check in &table.checks {
            let alternatives = shapes::read(&check.definition).unwrap_or_default();
            // The first alternative that leaves every column a value; else the first that
            // fits at all, whose contradiction is then reported.
            // Each alternative is worked out once.
            let with = |shapes: &Vec<Shape>| solved.with(table, &check.name, shapes);
            let mut fitting = alternatives.iter().filter_map(with);
            let contradicts = |more: &Solved| more.domains.values().any(Domain::is_empty);
            let chosen = match fitting.next() {
                Some(first) if contradicts(&first) => {
                    Some(fitting.find(|more| !contradicts(more)).unwrap_or(first))
                }
                first => first,
            };
            match chosen {
                Some(more) => solved = more,
                None => {
                    solved.relaxed.extend(&check.columns);
                    solved.unsolved.insert(check.name.clone());
                }
            }
        }
        solved
    }

    /// What is solved once `shapes` (an alternative of constraint `name`) join it; `None` when
    /// one does not fit the table, or they leave a group no column to set.
    fn with(&self, table: &LiveTable, name: &str, shapes: &[Shape]) -> Option<Solved> {
        let mut more = self.clone();
        for shape in shapes {
            let mut groups = Vec::new();
            if !add_shape(
                table,
                shape,
                &mut more.domains,
                &mut groups,
                &mut more.nulls,
            ) {
                return None;
            }
            more.groups
                .extend(groups.into_iter().map(|g| (name.to_string(), g)));
        }
        let starved = more.groups.iter().any(|(_, group)| match group {
            Group::Exactly(columns) | Group::AtLeast(columns) => {
                columns.iter().all(|c| more.nulls.contains(c))
            }
            Group::AtMost(_) => false,
        });
        (!starved).then_some(more)
    }
}

impl Solved {
    /// A column that the solved constraints together leave no value for.
    pub(super) fn contradiction(&self, table: &LiveTable) -> Option<String> {
        let (attnum, _) = self.domains.iter().find(|(_, d)| d.is_empty())?;
        let column = table.columns.iter().find(|c| c.attnum == *attnum)?;
        Some(format!(
            "the CHECK constraints on column {} admit no value",
            Ident(&column.name)
        ))
    }
}

impl Domain {
    pub(super) fn is_empty(&self) -> bool {
        let empty = |(low, high): (Option<i64>, Option<i64>)| matches!((low, high), (Some(l), Some(h)) if h < l);
        self.one_of.as_ref().is_some_and(Vec::is_empty) || empty(self.range) || empty(self.length)
    }
}

/// Adds one shape to the domains or groups; `false` when it does not fit the table (a column
/// that is missing, or of a type the shape cannot be produced for).
fn add_shape(
    table: &LiveTable,
    shape: &Shape,
    domains: &mut BTreeMap<i16, Domain>,
    groups: &mut Vec<Group>,
    nulls: &mut BTreeSet<i16>,
) -> bool {
    let find = |name: &str| table.columns.iter().find(|c| c.name == name);
    let group = |names: &[String]| -> Option<Vec<i16>> {
        names.iter().map(|n| find(n).map(|c| c.attnum)).collect()
    };
    match shape {
        Shape::Null(column) => find(column).filter(|c| !c.not_null).map(|c| {
            nulls.insert(c.attnum);
        }),
        Shape::ExactlyOne(names) => group(names).map(|g| groups.push(Group::Exactly(g))),
        Shape::AtMostOne(names) => group(names).map(|g| groups.push(Group::AtMost(g))),
        Shape::AtLeastOne(names) => group(names).map(|g| groups.push(Group::AtLeast(g))),
        Shape::OneOf { column, values } => find(column).filter(|c| !c.is_array).map(|c| {
            let domain = domains.entry(c.attnum).or_default();
            domain.one_of = Some(match domain.one_of.take() {
                Some(before) => before.into_iter().filter(|v| values.contains(v)).collect(),
                None => values.clone(),
            });
        }),
        Shape::Range { column, low, high } => find(column)
            .filter(|c| !c.is_array && is_number(&c.base))
            .map(|c| narrow(&mut domains.entry(c.attnum).or_default().range, *low, *high)),
        Shape::Length { column, low, high } => find(column)
            .filter(|c| !c.is_array && c.base.category == 'S')
            .map(|c| {
                narrow(
                    &mut domains.entry(c.attnum).or_default().length,
                    *low,
                    *high,
                )
            }),
    }
    .is_some()
}

fn narrow(bounds: &mut (Option<i64>, Option<i64>), low: Option<i64>, high: Option<i64>) {
    bounds.0 = bounds.0.max(low);
    bounds.1 = match (bounds.1, high) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
}

fn is_number(base: &BaseType) -> bool {
    matches!(
        base.name.as_str(),
        "int2" | "int4" | "int8" | "numeric" | "float4" | "float8"
    )
}
