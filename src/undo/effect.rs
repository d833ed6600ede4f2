//! What an undo statement does to the schema, in the few cases a pass over a whole undo
//! needs to know it without reading the SQL back: which statements another statement of the
//! same undo makes redundant (see [`super::covered`]), and which concurrent index builds may
//! run ahead of the drop they prepare for (see [`super::file`]). A statement without an
//! effect is one such a pass knows nothing about, and stops at.

use super::backfill::Holds;
use crate::sql::{pb, QName};

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `DROP TABLE`
    DropsTable(QName),
    /// `ALTER TABLE … DROP COLUMN`
    DropsColumn { table: QName, column: String },
    /// `ALTER TABLE … ADD COLUMN` of a column the forward dropped, its values not brought back:
    /// every existing row holds `holds` (see `super::backfill`).
    AddsColumnWithout {
        table: QName,
        column: String,
        holds: Holds,
    },
    /// `DROP INDEX` of index `name` on `table`, created by the forward as `definition`;
    /// `columns` are those of `table` it mentions (a `DROP COLUMN` of any one of them drops
    /// the index too).
    DropsIndex {
        table: QName,
        name: String,
        columns: Vec<String>,
        definition: Box<pb::IndexStmt>,
    },
    /// `CREATE INDEX` of index `name` on `table` as `definition`, recreating one the forward
    /// dropped (see `super::rebuilt`).
    CreatesIndex {
        table: QName,
        name: String,
        definition: Box<pb::IndexStmt>,
    },
    /// `ALTER TABLE … ADD CONSTRAINT` of constraint `name` of `table` as `definition` (and
    /// nothing else with it), adding back one the forward dropped (see `super::rebuilt`).
    AddsConstraint {
        table: QName,
        name: String,
        definition: Box<pb::Constraint>,
    },
    /// `ALTER TABLE … DROP CONSTRAINT`; `references` is the table a foreign key points at,
    /// `columns` those of `table` it covers or mentions (a `DROP COLUMN` of any one of them
    /// drops the constraint too).
    DropsConstraint {
        table: QName,
        name: String,
        references: Option<QName>,
        columns: Vec<String>,
        /// The definition the forward added it with, when the forward added it.
        definition: Option<Box<pb::Constraint>>,
    },
    /// `ALTER COLUMN … DROP NOT NULL`
    DropsNotNull { table: QName, column: String },
    /// `ALTER COLUMN … DROP DEFAULT`
    DropsDefault { table: QName, column: String },
    /// A check that stops the undo while a table has rows, until a person writes the backfill
    /// a step needs and deletes it (see `super::backfill`).
    StopsUntilBackfilled,
    /// `CREATE UNIQUE INDEX CONCURRENTLY` whose name is free while constraint `constraint` of
    /// `table` still stands, so it may run (and should, to keep the drop and the re-add of a
    /// key in one short transaction) before the statement of the same undo that drops it.
    BuildsAheadOf { table: QName, constraint: String },
}

impl Effect {
    /// Whether this is the drop of an object on `table` that leaves the rest of the schema
    /// alone: nothing can depend on its absence but a later statement of the same table.
    pub fn drops_part_of_a_table(&self) -> Option<&QName> {
        match self {
            Effect::DropsIndex { table, .. }
            | Effect::DropsConstraint { table, .. }
            | Effect::DropsNotNull { table, .. }
            | Effect::DropsDefault { table, .. } => Some(table),
            _ => None,
        }
    }

    /// Whether a `DROP COLUMN` of `column` of the same table drops what this drops (an
    /// index or constraint on any of its columns, a column's NOT NULL or default), and
    /// takes no lock for it beyond the one on the table.
    pub fn goes_with_column(&self, column: &str) -> bool {
        match self {
            Effect::DropsNotNull { column: c, .. } | Effect::DropsDefault { column: c, .. } => {
                c == column
            }
            // Not a foreign key: dropping it locks the referenced table too (its triggers
            // live there), and a DROP COLUMN that takes one along would then lock a table
            // `explain` does not expect it to; the key's own drop says so.
            Effect::DropsConstraint {
                references: Some(_),
                ..
            } => false,
            Effect::DropsIndex { columns, .. } | Effect::DropsConstraint { columns, .. } => {
                columns.iter().any(|c| c == column)
            }
            _ => false,
        }
    }
}
