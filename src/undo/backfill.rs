//! Undos that need a backfill. An undo that re-adds a dropped column cannot bring its values
//! back: the column returns empty (NULL in every row) or, when NOT NULL, with one placeholder
//! in every row. A step of the same undo that then needs values there (making the column NOT
//! NULL again, rebuilding a unique index or key over it alone, adding back a one-column foreign
//! key from it) is certain to fail as soon as the table has a row (two, for uniqueness): the
//! undo passes a drill on an empty database and never deploys on a real one. Such an undo is
//! **manual**, not lossy: only a person knows what the column should hold again.
//!
//! Its SQL is kept whole (a drill on an empty database still runs it), with three additions:
//! a check at the top of the undo that stops it, before any change, while the table has rows;
//! a note on the step that needs the values, with an `UPDATE` to complete; and the step's own
//! preflight check, which then tells whether the backfill filled every row.
//!
//! Found in two places: the undo of a `DROP COLUMN` whose own rebuilt index or foreign key
//! cannot take the placeholder (`columns::drop_column`), and [`mark`], across the statements
//! of one migration's undo (its forward made the column nullable, or dropped the key, in one
//! statement and dropped the column in another). A forward `UPDATE … SET col = NULL` without
//! `WHERE` empties a column just as surely: its undo cannot bring the values back, so a later
//! step that makes the column NOT NULL again needs a backfill too. So does a forward `UPDATE …
//! SET col = 'v'` without `WHERE` when a later step of the undo converts `col` back to a type
//! without `'v'`, as a recreated enum without the value the forward added: every row fails the
//! conversion, and only a person knows what they held before. (With a `WHERE`, rows it did not
//! choose keep their values: the undo fails only with data, lossy, its check naming the rows.)

use std::path::Path;

use super::effect::Effect;
use super::guard::{Guard, Offends};
use super::{StatementUndo, Undo, Verdict};
use crate::sql::quote::{Column, Ident, Literal, Qualified};
use crate::sql::{self, pb, NodeEnum, QName};

/// What every existing row holds in a column the undo re-adds without its values.
#[derive(Debug, Clone, PartialEq)]
pub enum Holds {
    /// NULL: the column is nullable and has no default.
    Null,
    /// The placeholder a NOT NULL column is added with (as SQL: `''`, `0`, `'epoch'`).
    Placeholder(String),
    /// This string (`PAUSED`), which a forward `UPDATE` wrote into every row.
    Written(String),
}

impl Holds {
    /// The condition that finds the rows still holding it, for the drafted `UPDATE`.
    fn condition(&self, column: &str) -> String {
        match self {
            Holds::Null => format!("{} IS NULL", Ident(column)),
            Holds::Placeholder(value) => format!("{} = {value}", Ident(column)),
            Holds::Written(text) => format!("{} = {}", Ident(column), Literal(text)),
        }
    }

    fn shown(&self) -> String {
        match self {
            Holds::Null => "empty (NULL in every row)".to_string(),
            Holds::Placeholder(value) => format!("with placeholder {value} in every row"),
            Holds::Written(text) => format!("to {} in every row", Literal(text)),
        }
    }
}

/// A backfill an undo needs before one of its steps: `column` of `table` must be filled in
/// the existing rows (all of them hold `holds`) for the step to succeed.
#[derive(Debug, Clone, PartialEq)]
pub struct Backfill {
    pub table: QName,
    pub column: String,
    holds: Holds,
    /// From how many rows on the step fails: 1, or 2 for a unique index over the column.
    at_least: usize,
    /// What the step does that needs the values ("rebuilds unique index …").
    needs: String,
    /// Why every row holds `holds`.
    cause: Cause,
}

impl Backfill {
    /// Whether an earlier step of the undo re-adds the column, or the forward emptied it
    /// (else the step that needs the backfill re-adds it, before the part that needs values).
    pub fn readded_earlier(&self) -> bool {
        !matches!(self.cause, Cause::ThisStep)
    }

    /// The `UPDATE` a person completes, as a line of the undo's comments.
    pub fn drafted(&self) -> String {
        format!(
            "UPDATE {} SET {} = … WHERE {};",
            Qualified(&self.table),
            Ident(&self.column),
            self.holds.condition(&self.column)
        )
    }

    fn rows(&self) -> &'static str {
        if self.at_least > 1 {
            "two rows or more"
        } else {
            "any row"
        }
    }

    /// What goes wrong, after "needs a backfill: " or "this undo needs a backfill: ".
    fn problem(&self, step: &str) -> String {
        let column = Column(&self.table, &self.column);
        let holds = self.holds.shown();
        let (needs, rows, table) = (&self.needs, self.rows(), &self.table);
        match self.cause {
            Cause::Readded(line) => format!(
                "the undo of line {line} re-adds {column} {holds}, and {step} {needs}, which fails on {rows} of {table}"
            ),
            Cause::Nulled(line) => format!(
                "the forward's UPDATE at line {line} set {column} to NULL in every row and the undo does not bring the values back, and {step} {needs}, which fails on {rows} of {table} from before the forward"
            ),
            Cause::Set(line) => format!(
                "the forward's UPDATE at line {line} set {column} {holds} and the undo does not bring the values back, and {step} {needs}, which fails on {rows} of {table} from before the forward"
            ),
            Cause::ThisStep => format!(
                "{step} re-adds {column} {holds}, then {needs}, which fails on {rows} of {table}"
            ),
        }
    }

    /// The note that opens the reason of the step that needs the backfill.
    fn note(&self) -> String {
        format!(
            "needs a backfill: {}; on a populated table the undo cannot deploy as written. Fill the column where MANUAL STEP says, then delete the check that stops the undo while {} has rows",
            self.problem("this step"),
            self.table,
        )
    }

    /// The check at the top of the undo that stops it while the table has rows.
    fn guard(&self) -> Guard {
        Guard::table_has_rows(
            &self.table,
            self.at_least,
            format!(
                "this undo needs a backfill: {}",
                self.problem("a later step")
            ),
        )
    }
}

/// The backfill a step needs when it rebuilds over a column re-added just before it in the
/// same undo (`columns::drop_column`): a unique index or key over that column alone (`unique`
/// names it) fails on two rows holding the placeholder, a one-column foreign key (`foreign`)
/// on any row. `None` when neither applies.
pub fn of_own_rebuild(
    table: &QName,
    column: &str,
    placeholder: &str,
    unique: Option<String>,
    foreign: Option<String>,
) -> Option<Backfill> {
    let (needs, at_least) = match (unique, foreign) {
        (Some(unique), _) => (format!("rebuilds {unique} over it"), 2),
        (None, Some(foreign)) => (
            format!("adds back {foreign} (no parent row is expected to hold the placeholder)"),
            1,
        ),
        (None, None) => return None,
    };
    Some(Backfill {
        table: table.clone(),
        column: column.to_string(),
        holds: Holds::Placeholder(placeholder.to_string()),
        at_least,
        needs,
        cause: Cause::ThisStep,
    })
}

impl Undo {
    /// The undo, needing `backfill` before it can deploy on a populated table.
    pub(super) fn needing(mut self, backfill: Backfill) -> Self {
        self.need(backfill);
        self
    }

    /// The backfills this undo needs (see [`Backfill`]).
    pub(super) fn backfills(&self) -> &[Backfill] {
        self.backfills.as_deref().map_or(&[], |n| n.list.as_slice())
    }

    /// Manual only because of its backfills: its SQL is whole, and its file marks where the
    /// backfill goes instead of holding a block to replace.
    pub(super) fn backfill_only(&self) -> bool {
        self.backfills.as_deref().is_some_and(|n| n.only)
    }

    fn need(&mut self, backfill: Backfill) {
        self.guards.push(backfill.guard());
        self.backfills
            .get_or_insert_with(Default::default)
            .list
            .push(backfill);
    }
}

/// The backfills one undo needs (see [`Undo::backfills`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needed {
    list: Vec<Backfill>,
    /// The undo is manual only because of them ([`Undo::backfill_only`]).
    only: bool,
}

impl Needed {
    /// Those of the parts of one statement, together.
    pub(super) fn joined<'a>(parts: impl Iterator<Item = &'a [Backfill]>) -> Option<Box<Needed>> {
        let list: Vec<Backfill> = parts.flatten().cloned().collect();
        (!list.is_empty()).then(|| Box::new(Needed { list, only: false }))
    }
}

/// Why every row of a column holds the same value when a step of the undo needs values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cause {
    /// The step itself re-adds the column, before the part of it that needs the values.
    ThisStep,
    /// The undo of the forward statement at this line re-adds it.
    Readded(usize),
    /// The forward `UPDATE` at this line set it to NULL in every row (no `WHERE`), which its
    /// undo cannot restore.
    Nulled(usize),
    /// The forward `UPDATE` at this line set it to a constant in every row (no `WHERE`).
    Set(usize),
}

/// A column whose rows all hold one value from some step of the undo on, as the steps after
/// it find it.
struct Readded {
    table: QName,
    column: String,
    holds: Holds,
    cause: Cause,
}

/// Finds the steps of one migration's undo that need a backfill of a column an earlier step
/// of the same undo re-adds without its values, and settles every backfill found (here or by
/// a rule): the step becomes manual, its note says what to fill, and a check at the top stops
/// the undo while the table has rows. Runs before the guards are placed.
pub(super) fn mark(statements: &mut [StatementUndo]) {
    let mut readded: Vec<Readded> = Vec::new();
    // The undo runs the statements' undos last first.
    for s in statements.iter_mut().rev() {
        readded.extend(written_by_forward(s));
        let found: Vec<Backfill> = s
            .undo
            .guards
            .iter()
            .filter_map(|g| certain_failure(g, &readded))
            .collect();
        for backfill in found {
            s.undo.need(backfill);
        }
        for sql in &s.undo.statements {
            match sql.effect.as_deref() {
                Some(Effect::AddsColumnWithout {
                    table,
                    column,
                    holds,
                }) => readded.push(Readded {
                    table: table.clone(),
                    column: column.clone(),
                    holds: holds.clone(),
                    cause: Cause::Readded(s.location.line),
                }),
                Some(Effect::DropsColumn { table, column }) => {
                    readded.retain(|r| !(r.table == *table && r.column == *column))
                }
                Some(Effect::DropsTable(table)) => readded.retain(|r| r.table != *table),
                _ => {}
            }
        }
        settle(&mut s.undo);
    }
}

/// The backfill that guard `g` shows is needed: it checks a column an earlier step re-added
/// (`readded`), and what every row holds there is certain to fail it.
fn certain_failure(g: &Guard, readded: &[Readded]) -> Option<Backfill> {
    let (table, _) = g.guarded();
    // The latest of the columns the steps so far left one value in, and what.
    let found = |column: &str| {
        readded
            .iter()
            .rev()
            .find(|r| r.table == *table && r.column == column)
    };
    // A value a forward `UPDATE` wrote is followed into enum conversions only (`Values`), not
    // into keys: those look at what the undo re-added.
    let readded_by_undo = |r: &&Readded| !matches!(r.holds, Holds::Written(_));
    let (r, needs, at_least) = match &g.offends {
        Offends::Nulls { column } => {
            let r = found(column).filter(|r| r.holds == Holds::Null)?;
            (r, "makes it NOT NULL again".to_string(), 1)
        }
        Offends::Duplicates {
            keys,
            nulls_equal,
            primary,
        } => {
            // Every key column holds one value in every row, so all rows collide.
            let all: Vec<&Readded> = keys
                .iter()
                .map(|k| found(k).filter(readded_by_undo))
                .collect::<Option<_>>()?;
            let nulls = all.iter().any(|r| r.holds == Holds::Null);
            let at_least = match (nulls, primary, nulls_equal) {
                (true, true, _) => 1,
                (true, false, false) => return None,
                _ => 2,
            };
            let needs = format!("builds a unique index or key over ({})", keys_shown(keys));
            (all[0], needs, at_least)
        }
        Offends::Orphans { column, parent } => {
            let r = found(column).filter(|r| matches!(r.holds, Holds::Placeholder(_)))?;
            (
                r,
                format!("adds back a foreign key into {parent} (no row of which is expected to hold the placeholder)"),
                1,
            )
        }
        Offends::Values { column, values } => {
            let r = found(column)?;
            let Holds::Written(text) = &r.holds else {
                return None;
            };
            if !values.contains(text) {
                return None;
            }
            (
                r,
                format!("converts it back to a type without {}", Literal(text)),
                1,
            )
        }
        Offends::Other => return None,
    };
    Some(Backfill {
        table: r.table.clone(),
        column: r.column.clone(),
        holds: r.holds.clone(),
        at_least,
        needs,
        cause: r.cause,
    })
}

/// The columns a forward `UPDATE` without `WHERE` (or `FROM`) sets to NULL or to a string
/// constant in every row: its undo brings nothing back, so from there on in the undo every row
/// that predates the forward holds it. Read from the statement's text, parsed again: only an
/// `UPDATE` is.
fn written_by_forward(s: &StatementUndo) -> Vec<Readded> {
    let head = s.forward.trim_start().get(..7);
    if !head.is_some_and(|h| h.eq_ignore_ascii_case("update ")) {
        return Vec::new();
    }
    let Ok(parsed) = sql::parse_file(Path::new("forward.sql"), &s.forward) else {
        return Vec::new();
    };
    let [statement] = parsed.as_slice() else {
        return Vec::new();
    };
    let NodeEnum::UpdateStmt(update) = &statement.node else {
        return Vec::new();
    };
    let Some(relation) = &update.relation else {
        return Vec::new();
    };
    let every_row = update.where_clause.is_none() && update.from_clause.is_empty();
    let table = QName::from_range_var(relation);
    let line = s.location.line;
    update
        .target_list
        .iter()
        .filter_map(|t| match &t.node {
            Some(NodeEnum::ResTarget(r)) if r.indirection.is_empty() => {
                let value = r.val.as_deref();
                // With a `WHERE`, some rows may keep their values: a step that fails on the
                // others fails only with data, lossy, its check naming them.
                if !every_row {
                    return None;
                }
                let (holds, cause) = if is_null(value) {
                    (Holds::Null, Cause::Nulled(line))
                } else {
                    (Holds::Written(string_constant(value)?), Cause::Set(line))
                };
                Some(Readded {
                    table: table.clone(),
                    column: r.name.clone(),
                    holds,
                    cause,
                })
            }
            _ => None,
        })
        .collect()
}

/// The text of a string constant, maybe cast (`'PAUSED'`, `'PAUSED'::"Severity"`).
fn string_constant(value: Option<&pb::Node>) -> Option<String> {
    match value?.node.as_ref()? {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            pb::a_const::Val::Sval(s) => Some(s.sval.clone()),
            _ => None,
        },
        NodeEnum::TypeCast(cast) => string_constant(cast.arg.as_deref()),
        _ => None,
    }
}

/// Whether `value` is the constant NULL.
fn is_null(value: Option<&pb::Node>) -> bool {
    matches!(
        value.and_then(|v| v.node.as_ref()),
        Some(NodeEnum::AConst(c)) if c.isnull
    )
}

fn keys_shown(keys: &[String]) -> String {
    keys.iter()
        .map(|k| Ident(k).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A step with backfills becomes manual, its SQL kept (see [`Undo::backfill_only`]); its note
/// opens with what to fill.
fn settle(undo: &mut Undo) {
    if undo.backfills().is_empty() {
        return;
    }
    if undo.verdict != Verdict::Manual {
        undo.verdict = Verdict::Manual;
        if let Some(needed) = undo.backfills.as_mut() {
            needed.only = true;
        }
    }
    let notes: Vec<String> = undo.backfills().iter().map(Backfill::note).collect();
    undo.reason = format!("{}; {}", notes.join("; "), undo.reason);
}
