//! What an undo rule returns: the [`Undo`] of one forward statement, with its [`Verdict`],
//! the statements that reverse it ([`UndoSql`], built as parse trees and deparsed by
//! [`render`]) and the data it announces it loses ([`DataLoss`]).

use serde::Serialize;

use super::{backfill, enums, guard, kept, Effect};
use crate::sql::{self, NodeEnum, QName};

/// How faithfully an undo restores what the forward statement changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Restores the previous schema exactly.
    Exact,
    /// Restores the schema, but data is lost or may not convert; the reason says what.
    Lossy,
    /// No safe automatic undo: a person must write it.
    Manual,
}

impl Verdict {
    /// The verdict of several undos applied together: the least exact of them, and exact
    /// when there are none.
    pub fn least_exact(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Exact)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Exact => "exact",
            Verdict::Lossy => "lossy",
            Verdict::Manual => "manual",
        })
    }
}

/// Ends the reason of an undo that re-adds a column at the end of its table (and sets
/// [`Undo::reorders_columns`]).
pub const COLUMN_ORDER_NOTE: &str =
    "it returns at the end of the table, so the column order differs";

/// One generated SQL statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UndoSql {
    /// The statement's text; empty while a built tree still waits to be deparsed.
    pub sql: String,
    /// Must run outside a transaction block (`CONCURRENTLY`), so in a migration of its own.
    pub concurrent: bool,
    /// Where it runs among the undo's transactions (`VALIDATE CONSTRAINT` after its add).
    #[serde(skip)]
    pub placement: Placement,
    /// A built statement not yet deparsed: rules only build trees, and [`render`] turns them
    /// into text (generation does so as soon as a statement's undo is derived).
    /// Boxed: an undo keeps its slot after rendering, and a bare tree node is 600 bytes.
    #[serde(skip)]
    pub(super) pending: Option<Box<NodeEnum>>,
    /// What it does, where a pass over the whole undo needs to know (see [`Effect`]).
    #[serde(skip)]
    pub effect: Option<Box<Effect>>,
    /// The tree `sql` was deparsed from, when [`render_keeping`] kept it.
    #[serde(skip)]
    pub(crate) kept: kept::Kept,
}

impl UndoSql {
    /// A statement written directly as text (see [`crate::sql::text`]).
    pub fn text(sql: String, concurrent: bool) -> Self {
        UndoSql {
            sql,
            concurrent,
            placement: Placement::InOrder,
            pending: None,
            effect: None,
            kept: kept::Kept::default(),
        }
    }

    /// The statement with its [`Placement`].
    pub fn placed(self, placement: Placement) -> Self {
        UndoSql { placement, ..self }
    }

    /// A built statement, deparsed by [`render`]; `concurrent` ones get a migration of their own.
    pub fn new(node: NodeEnum, concurrent: bool) -> Self {
        UndoSql {
            sql: String::new(),
            concurrent,
            placement: Placement::InOrder,
            pending: Some(Box::new(node)),
            effect: None,
            kept: kept::Kept::default(),
        }
    }

    /// The statement with its [`Effect`].
    pub fn with_effect(self, effect: Effect) -> Self {
        UndoSql {
            effect: Some(Box::new(effect)),
            ..self
        }
    }
}

/// Where an undo statement runs among the undo's transactions. A foreign key or CHECK added
/// back to a table in use is added `NOT VALID` (a brief lock, no scan) and validated by a
/// later statement, which must run in a later transaction: in the add's own it would hold the
/// add's lock through the validating scan. So validations wait, and go into a migration of
/// their own (batch mode runs a file as one transaction) just before the next statement that
/// is not itself a `NOT VALID` add, or at the end of the undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// In order, in the current transaction.
    #[default]
    InOrder,
    /// Adds a constraint `NOT VALID`: it reads no rows, so it may run while validations wait.
    NotValidAdd,
    /// Validates (or depends on a validation): runs in a later transaction than the
    /// statements before it, in order with the other statements that wait.
    Later,
    /// A preflight check (`guard` module): runs at the top of the undo, before any change.
    Guard,
    /// A preflight check that runs right before its statement (it cannot run at the top): it
    /// only reads rows, so like a `NOT VALID` add it may run while validations wait.
    GuardHere,
}

/// Deparses the undo's built statements. A statement the deparser rejects (a bug in
/// unmigrate, never a user's input) is never shipped: the undo becomes manual instead.
pub fn render(undo: &mut Undo) {
    render_keeping(undo, false);
}

/// [`render`], keeping each tree beside its text when `keep` (see `undo::kept`).
pub fn render_keeping(undo: &mut Undo, keep: bool) {
    for statement in &mut undo.statements {
        let Some(node) = statement.pending.take() else {
            continue;
        };
        match sql::deparse_keeping(*node) {
            (Ok(text), tree) => {
                if keep {
                    statement.kept = kept::Kept::new(tree, &text);
                }
                statement.sql = text;
            }
            (Err(error), _) => {
                *undo = Undo::manual(format!(
                    "unmigrate could not write this undo ({error}); please report it, and write the undo by hand"
                ));
                return;
            }
        }
    }
}

/// Data an undo announces it loses, in a form a drill can check against what it observes
/// (the `reason` says the same for people). Seeded drills compare row counts and column
/// checksums before the forward migration and after its undo: every difference must be one
/// of these, or the undo lost data it did not announce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataLoss {
    /// The whole table: it comes back empty, or rows written to it are dropped with it.
    Table {
        #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
        table: QName,
    },
    /// Some of the table's rows: deleted, or not brought back.
    Rows {
        #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
        table: QName,
    },
    /// The values of one column: it comes back empty, or keeps values the forward wrote.
    Column {
        #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
        table: QName,
        column: String,
    },
}

impl DataLoss {
    pub fn table(&self) -> &QName {
        match self {
            DataLoss::Table { table }
            | DataLoss::Rows { table }
            | DataLoss::Column { table, .. } => table,
        }
    }

    /// Whether the loss covers a difference in `column` of `table` (`None`: in its rows or row
    /// count).
    pub fn covers(&self, table: &QName, column: Option<&str>) -> bool {
        match self {
            DataLoss::Table { table: t } | DataLoss::Rows { table: t } => t == table,
            DataLoss::Column {
                table: t,
                column: c,
            } => t == table && Some(c.as_str()) == column,
        }
    }
}

impl std::fmt::Display for DataLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataLoss::Table { table } => write!(f, "all rows of {table}"),
            DataLoss::Rows { table } => write!(f, "rows of {table}"),
            DataLoss::Column { table, column } => {
                write!(f, "{}", sql::quote::Column(table, column))
            }
        }
    }
}

/// The undo of one forward statement.
#[derive(Debug, Clone, Serialize)]
pub struct Undo {
    pub verdict: Verdict,
    pub reason: String,
    /// Statements to run, in order; empty when nothing needs undoing or when manual.
    pub statements: Vec<UndoSql>,
    /// The data a `lossy` undo loses, as the reason says it (empty for other verdicts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loses: Vec<DataLoss>,
    /// The undo re-adds a column at the end of its table, so the column order differs from
    /// before, and the reason says so ([`COLUMN_ORDER_NOTE`]). Drills accept a difference in
    /// column order only then.
    #[serde(skip)]
    pub reorders_columns: bool,
    /// Conditions that make the undo fail, checked before it changes anything: placed among
    /// `statements` once the migration is folded (see `guard::place`).
    #[serde(skip)]
    pub guards: Vec<guard::Guard>,
    /// What the statement did to an enum type, for the pass that recreates each type once
    /// per undo ([`enums::once_per_type`]).
    #[serde(skip)]
    pub(crate) enum_fact: Option<Box<enums::EnumFact>>,
    /// The forward statement opens or closes an explicit transaction block, which the undo
    /// file carries over (see `session::transaction`).
    #[serde(skip)]
    pub transaction: Option<TransactionControl>,
    /// Columns a person must fill before a step of this undo can run on a populated table
    /// (see `backfill`). Boxed: nearly every undo has none, and every undo is held until its
    /// file is written.
    #[serde(skip)]
    pub(crate) backfills: Option<Box<backfill::Needed>>,
}

/// A forward `BEGIN` (or `START TRANSACTION`) or `COMMIT`: the undo of the statements between
/// them runs in a transaction block too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionControl {
    Begin,
    Commit,
}

impl Undo {
    /// An undo of `verdict` with these statements and nothing else yet (the builders below
    /// add losses, guards, …).
    fn with(verdict: Verdict, reason: impl Into<String>, statements: Vec<UndoSql>) -> Self {
        Undo {
            verdict,
            reason: reason.into(),
            statements,
            loses: Vec::new(),
            reorders_columns: false,
            guards: Vec::new(),
            enum_fact: None,
            transaction: None,
            backfills: None,
        }
    }

    pub fn exact(reason: impl Into<String>, statements: Vec<UndoSql>) -> Self {
        Undo::with(Verdict::Exact, reason, statements)
    }

    pub fn lossy(reason: impl Into<String>, statements: Vec<UndoSql>) -> Self {
        Undo::with(Verdict::Lossy, reason, statements)
    }

    /// The data this undo loses (see [`DataLoss`]), for the drill to check.
    pub fn losing(mut self, loses: impl IntoIterator<Item = DataLoss>) -> Self {
        // Sized exactly: `extend` would reserve room for four losses, and a large migration
        // keeps one list per statement until its undo is written.
        let loses = loses.into_iter();
        self.loses.reserve_exact(loses.size_hint().0);
        self.loses.extend(loses);
        self
    }

    /// The undo, checking first that no row meets the condition that would make it fail.
    pub fn guarded(mut self, guards: impl IntoIterator<Item = guard::Guard>) -> Self {
        self.guards.extend(guards);
        self
    }

    pub fn manual(reason: impl Into<String>) -> Self {
        Undo::with(Verdict::Manual, reason, Vec::new())
    }

    /// Nothing to undo (the statement changed no schema state, or was a no-op).
    pub fn nothing(reason: impl Into<String>) -> Self {
        Undo::exact(reason, Vec::new())
    }

    /// The undo of `DROP <kind> [IF EXISTS] name` of an object no earlier migration creates,
    /// of a kind the model tracks: nothing to undo when `IF EXISTS` found nothing (the history
    /// is the schema's source of truth; the note says what an object made outside it would
    /// lose), else manual, its definition unknown.
    pub fn of_unknown_drop(kind: &str, name: &dyn std::fmt::Display, missing_ok: bool) -> Self {
        if missing_ok {
            let statement = kind.to_uppercase();
            return Undo::nothing(format!(
                "no earlier migration creates {kind} {name}, so DROP {statement} IF EXISTS dropped nothing (if it was created outside the migrations, its definition is lost: recreate it by hand)"
            ));
        }
        Undo::manual(format!(
            "{kind} {name} is not created by any earlier migration, so its definition is unknown"
        ))
    }

    /// Joins the undos of the parts of one statement (ALTER TABLE commands, DROP objects),
    /// given in forward order: the statements run in reverse, the verdict is the worst.
    pub(super) fn combine(parts: Vec<Undo>) -> Undo {
        if parts.len() == 1 {
            return parts.into_iter().next().expect("one part");
        }
        let verdict = Verdict::least_exact(parts.iter().map(|p| p.verdict));
        let reason = parts
            .iter()
            .filter(|p| p.verdict == verdict)
            .map(|p| p.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let loses = parts.iter().flat_map(|p| p.loses.iter().cloned()).collect();
        // The parts' steps run last part first: a part's guards go before its own steps.
        let mut after = parts.iter().map(|p| p.statements.len()).sum::<usize>();
        let mut guards = Vec::new();
        for p in &parts {
            after -= p.statements.len();
            guards.extend(p.guards.iter().cloned().map(|mut g| {
                g.at += after;
                g
            }));
        }
        let backfills = backfill::Needed::joined(parts.iter().map(|p| p.backfills()));
        // Said in the reason only when the part's verdict is the worst: the flag follows it.
        let reorders_columns = parts
            .iter()
            .any(|p| p.verdict == verdict && p.reorders_columns);
        // A statement of several parts is left to its parts' own undos.
        let statements = parts.into_iter().rev().flat_map(|p| p.statements).collect();
        Undo {
            verdict,
            reason,
            statements,
            loses,
            reorders_columns,
            guards,
            enum_fact: None,
            transaction: None,
            backfills,
        }
    }
}

/// A built statement for a transactional migration (deparsed later by [`render`]).
pub(crate) fn stmt(node: NodeEnum) -> UndoSql {
    UndoSql::new(node, false)
}
