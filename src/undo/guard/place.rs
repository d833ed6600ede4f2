//! Where each guard of a migration's undo runs: at the top of the undo when what it reads
//! stands unchanged after the forward migration and no undo step before it changes data, else
//! right before the statement it guards (see the parent module). A forward `UPDATE` whose undo
//! writes nothing changes no data in the undo: it does not keep the guards of the steps the
//! undo runs after it from the top.

use super::Guard;
use crate::catalog::Catalog;
use crate::sql::touches::Touches;
use crate::undo::columns::types::same_type;
use crate::undo::{is_data_statement, LazyScope, Placement, StatementUndo, UndoSql, Verdict};

/// Places the guards of one migration's undo, once the migration is folded (`after` is the
/// model after it, `scope` what it touches): each becomes a statement of its undo, at the
/// top where it can run there (see the module doc), else right before the statement it
/// guards. The undo's note says which.
pub(in crate::undo) fn place(
    after: &Catalog,
    scope: &LazyScope<'_>,
    statements: &mut [StatementUndo],
) {
    if statements.iter().all(|s| s.undo.guards.is_empty()) {
        return;
    }
    let touches = scope.get();
    // A step that changes data may fix (or make) the rows a guard looks for: a guard must not
    // run ahead of such a step. The undo runs the statements' undos last first, so the steps
    // before statement `i`'s own are those of the statements after it (and its own parts):
    // `changes_from[i]` says whether any of statements `i..` may change data.
    let mut changes_from: Vec<bool> = statements.iter().map(undo_may_change_data).collect();
    for i in (1..changes_from.len()).rev() {
        changes_from[i - 1] |= changes_from[i];
    }
    for (s, &changes_data) in statements.iter_mut().zip(&changes_from) {
        let guards = std::mem::take(&mut s.undo.guards);
        if guards.is_empty() {
            continue;
        }
        // The guards of one statement go together, at the top or right before it; a guard
        // that only counts rows goes to the top whenever its table stands.
        let (rows_only, checks): (Vec<Guard>, Vec<Guard>) =
            guards.into_iter().partition(|g| g.rows_only);
        // A step that needs a backfill of a column the undo re-added checks it where the
        // backfill went, right before the step (the column at the top is not that one).
        let backfilled = s.undo.backfills().iter().any(|b| b.readded_earlier());
        let first =
            !changes_data && !backfilled && checks.iter().all(|g| stands_after(after, touches, g));
        let placed_at = |guard: &Guard, first: bool| {
            let sql = UndoSql::text(guard.statement(first), false).placed(if first {
                Placement::Guard
            } else {
                Placement::GuardHere
            });
            (guard.at, sql)
        };
        let mut placed: Vec<(usize, UndoSql)> = rows_only
            .iter()
            .map(|g| {
                let (at, sql) = placed_at(g, stands_after(after, touches, g));
                (
                    at,
                    sql.with_effect(crate::undo::Effect::StopsUntilBackfilled),
                )
            })
            .collect();
        placed.extend(checks.iter().map(|g| placed_at(g, first)));
        // In order, before the steps they guard (the statement's own, or its part's).
        insert_before(&mut s.undo.statements, placed);
        if checks.is_empty() {
            continue;
        }
        s.undo.reason.push_str(if first {
            ". A preflight check at the top of the undo fails first, before any change, if rows would make it fail, and its message gives the query that finds them"
        } else {
            ". A check right before this step fails first if rows would make it fail, naming the query that finds them (it cannot run at the top: the forward migration changes the data or shape of a table it reads)"
        });
    }
}

/// Puts each guard before the statement at its index (in `statements` as they were; the
/// guards of one index keep their order), or at the end past the last one.
fn insert_before(statements: &mut Vec<UndoSql>, mut guards: Vec<(usize, UndoSql)>) {
    guards.sort_by_key(|(at, _)| *at);
    let mut guards = guards.into_iter().peekable();
    let mut merged = Vec::with_capacity(statements.len() + guards.len());
    for (k, statement) in std::mem::take(statements).into_iter().enumerate() {
        while let Some((_, guard)) = guards.next_if(|(at, _)| *at <= k) {
            merged.push(guard);
        }
        merged.push(statement);
    }
    merged.extend(guards.map(|(_, guard)| guard));
    *statements = merged;
}

/// Whether the tables and columns the guard reads stand after the forward migration as
/// before it: the migration keeps each table and the model after it still has every column.
fn stands_after(after: &Catalog, touches: &Touches, guard: &Guard) -> bool {
    let keeps_type = |t: &crate::catalog::Table| match &guard.converts_from {
        Some(from) => guard.reads[0].1.iter().all(|c| {
            t.column(c)
                .is_some_and(|c| same_type(&c.type_name.unpack(), from))
        }),
        None => true,
    };
    guard.reads.iter().enumerate().all(|(k, (table, columns))| {
        touches.keeps_table(table)
            && !touches.renames(table)
            && after.table(table).is_some_and(|t| {
                columns.iter().all(|c| t.column(c).is_some()) && (k > 0 || keeps_type(t))
            })
    })
}

/// Whether a statement's undo may change rows: a step of it writes rows or runs a `DO` block,
/// or it is manual, where a person writes SQL unmigrate cannot see (the block to replace, or
/// the backfill's `UPDATE`).
fn undo_may_change_data(s: &StatementUndo) -> bool {
    s.undo.verdict == Verdict::Manual
        || s.undo
            .statements
            .iter()
            .any(|u| is_data_statement(&u.sql) || starts_with_do(&u.sql))
}

fn starts_with_do(text: &str) -> bool {
    text.get(..3)
        .is_some_and(|head| head.eq_ignore_ascii_case("DO ") || head.eq_ignore_ascii_case("DO\n"))
}
