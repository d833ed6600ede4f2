//! Seeding: synthetic rows in every user table, so a drill meets the data an empty shadow
//! database never has (a `SET NOT NULL` over NULLs, a new UNIQUE index over duplicates, a NOT
//! NULL column added without a default) and can tell which data an undo loses.
//!
//! Everything is read from the live catalog ([`super::live`]) and every table is filled by one
//! set-based statement, `INSERT … SELECT … FROM generate_series(1, N) AS g(i)`, so seeding
//! costs a round trip per table whatever N is. What the rows look like:
//!
//! - a value for every column PostgreSQL does not fill itself (identity, generated and
//!   `serial` columns are left to it), of the column's type (the `values` module);
//! - columns in a primary key or unique index get a distinct value per row; the others hold
//!   every value twice, and nullable columns hold NULL in every third row;
//! - foreign keys point at existing rows of the referenced table, which is seeded first
//!   (tables in dependency order); a nullable foreign key to a table without rows (its own
//!   table, or one in a cycle) is NULL;
//! - a row that fails a CHECK constraint is tried once more with NULL (or the default) in the
//!   columns CHECK constraints name.
//!
//! A table that still cannot be filled is reported with PostgreSQL's error, never skipped in
//! silence, and the drill goes on without rows in it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use postgres::Client;
use serde::Serialize;

use super::live::{self, qualified, LiveColumn, LiveTable};
use super::values;
use crate::sql::quote::{Ident, Idents};
use crate::sql::QName;

/// A table that received rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeededTable {
    pub table: QName,
    pub rows: u64,
}

/// A table that could not be filled, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnseededTable {
    pub table: QName,
    /// SQLSTATE, when PostgreSQL refused the rows.
    pub code: Option<String>,
    pub message: String,
}

/// What one round of seeding did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeedOutcome {
    pub seeded: Vec<SeededTable>,
    pub failed: Vec<UnseededTable>,
    #[serde(skip)]
    pub duration: Duration,
}

/// Which tables a round of seeding fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill<'a> {
    /// Every user table (before the first migration in scope).
    All,
    /// Only tables without rows (before later migrations: the tables earlier ones created),
    /// except those an earlier round already tried: a table that could not be filled is
    /// reported once, not before every migration.
    Empty { tried: &'a BTreeSet<QName> },
    /// Only these tables, which the caller knows to be empty (from a fingerprint).
    These(&'a BTreeSet<QName>),
}

/// Fills user tables with `rows` synthetic rows each, parents before children. `Err` only
/// when the connection fails; a table PostgreSQL refuses is in [`SeedOutcome::failed`].
pub fn seed(
    client: &mut Client,
    rows: u64,
    fill: Fill<'_>,
) -> Result<SeedOutcome, postgres::Error> {
    let started = Instant::now();
    if matches!(fill, Fill::These(tables) if tables.is_empty()) {
        return Ok(SeedOutcome::default());
    }
    let tables = live::user_tables(client)?;
    let mut pending: Vec<&LiveTable> = Vec::new();
    for table in &tables {
        let wanted = match fill {
            Fill::All => true,
            Fill::Empty { tried } => !tried.contains(&table.name) && !has_rows(client, table)?,
            Fill::These(tables) => tables.contains(&table.name),
        };
        if wanted {
            pending.push(table);
        }
    }
    let by_oid: BTreeMap<u32, &LiveTable> = tables.iter().map(|t| (t.oid, t)).collect();
    let mut outcome = SeedOutcome::default();
    while let Some(next) = next_table(&pending) {
        let table = pending.remove(next);
        let waiting: BTreeSet<u32> = pending.iter().map(|t| t.oid).collect();
        let filled = match RowPlan::new(client, table, &by_oid, &waiting, rows)? {
            Ok(plan) => fill_table(client, table, &plan, rows)?,
            Err(why) => Err((None, why)),
        };
        match filled {
            Ok(inserted) => outcome.seeded.push(SeededTable {
                table: table.name.clone(),
                rows: inserted,
            }),
            Err((code, message)) => outcome.failed.push(UnseededTable {
                table: table.name.clone(),
                code,
                message,
            }),
        }
    }
    outcome.duration = started.elapsed();
    Ok(outcome)
}

fn has_rows(client: &mut Client, table: &LiveTable) -> Result<bool, postgres::Error> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", table.from);
    Ok(client.query_one(&sql, &[])?.get(0))
}

/// The pending table to fill next: the first whose parents are all filled; in a cycle, the
/// first whose foreign keys to pending tables are all nullable (they become NULL); else the
/// first, whose rows PostgreSQL will then refuse with a message that says why.
fn next_table(pending: &[&LiveTable]) -> Option<usize> {
    if pending.is_empty() {
        return None;
    }
    fn waits_for<'t>(t: &'t LiveTable, pending: &[&LiveTable]) -> Vec<&'t live::ForeignKey> {
        t.foreign_keys
            .iter()
            .filter(|fk| fk.parent != t.oid && pending.iter().any(|p| p.oid == fk.parent))
            .collect()
    }
    pending
        .iter()
        .position(|t| waits_for(t, pending).is_empty())
        .or_else(|| {
            pending.iter().position(|t| {
                waits_for(t, pending)
                    .iter()
                    .all(|fk| fk.columns.iter().all(|&a| nullable(t, a)))
            })
        })
        .or(Some(0))
}

fn nullable(table: &LiveTable, attnum: i16) -> bool {
    table
        .columns
        .iter()
        .any(|c| c.attnum == attnum && !c.not_null)
}

type Refused = (Option<String>, String);

/// Fills one table as `plan` says: `Ok(Ok(rows))`, or `Ok(Err(why))` when the server refuses.
fn fill_table(
    client: &mut Client,
    table: &LiveTable,
    plan: &RowPlan,
    rows: u64,
) -> Result<Result<u64, Refused>, postgres::Error> {
    match client.execute(&plan.insert(table, rows, false), &[]) {
        Ok(inserted) => return Ok(Ok(inserted)),
        Err(e) if is_check_violation(&e) && !table.checked.is_empty() => {}
        Err(e) => return refused(e),
    }
    match client.execute(&plan.insert(table, rows, true), &[]) {
        Ok(inserted) => Ok(Ok(inserted)),
        Err(e) => refused(e),
    }
}

fn is_check_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&postgres::error::SqlState::CHECK_VIOLATION)
}

/// A refusal by the server is a result; a lost connection is an error.
fn refused(e: postgres::Error) -> Result<Result<u64, Refused>, postgres::Error> {
    let Some(db) = e.as_db_error() else {
        return Err(e);
    };
    let message = match db.detail() {
        Some(detail) => format!("{}: {detail}", db.message()),
        None => db.message().to_string(),
    };
    Ok(Err((Some(db.code().code().to_string()), message)))
}

/// How each column of one table gets its value.
struct RowPlan {
    /// Per column (by attnum): the expression, or `None` to leave it to its default.
    values: BTreeMap<i16, Option<String>>,
    /// `LEFT JOIN (…) AS fkN ON …` clauses that pick parent rows.
    joins: Vec<String>,
}

/// The row key of a column's value: distinct per row for unique columns, every value twice
/// for the others.
const DISTINCT_KEY: &str = "g.i";
const REPEATED_KEY: &str = "((g.i + 1) / 2)";
/// Nullable columns hold NULL in every third row: real data has NULLs, and a `SET NOT NULL`
/// must meet them.
const NULL_ROW: &str = "g.i % 3 = 0";

impl RowPlan {
    fn new(
        client: &mut Client,
        table: &LiveTable,
        by_oid: &BTreeMap<u32, &LiveTable>,
        waiting: &BTreeSet<u32>,
        rows: u64,
    ) -> Result<Result<RowPlan, String>, postgres::Error> {
        let mut values: BTreeMap<i16, Option<String>> = BTreeMap::new();
        let mut joins = Vec::new();
        // Overlapping foreign keys: the widest decides. A composite key such as (run_id,
        // project_id) → runs usually implies the narrow project_id → projects, since the run
        // it picks has a valid project itself; the other way round it would not hold.
        let mut foreign_keys: Vec<&live::ForeignKey> = table.foreign_keys.iter().collect();
        foreign_keys.sort_by_key(|fk| std::cmp::Reverse(fk.columns.len()));
        for (n, fk) in foreign_keys.into_iter().enumerate() {
            if fk.columns.iter().any(|a| values.contains_key(a)) {
                continue;
            }
            let all_nullable = fk.columns.iter().all(|&a| nullable(table, a));
            let parent = by_oid
                .get(&fk.parent)
                .filter(|p| p.oid != table.oid && !waiting.contains(&p.oid));
            let keys = match parent {
                Some(p) => parent_keys(client, p, &fk.parent_columns)?,
                None => None,
            };
            let Some((source, count)) = keys else {
                if all_nullable {
                    values.extend(fk.columns.iter().map(|&a| (a, Some("NULL".to_string()))));
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
                let value = format!("{alias}.{}", Ident(parent_column));
                values.insert(attnum, Some(maybe_null(table, attnum, value)));
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
            match column_value(table, column, rows) {
                Some(value) => values.insert(column.attnum, Some(value)),
                None if !column.not_null || column.has_default => {
                    values.insert(column.attnum, None)
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
        Ok(Ok(RowPlan { values, joins }))
    }

    /// The `INSERT`; with `relax_checks` (the second attempt after a CHECK violation),
    /// columns that CHECK constraints name get NULL or their default instead.
    fn insert(&self, table: &LiveTable, rows: u64, relax_checks: bool) -> String {
        let mut columns = Vec::new();
        let mut exprs = Vec::new();
        for column in &table.columns {
            let Some(Some(value)) = self.values.get(&column.attnum) else {
                continue;
            };
            let value = if relax_checks && table.checked.contains(&column.attnum) {
                match (column.not_null, column.has_default) {
                    (false, _) => "NULL".to_string(),
                    (true, true) => continue,
                    (true, false) => value.clone(),
                }
            } else {
                value.clone()
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
            "INSERT INTO {}{columns} SELECT {} FROM generate_series(1, {rows}) AS g(i) {}",
            qualified(&table.name),
            exprs.join(", "),
            self.joins.join(" ")
        )
    }
}

/// A column's value: its type's expression (in an array for array columns), cast to the
/// column's type; NULL in every third row when nullable.
fn column_value(table: &LiveTable, column: &LiveColumn, rows: u64) -> Option<String> {
    let key = if table.unique.contains(&column.attnum) {
        DISTINCT_KEY
    } else {
        REPEATED_KEY
    };
    let value = values::expression(&column.base, &column.name, key, rows)?;
    let value = if column.is_array {
        format!("ARRAY[{value}]")
    } else {
        value
    };
    let cast = format!("({value})::{}", column.type_sql);
    Some(maybe_null(table, column.attnum, cast))
}

fn maybe_null(table: &LiveTable, attnum: i16, value: String) -> String {
    if nullable(table, attnum) {
        format!("CASE WHEN {NULL_ROW} THEN NULL ELSE {value} END")
    } else {
        value
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
