//! No drop of what a later statement of the same undo drops anyway: a `DROP INDEX`,
//! `DROP CONSTRAINT`, `DROP NOT NULL` or `DROP DEFAULT` on a table the undo goes on to drop
//! (or of a column it goes on to drop: PostgreSQL drops an index or constraint with any one
//! of its columns, a multi-column one too) takes an ACCESS EXCLUSIVE lock for nothing. Such a
//! statement is left out, and the note of the forward statement it undid says which later
//! drop covers it.
//!
//! Only what the statements' [`Effect`]s say is trusted: a statement without one (or a
//! manual step) between the two stops the search, since it might need the object gone.

use super::{Effect, Placement, StatementUndo, Verdict};
use crate::sql::quote;
use crate::sql::QName;

/// Where a statement of the undo stands: `(forward statement, its undo statement)`, or the
/// forward statement alone for a manual step.
type Slot = (usize, Option<usize>);

/// Leaves out of `statements` (one migration's, in forward order) the undo statements a
/// later statement of the same undo makes redundant, and says so in their notes.
pub fn drop_covered(statements: &mut [StatementUndo]) {
    let covers_any = statements.iter().any(|s| {
        s.undo.statements.iter().any(|sql| {
            matches!(
                sql.effect.as_deref(),
                Some(Effect::DropsTable(_) | Effect::DropsColumn { .. })
            )
        })
    });
    if !covers_any {
        return;
    }
    let order = undo_order(statements);
    let effect = |slot: Slot| -> Option<&Effect> {
        let sql = &statements[slot.0].undo.statements[slot.1?];
        sql.effect.as_deref()
    };
    let mut covered: Vec<(Slot, String)> = Vec::new();
    for (k, &slot) in order.iter().enumerate() {
        let Some(dropped) = effect(slot) else {
            continue;
        };
        let Some(table) = dropped.drops_part_of_a_table() else {
            continue;
        };
        for &later in &order[k + 1..] {
            match effect(later) {
                Some(Effect::DropsTable(t)) if t == table => {
                    covered.push((slot, format!("the DROP TABLE {t} below")));
                    break;
                }
                Some(Effect::DropsColumn { table: t, column }) if t == table => {
                    if dropped.goes_with_column(column) {
                        let shown = quote::Column(t, column);
                        covered.push((slot, format!("the DROP COLUMN {shown} below")));
                        break;
                    }
                    if !passes(dropped, effect(later)) {
                        break;
                    }
                }
                other => {
                    if !passes(dropped, other) {
                        break;
                    }
                }
            }
        }
    }
    leave_out(statements, covered);
}

/// Every statement of the undo in the order it runs: forward statements last to first, each
/// one's undo statements in order; a manual step stands as one slot without a statement.
fn undo_order(statements: &[StatementUndo]) -> Vec<Slot> {
    let mut order = Vec::new();
    for (i, s) in statements.iter().enumerate().rev() {
        if s.undo.verdict == Verdict::Manual {
            order.push((i, None));
        }
        // Guards placed at the top run before everything: not between any two statements.
        order.extend(
            (0..s.undo.statements.len())
                .filter(|&j| s.undo.statements[j].placement != Placement::Guard)
                .map(|j| (i, Some(j))),
        );
    }
    order
}

/// Whether a statement with effect `between` may run while `dropped` (a drop of part of a
/// table) has not happened yet: it neither needs that part gone nor removes what it uses.
fn passes(dropped: &Effect, between: Option<&Effect>) -> bool {
    let Some(between) = between else {
        return false;
    };
    let referenced = match dropped {
        Effect::DropsConstraint { references, .. } => references.as_ref(),
        _ => None,
    };
    let touches_referenced = |t: &QName| referenced == Some(t);
    match between {
        // A default may draw from a sequence another table's drop takes along.
        _ if matches!(dropped, Effect::DropsDefault { .. })
            && between.drops_part_of_a_table().is_none() =>
        {
            false
        }
        Effect::DropsTable(t) | Effect::DropsColumn { table: t, .. } => !touches_referenced(t),
        Effect::BuildsAheadOf { .. } => false,
        other => other
            .drops_part_of_a_table()
            .is_some_and(|t| !touches_referenced(t)),
    }
}

/// Removes the covered statements and adds to each note what covers them.
fn leave_out(statements: &mut [StatementUndo], mut covered: Vec<(Slot, String)>) {
    // Last first, so the positions still to remove stay where they are.
    covered.sort_by_key(|c| std::cmp::Reverse(c.0));
    let mut notes: Vec<(usize, Vec<String>)> = Vec::new();
    for ((i, j), by) in covered {
        let Some(j) = j else { continue };
        statements[i].undo.statements.remove(j);
        match notes.iter_mut().find(|(n, _)| *n == i) {
            Some((_, by_list)) if by_list.contains(&by) => {}
            Some((_, by_list)) => by_list.push(by),
            None => notes.push((i, vec![by])),
        }
    }
    for (i, mut by) in notes {
        by.reverse();
        let undo = &mut statements[i].undo;
        let how = if undo.statements.is_empty() {
            "left out"
        } else {
            "partly left out"
        };
        undo.reason.push_str(&format!(
            "; {how}: {} drops it anyway (one lock less)",
            by.join(" and ")
        ));
    }
}
