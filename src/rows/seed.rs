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
//! - a foreign key whose columns are unique (a one-to-one relation) gets a different parent
//!   per row, and the table as many rows as the parent has;
//! - CHECK constraints of the common shapes are satisfied by construction (the `shapes`
//!   module): exactly one or at least one of several columns set, `IN` lists, comparisons
//!   with constants, length limits; a unique key that admits fewer values than `rows` (a
//!   settings table with `CHECK (id = 1)`, a unique index on a constant) limits the rows;
//! - keys that later migrations declare (`Hints`) are followed where they fit: a later
//!   foreign key gets values from its parent's rows, a later unique key distinct values;
//! - a row that fails a CHECK constraint of another shape is tried once more with NULL (or
//!   the default) in the columns those constraints name.
//!
//! A table that still cannot be filled is reported with the constraint or shape that defeated
//! the seeder and PostgreSQL's error, never skipped in silence, and the drill goes on without
//! rows in it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::Client;
use serde::Serialize;

use super::hints::Hints;
use super::live::{self, LiveCheck, LiveTable};
use super::plan::{nullable, RowPlan};
use crate::sql::quote::Ident;
use crate::sql::QName;

/// A table that received rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeededTable {
    #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
    pub table: QName,
    /// The table's oid: a name may stand for another table later (see [`Tried`]).
    #[serde(skip)]
    pub oid: u32,
    pub rows: u64,
}

/// A table that could not be filled, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnseededTable {
    #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
    pub table: QName,
    #[serde(skip)]
    pub oid: u32,
    /// SQLSTATE, when PostgreSQL refused the rows.
    pub code: Option<String>,
    /// The constraint or shape that defeated the seeder, then PostgreSQL's error if any.
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

/// The tables earlier rounds of seeding tried to fill, successfully or not. Kept by oid, not
/// by name: a table created under a name that an earlier table was renamed away from is
/// another table, and is seeded in its turn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tried(BTreeSet<u32>);

impl Tried {
    /// Adds every table `outcome` filled or failed to fill.
    pub fn record(&mut self, outcome: &SeedOutcome) {
        let seeded = outcome.seeded.iter().map(|s| s.oid);
        self.0
            .extend(seeded.chain(outcome.failed.iter().map(|f| f.oid)));
    }

    pub fn contains(&self, oid: u32) -> bool {
        self.0.contains(&oid)
    }

    /// Has the next round fill `oid` again (its rows were taken away).
    pub fn forget(&mut self, oid: u32) {
        self.0.remove(&oid);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// Which tables a round of seeding fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill<'a> {
    /// Every user table (before the first migration in scope).
    All,
    /// Only tables without rows (before later migrations: the tables earlier ones created),
    /// except those an earlier round already tried: a table that could not be filled is
    /// reported once, not before every migration.
    Empty { tried: &'a Tried },
    /// Only these tables, which the caller knows to be empty (from a fingerprint) and not
    /// tried yet.
    These(&'a BTreeSet<QName>),
}

/// Fills user tables with `rows` synthetic rows each (fewer where a unique key admits fewer),
/// parents before children, following `hints` where they fit. `Err` only when the connection
/// fails; a table that could not be filled is in [`SeedOutcome::failed`], with the reason.
pub fn seed(
    client: &mut Client,
    rows: u64,
    fill: Fill<'_>,
    hints: &Hints,
) -> Result<SeedOutcome, postgres::Error> {
    let started = Instant::now();
    if matches!(fill, Fill::These(tables) if tables.is_empty()) {
        return Ok(SeedOutcome::default());
    }
    let mut tables = live::user_tables(client)?;
    hints.apply(&mut tables);
    let mut pending: Vec<&LiveTable> = Vec::new();
    for table in &tables {
        let wanted = match fill {
            Fill::All => true,
            Fill::Empty { tried } => !tried.contains(table.oid) && !has_rows(client, table)?,
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
            Ok(plan) => fill_table(client, table, &plan)?,
            Err(why) => Err((None, why)),
        };
        match filled {
            Ok(inserted) => outcome.seeded.push(SeededTable {
                table: table.name.clone(),
                oid: table.oid,
                rows: inserted,
            }),
            Err((code, message)) => outcome.failed.push(UnseededTable {
                table: table.name.clone(),
                oid: table.oid,
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

/// The pending table to fill next: the first whose parents are all filled (the parents of
/// hinted keys too, when that is possible); in a cycle, the first whose foreign keys to
/// pending tables are all nullable (they become NULL); else the first, whose rows PostgreSQL
/// will then refuse with a message that says why.
fn next_table(pending: &[&LiveTable]) -> Option<usize> {
    if pending.is_empty() {
        return None;
    }
    fn waits_for<'t>(
        t: &'t LiveTable,
        pending: &[&LiveTable],
        hinted: bool,
    ) -> Vec<&'t live::ForeignKey> {
        t.foreign_keys
            .iter()
            .filter(|fk| hinted || !fk.hinted)
            .filter(|fk| fk.parent != t.oid && pending.iter().any(|p| p.oid == fk.parent))
            .collect()
    }
    pending
        .iter()
        .position(|t| waits_for(t, pending, true).is_empty())
        .or_else(|| {
            pending
                .iter()
                .position(|t| waits_for(t, pending, false).is_empty())
        })
        .or_else(|| {
            pending.iter().position(|t| {
                waits_for(t, pending, false)
                    .iter()
                    .all(|fk| fk.columns.iter().all(|&a| nullable(t, a)))
            })
        })
        .or(Some(0))
}

type Refused = (Option<String>, String);

/// Fills one table as `plan` says: `Ok(Ok(rows))`, or `Ok(Err(why))` when the server refuses.
fn fill_table(
    client: &mut Client,
    table: &LiveTable,
    plan: &RowPlan,
) -> Result<Result<u64, Refused>, postgres::Error> {
    match client.execute(&plan.insert(table, false), &[]) {
        Ok(inserted) => return Ok(Ok(inserted)),
        Err(e) if is_check_violation(&e) && !plan.relaxed.is_empty() => {}
        Err(e) => return refused(e, table, plan),
    }
    match client.execute(&plan.insert(table, true), &[]) {
        Ok(inserted) => Ok(Ok(inserted)),
        Err(e) => refused(e, table, plan),
    }
}

fn is_check_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::CHECK_VIOLATION)
}

/// A refusal by the server is a result, told with the constraint that refused the rows; a
/// lost connection is an error.
fn refused(
    e: postgres::Error,
    table: &LiveTable,
    plan: &RowPlan,
) -> Result<Result<u64, Refused>, postgres::Error> {
    let Some(db) = e.as_db_error() else {
        return Err(e);
    };
    let error = match db.detail() {
        Some(detail) => format!("{}: {detail}", db.message()),
        None => db.message().to_string(),
    };
    let culprit = match db.constraint() {
        Some(name) => culprit(table, plan, db.code(), name),
        // PostgreSQL names no constraint when no partition takes a row.
        None if db.code() == &SqlState::CHECK_VIOLATION && error.starts_with("no partition") => {
            Some(
                "no partition takes the seeder's values for the partition key (the seeder \
                 reads partition bounds only for a key of one column partitioned by RANGE or \
                 LIST)"
                    .to_string(),
            )
        }
        None => None,
    };
    let message = match culprit {
        Some(culprit) => format!("{culprit}; {error}"),
        None => error,
    };
    Ok(Err((Some(db.code().code().to_string()), message)))
}

/// What the seeder could not satisfy, named after the constraint PostgreSQL reports.
fn culprit(table: &LiveTable, plan: &RowPlan, code: &SqlState, name: &str) -> Option<String> {
    let check = |c: &&LiveCheck| c.name == name;
    if *code == SqlState::CHECK_VIOLATION {
        let c = table.checks.iter().find(check)?;
        return Some(if plan.unsolved.contains(&c.name) {
            format!(
                "CHECK constraint {} `{}` has a shape the seeder does not solve (it solves \
                 exactly-one-of, at-least-one-of, IN lists, comparisons with constants, \
                 length limits, IS NULL, and alternatives of these joined by OR), and NULL or \
                 the default in its columns does not satisfy it",
                Ident(&c.name),
                c.definition
            )
        } else {
            format!(
                "the values the seeder chose for CHECK constraint {} `{}` do not satisfy it \
                 (together with the table's other constraints)",
                Ident(&c.name),
                c.definition
            )
        });
    }
    if *code == SqlState::UNIQUE_VIOLATION {
        return Some(format!(
            "unique index {} needs distinct values the seeder does not give (a unique \
             expression, or a key over columns whose values repeat)",
            Ident(name)
        ));
    }
    if *code == SqlState::FOREIGN_KEY_VIOLATION {
        return Some(format!(
            "foreign key {} is not matched by the parent rows the seeder picked",
            Ident(name)
        ));
    }
    None
}
