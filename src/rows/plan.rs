//! The row plan of one table: which value each column gets in the seeder's one
//! `INSERT … SELECT … FROM generate_series(1, N)`, how many rows the unique keys admit, and
//! which parent rows the foreign keys point at ([`super::seed`] fills tables with it).

mod checks;

use std::collections::{BTreeMap, BTreeSet};

use postgres::Client;

use super::live::{self, literal, qualified, BaseType, LiveColumn, LiveTable, Partitions};
use super::values;
use crate::sql::quote::{Ident, Idents};
use checks::{Domain, Group, Solved};

/// One column's value: an expression, and in which rows it is NULL instead.
#[derive(Debug, Clone)]
struct Value {
    expr: String,
    nulls: Nulls,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Nulls {
    Never,
    /// Every third row, as real data has NULLs (a `SET NOT NULL` must meet them).
    EveryThird,
    /// Every row but those where the condition holds (one column of an exactly-one-of).
    Unless(String),
    /// Every row: `expr` is `NULL`.
    Always,
}

impl Value {
    fn null() -> Value {
        Value {
            expr: "NULL".into(),
            nulls: Nulls::Always,
        }
    }

    fn sql(&self) -> String {
        match &self.nulls {
            Nulls::Never => self.expr.clone(),
            Nulls::EveryThird => format!("CASE WHEN {NULL_ROW} THEN NULL ELSE {} END", self.expr),
            Nulls::Unless(condition) => format!("CASE WHEN {condition} THEN {} END", self.expr),
            Nulls::Always => "NULL".into(),
        }
    }
}

/// How each column of one table gets its value.
pub(super) struct RowPlan {
    /// Per column (by attnum): the value, or `None` to leave it to its default.
    values: BTreeMap<i16, Option<Value>>,
    /// `LEFT JOIN (…) AS fkN ON …` clauses that pick parent rows.
    joins: Vec<String>,
    /// How many rows: fewer than asked when a unique key admits fewer.
    rows: u64,
    /// Columns of CHECK constraints the seeder does not solve: NULL or their default in the
    /// second attempt.
    pub(super) relaxed: BTreeSet<i16>,
    /// Names of those constraints.
    pub(super) unsolved: BTreeSet<String>,
}

/// The row key of a column's value: distinct per row for unique columns, every value twice
/// for the others.
const DISTINCT_KEY: &str = "g.i";
const REPEATED_KEY: &str = "((g.i + 1) / 2)";
const NULL_ROW: &str = "g.i % 3 = 0";

impl RowPlan {
    pub(super) fn new(
        client: &mut Client,
        table: &LiveTable,
        by_oid: &BTreeMap<u32, &LiveTable>,
        waiting: &BTreeSet<u32>,
        rows: u64,
    ) -> Result<Result<RowPlan, String>, postgres::Error> {
        if table.partitions == Some(Partitions::None) {
            return Ok(Err(
                "it is partitioned and has no partition (made at run time, \
                           outside the migrations), so no row has anywhere to go"
                    .to_string(),
            ));
        }
        let solved = Solved::of(table);
        if let Some(why) = solved.contradiction(table) {
            return Ok(Err(why));
        }
        let mut values: BTreeMap<i16, Option<Value>> = BTreeMap::new();
        // How many distinct values a column can take, where that is limited.
        let mut capacity: BTreeMap<i16, u64> = BTreeMap::new();
        let mut joins = Vec::new();
        // Overlapping foreign keys: the widest decides. A composite key such as (run_id,
        // project_id) → runs usually implies the narrow project_id → projects, since the run
        // it picks has a valid project itself; the other way round it would not hold. Keys
        // the live table has come before hinted ones.
        let mut foreign_keys: Vec<&live::ForeignKey> = table.foreign_keys.iter().collect();
        foreign_keys.sort_by_key(|fk| (fk.hinted, std::cmp::Reverse(fk.columns.len())));
        for (n, fk) in foreign_keys.into_iter().enumerate() {
            let parent = by_oid
                .get(&fk.parent)
                .filter(|p| p.oid != table.oid && !waiting.contains(&p.oid));
            if fk.columns.iter().any(|a| values.contains_key(a)) {
                if let Some(join) = overlapping_key(table, fk, parent.copied(), n, &mut values) {
                    joins.push(join);
                }
                continue;
            }
            let keys = match parent {
                Some(p) => parent_keys(client, p, &fk.parent_columns)?,
                None => None,
            };
            let Some((source, count)) = keys else {
                if fk.hinted {
                    continue;
                }
                if fk.columns.iter().all(|&a| nullable(table, a)) {
                    values.extend(fk.columns.iter().map(|&a| (a, Some(Value::null()))));
                    continue;
                }
                let whose = match by_oid.get(&fk.parent) {
                    Some(p) if p.oid == table.oid => "its own table".to_string(),
                    Some(p) => p.name.to_string(),
                    None => format!("table with oid {}", fk.parent),
                };
                return Ok(Err(format!(
                    "foreign key {} is NOT NULL and references {whose}, which has no rows to \
                     point at",
                    Ident(&fk.name)
                )));
            };
            let alias = format!("fk{n}");
            joins.push(format!(
                "LEFT JOIN {source} AS {alias} ON {alias}.unmigrate_rn = g.i % {count}"
            ));
            for (&attnum, parent_column) in fk.columns.iter().zip(&fk.parent_columns) {
                let expr = format!("{alias}.{}", Ident(parent_column));
                values.insert(attnum, Some(usual(table, attnum, expr)));
                capacity.insert(attnum, count.max(0) as u64);
            }
        }
        for column in &table.columns {
            if values.contains_key(&column.attnum) {
                continue;
            }
            if column.filled_by_server {
                values.insert(column.attnum, None);
                continue;
            }
            // The partition key: one value a partition takes, in every row.
            if let Some(Partitions::Take { attnum, sql }) = &table.partitions {
                if *attnum == column.attnum {
                    let value = Value {
                        expr: format!("({sql})::{}", column.type_sql),
                        nulls: Nulls::Never,
                    };
                    values.insert(column.attnum, Some(value));
                    capacity.insert(column.attnum, 1);
                    continue;
                }
            }
            let domain = solved.domains.get(&column.attnum);
            match column_value(table, column, domain, rows) {
                Some((value, limit)) => {
                    values.insert(column.attnum, Some(value));
                    if let Some(limit) = limit {
                        capacity.insert(column.attnum, limit);
                    }
                }
                None if !column.not_null || column.has_default => {
                    values.insert(column.attnum, None);
                }
                None => {
                    return Ok(Err(format!(
                        "no value generator for type {} of NOT NULL column {} (and it has no \
                         default)",
                        column.type_sql,
                        Ident(&column.name)
                    )))
                }
            };
        }
        // Columns an alternative of a CHECK constraint keeps NULL (never one the server
        // fills: the seeder gives those no value).
        for column in &table.columns {
            if solved.nulls.contains(&column.attnum) && !column.filled_by_server {
                values.insert(column.attnum, Some(Value::null()));
            }
        }
        for (name, group) in &solved.groups {
            if let Err(why) = apply_group(table, group, &mut values) {
                return Ok(Err(format!(
                    "CHECK constraint {} cannot hold: {why}",
                    Ident(name)
                )));
            }
        }
        let rows = rows.min(unique_capacity(table, &capacity));
        if rows == 0 {
            return Ok(Err(
                "a unique key admits no value that its CHECK constraints allow".to_string(),
            ));
        }
        Ok(Ok(RowPlan {
            values,
            joins,
            rows,
            relaxed: solved.relaxed,
            unsolved: solved.unsolved,
        }))
    }

    /// The `INSERT`; with `relax_checks` (the second attempt after a CHECK violation),
    /// columns that unsolved CHECK constraints name get NULL or their default instead.
    pub(super) fn insert(&self, table: &LiveTable, relax_checks: bool) -> String {
        let mut columns = Vec::new();
        let mut exprs = Vec::new();
        for column in &table.columns {
            let Some(Some(value)) = self.values.get(&column.attnum) else {
                continue;
            };
            let value = if relax_checks && self.relaxed.contains(&column.attnum) {
                match (column.not_null, column.has_default) {
                    (false, _) => "NULL".to_string(),
                    (true, true) => continue,
                    (true, false) => value.sql(),
                }
            } else {
                value.sql()
            };
            columns.push(Ident(&column.name).to_string());
            exprs.push(value);
        }
        // With no column to give (all filled by the server), `SELECT FROM` gives empty rows
        // and the INSERT fills every column with its default.
        let columns = if columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", columns.join(", "))
        };
        format!(
            "INSERT INTO {}{columns} SELECT {} FROM generate_series(1, {}) AS g(i) {}",
            qualified(&table.name),
            exprs.join(", "),
            self.rows,
            self.joins.join(" ")
        )
    }
}

/// A foreign key that shares columns with one already followed (`(conversation_id,
/// project_id)` and `(run_id, project_id)`): its other columns come from a parent row that
/// agrees on the shared ones, picked by a lateral join (returned). `None` when every column
/// is taken, or the parent or a shared value is missing: the columns then keep their own
/// values.
fn overlapping_key(
    table: &LiveTable,
    fk: &live::ForeignKey,
    parent: Option<&LiveTable>,
    n: usize,
    values: &mut BTreeMap<i16, Option<Value>>,
) -> Option<String> {
    let parent = parent?;
    let pairs = || fk.columns.iter().zip(&fk.parent_columns);
    let mut conditions = Vec::new();
    let mut rest = Vec::new();
    for (&attnum, parent_column) in pairs() {
        match values.get(&attnum) {
            Some(Some(v)) if v.nulls != Nulls::Always => {
                conditions.push(format!("p.{} = {}", Ident(parent_column), v.expr));
            }
            Some(_) => return None,
            None => {
                conditions.push(format!("p.{} IS NOT NULL", Ident(parent_column)));
                rest.push((attnum, parent_column));
            }
        }
    }
    if rest.is_empty() {
        return None;
    }
    let alias = format!("fk{n}");
    let list: Vec<String> = rest.iter().map(|(_, c)| Ident(c).to_string()).collect();
    let list = list.join(", ");
    for (attnum, parent_column) in rest {
        let expr = format!("{alias}.{}", Ident(parent_column));
        values.insert(attnum, Some(usual(table, attnum, expr)));
    }
    Some(format!(
        "LEFT JOIN LATERAL (SELECT {list} FROM {} AS p WHERE {} ORDER BY {list} LIMIT 1) AS \
         {alias} ON true",
        parent.from,
        conditions.join(" AND ")
    ))
}

/// A column's usual value: NULL in every third row when nullable.
fn usual(table: &LiveTable, attnum: i16, expr: String) -> Value {
    let nulls = if nullable(table, attnum) {
        Nulls::EveryThird
    } else {
        Nulls::Never
    };
    Value { expr, nulls }
}

/// Whether a column's value is set in every row whatever the seeder does: NOT NULL, or left
/// to a default.
fn always_set(table: &LiveTable, attnum: i16, value: Option<&Option<Value>>) -> bool {
    let column = table.columns.iter().find(|c| c.attnum == attnum);
    match (column, value) {
        (Some(c), _) if c.not_null => true,
        (Some(c), Some(None)) => c.has_default || c.filled_by_server,
        _ => false,
    }
}

/// Sets the NULLs of a group's columns so that exactly one (or at least one) is set per row.
fn apply_group(
    table: &LiveTable,
    group: &Group,
    values: &mut BTreeMap<i16, Option<Value>>,
) -> Result<(), String> {
    let (Group::Exactly(columns) | Group::AtMost(columns) | Group::AtLeast(columns)) = group;
    let set: Vec<i16> = columns
        .iter()
        .copied()
        .filter(|&a| always_set(table, a, values.get(&a)))
        .collect();
    let candidates: Vec<i16> = columns
        .iter()
        .copied()
        .filter(|a| matches!(values.get(a), Some(Some(v)) if v.nulls != Nulls::Always))
        .collect();
    let names = |attnums: &[i16]| -> String {
        let names: Vec<String> = attnums
            .iter()
            .filter_map(|a| table.columns.iter().find(|c| c.attnum == *a))
            .map(|c| Ident(&c.name).to_string())
            .collect();
        names.join(", ")
    };
    match group {
        Group::AtLeast(_) if !set.is_empty() => Ok(()),
        Group::AtLeast(_) => {
            let first = candidates.first().ok_or_else(|| {
                format!(
                    "none of {} can be set (no value, or no parent row)",
                    names(columns)
                )
            })?;
            if let Some(Some(value)) = values.get_mut(first) {
                value.nulls = Nulls::Never;
            }
            Ok(())
        }
        Group::Exactly(_) | Group::AtMost(_) if set.len() > 1 => Err(format!(
            "at most one of {} may be set, but {} are always set",
            names(columns),
            names(&set)
        )),
        Group::Exactly(_) | Group::AtMost(_) => {
            let chosen: Vec<i16> = match set.first() {
                Some(&only) => vec![only],
                None => candidates,
            };
            if chosen.is_empty() && matches!(group, Group::Exactly(_)) {
                return Err(format!(
                    "one of {} must be set, but none can be (no value, or no parent row)",
                    names(columns)
                ));
            }
            for &attnum in columns {
                let turn = chosen.iter().position(|&a| a == attnum);
                let value = match (turn, values.get(&attnum)) {
                    (Some(_), Some(None)) => None,
                    (Some(_), _) if chosen.len() == 1 => {
                        values.get(&attnum).cloned().flatten().map(|v| Value {
                            nulls: Nulls::Never,
                            ..v
                        })
                    }
                    (Some(turn), _) => values.get(&attnum).cloned().flatten().map(|v| Value {
                        nulls: Nulls::Unless(format!("g.i % {} = {turn}", chosen.len())),
                        ..v
                    }),
                    (None, _) => Some(Value::null()),
                };
                values.insert(attnum, value);
            }
            Ok(())
        }
    }
}

/// How many rows the table's unique keys admit: a key admits as many as its least limited
/// column (all of them follow the same row key), a key on constants alone one.
fn unique_capacity(table: &LiveTable, capacity: &BTreeMap<i16, u64>) -> u64 {
    table
        .unique_keys
        .iter()
        .filter(|k| !k.partial)
        .filter_map(|k| {
            let limits: Option<Vec<u64>> =
                k.columns.iter().map(|a| capacity.get(a).copied()).collect();
            limits.map(|l| l.into_iter().max().unwrap_or(1))
        })
        .min()
        .unwrap_or(u64::MAX)
}

/// A column's value: within its domain when solved CHECK constraints limit it, else its
/// type's expression (in an array for array columns), cast to the column's type; NULL in
/// every third row when nullable. With it, how many distinct values it can take, when that
/// is limited by its type or domain.
fn column_value(
    table: &LiveTable,
    column: &LiveColumn,
    domain: Option<&Domain>,
    rows: u64,
) -> Option<(Value, Option<u64>)> {
    let key = if table.unique.contains(&column.attnum) {
        DISTINCT_KEY
    } else {
        REPEATED_KEY
    };
    let domain = domain.cloned().unwrap_or_default();
    let (value, limit) = if let Some(list) = &domain.one_of {
        let literals: Vec<String> = list.iter().map(|v| literal(v)).collect();
        let n = literals.len();
        if n == 0 {
            return None;
        }
        let value = format!(
            "(ARRAY[{}]::text[])[1 + ({key} % {n})::int4]",
            literals.join(", ")
        );
        (value, Some(n as u64))
    } else if domain.range != (None, None) {
        range_value(domain.range, key)?
    } else {
        let mut base = column.base.clone();
        if let (_, Some(high)) = domain.length {
            let type_limit = (base.typmod >= 4).then(|| i64::from(base.typmod - 4));
            let limit = type_limit.map_or(high, |t| t.min(high)).max(0);
            base.typmod = i32::try_from(limit + 4).unwrap_or(base.typmod);
        }
        let value = values::expression(&base, &column.name, key, rows)?;
        let value = match domain.length {
            (Some(low), _) if low > 0 => {
                format!("(({value}) || repeat('_', greatest(0, {low} - length({value}))))")
            }
            _ => value,
        };
        let value = if column.is_array {
            format!("ARRAY[{value}]")
        } else {
            value
        };
        (value, type_capacity(&column.base, column.is_array))
    };
    let cast = format!("({value})::{}", column.type_sql);
    Some((usual(table, column.attnum, cast), limit))
}

/// A number within inclusive bounds for row key `k`, with how many there are when both are
/// given; `None` when the bounds admit none.
fn range_value(range: (Option<i64>, Option<i64>), k: &str) -> Option<(String, Option<u64>)> {
    match range {
        (Some(low), Some(high)) if high < low => None,
        (Some(low), Some(high)) => {
            let span = (i128::from(high) - i128::from(low) + 1).min(i128::from(i64::MAX)) as i64;
            Some((format!("({low}::int8 + ({k} % {span}))"), Some(span as u64)))
        }
        (Some(low), None) => Some((format!("({low}::int8 - 1 + {k})"), None)),
        (None, Some(high)) => Some((format!("({high}::int8 + 1 - {k})"), None)),
        (None, None) => Some((k.to_string(), None)),
    }
}

/// How many distinct values a type's generator gives, when that is few.
fn type_capacity(base: &BaseType, is_array: bool) -> Option<u64> {
    if is_array {
        return None;
    }
    match (base.category, base.name.as_str()) {
        (_, "bool") => Some(2),
        ('E', _) if base.enum_labels > 0 => Some(base.enum_labels as u64),
        _ => None,
    }
}

/// The referenced table's distinct keys numbered from 0, as a subquery to join on, with how
/// many there are; `None` when it has none.
fn parent_keys(
    client: &mut Client,
    parent: &LiveTable,
    columns: &[String],
) -> Result<Option<(String, i64)>, postgres::Error> {
    let list = Idents(columns).to_string();
    let not_null: Vec<String> = columns
        .iter()
        .map(|c| format!("{} IS NOT NULL", Ident(c)))
        .collect();
    let keys = format!(
        "SELECT DISTINCT {list} FROM {} WHERE {}",
        parent.from,
        not_null.join(" AND ")
    );
    let count: i64 = client
        .query_one(&format!("SELECT count(*) FROM ({keys}) AS k"), &[])?
        .get(0);
    if count == 0 {
        return Ok(None);
    }
    let source = format!(
        "(SELECT {list}, row_number() OVER (ORDER BY {list}) - 1 AS unmigrate_rn FROM ({keys}) AS k)"
    );
    Ok(Some((source, count)))
}

/// Whether column `attnum` of `table` may hold NULL.
pub(super) fn nullable(table: &LiveTable, attnum: i16) -> bool {
    table
        .columns
        .iter()
        .any(|c| c.attnum == attnum && !c.not_null)
}
