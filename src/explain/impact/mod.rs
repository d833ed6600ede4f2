//! What a statement does to a live system, as PostgreSQL documents it: the heavyweight locks
//! it takes and on what, whether it rewrites or scans a table, and whether it may run in a
//! transaction block. One table of facts, kept in step with
//! `../shared/notes/postgres-ddl-facts.md`, whose rows were verified on PostgreSQL 15.18.
//! Checked on PostgreSQL 15 while writing this (pg_locks of the session, relfilenode):
//! `ADD FOREIGN KEY` takes SHARE ROW EXCLUSIVE on both tables (not ACCESS EXCLUSIVE on the
//! referencing one), `CREATE TABLE … REFERENCES` SHARE ROW EXCLUSIVE on the referenced table,
//! `DROP TABLE` ACCESS EXCLUSIVE on tables its foreign keys reference, `PARTITION OF` ACCESS
//! EXCLUSIVE on the parent, `COMMENT ON TABLE` SHARE UPDATE EXCLUSIVE (on an index, view,
//! sequence or type: on it; on a trigger or constraint: ACCESS SHARE on its table), `DROP
//! TRIGGER` ACCESS EXCLUSIVE on its table, `DROP FUNCTION` and `CREATE OR REPLACE FUNCTION` no
//! table lock, and the widening type changes in `explain::rewrite` keep the relfilenode. Nothing here is measured at run time;
//! the drill's lock trace is what measures.
//!
//! This file holds the types of an impact; `statements` finds it for each kind of
//! statement, `alter_table` for each `ALTER TABLE` command, and `reads` adds the locks of
//! the tables a statement only reads.

mod alter_table;
mod reads;
mod statements;

use serde::Serialize;

use super::rewrite::Rewrite;
use super::Context;
use crate::sql::QName;

pub use crate::locks::LockMode;
pub use statements::of;

/// A relation (or type) a statement acts on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Relation {
    #[serde(flatten, serialize_with = "crate::sql::names::json::name")]
    pub name: QName,
    /// `table`, `index`, `view`, `sequence` or `type`.
    pub kind: &'static str,
    /// Created by the same migration: empty and unused, so a lock or rewrite costs nothing.
    pub new: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lock {
    pub mode: LockMode,
    pub on: Relation,
}

/// A table rewritten or scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub on: Relation,
    pub why: String,
}

/// The documented cost of one statement.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Impact {
    /// The strongest lock on each relation, strongest first.
    pub locks: Vec<Lock>,
    /// Tables copied into new storage (with all their indexes), and why.
    pub rewrites: Vec<Cost>,
    /// Tables read in full without being rewritten, and why.
    pub scans: Vec<Cost>,
    /// Why the statement cannot run inside a transaction block, if it cannot.
    pub outside_transaction: Option<String>,
    /// Further facts: what the statement may fail on, what it waits for.
    pub notes: Vec<String>,
    /// What each `ALTER TABLE` command does to a column, in command order: the facts the
    /// per-table lists above merge, kept for rules that report per column (not reported).
    #[serde(skip)]
    pub columns: Vec<ColumnChange>,
}

/// One `ALTER TABLE` command's effect on one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChange {
    pub column: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `ADD COLUMN`: whether filling the existing rows rewrites the table.
    Added(Rewrite),
    /// `ALTER COLUMN … TYPE`: whether the conversion rewrites the table.
    TypeChanged(Rewrite),
    /// `SET NOT NULL`: whether it scans the table (no valid `CHECK (… IS NOT NULL)` exists).
    SetNotNull { scans: bool },
}

impl Impact {
    fn lock(&mut self, mode: LockMode, on: Relation) {
        match self.locks.iter_mut().find(|l| l.on == on) {
            Some(l) => l.mode = l.mode.max(mode),
            None => self.locks.push(Lock { mode, on }),
        }
    }

    fn rewrite(&mut self, on: Relation, why: impl Into<String>) {
        if !self.rewrites.iter().any(|c| c.on == on) {
            self.rewrites.push(Cost {
                on,
                why: why.into(),
            });
        }
    }

    fn scan(&mut self, on: Relation, why: impl Into<String>) {
        if !self.scans.iter().any(|c| c.on == on) {
            self.scans.push(Cost {
                on,
                why: why.into(),
            });
        }
    }

    /// What the command on `column` does to it, if the statement has such a command.
    pub fn column(&self, column: &str, kind: fn(&Change) -> bool) -> Option<&Change> {
        self.columns
            .iter()
            .find(|c| c.column == column && kind(&c.change))
            .map(|c| &c.change)
    }

    fn change(&mut self, column: &str, change: Change) {
        self.columns.push(ColumnChange {
            column: column.to_string(),
            change,
        });
    }

    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    fn finish(mut self) -> Self {
        self.locks.sort_by_key(|l| std::cmp::Reverse(l.mode));
        // A rewritten table is not also reported as scanned.
        let rewritten: Vec<Relation> = self.rewrites.iter().map(|c| c.on.clone()).collect();
        self.scans.retain(|c| !rewritten.contains(&c.on));
        self
    }
}

fn relation(ctx: &Context<'_>, name: &QName, kind: &'static str) -> Relation {
    Relation {
        name: name.clone(),
        kind,
        new: !ctx.existing(name),
    }
}

fn table(ctx: &Context<'_>, name: &QName) -> Relation {
    relation(ctx, name, "table")
}
