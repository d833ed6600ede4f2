//! Renames instead of rebuilds: a forward migration that drops index `a` and creates an
//! identical index `b` (same table, same definition apart from the name), or drops
//! constraint `a` and adds an identical constraint `b`, renamed `a` in effect. Its undo
//! would drop `b` and build `a` again: a full scan under a lock (or a concurrent build in a
//! migration of its own), which fails on a unique key if duplicates were written since.
//! `ALTER INDEX b RENAME TO a` (or `ALTER TABLE … RENAME CONSTRAINT b TO a`) restores the
//! same schema at once, under a brief lock, and cannot fail on the rows.
//!
//! The undo of the later statement (the drop of `b`) becomes the rename; the undo of the
//! earlier one (the rebuild of `a`) is left out and its note says which rename restores it.
//! Only a pair with nothing between them that might touch the table or either name is
//! taken: each forward statement between must be undone (not manual), and its text must not
//! name the table, `a` or `b` (a column renamed between could give the same definition text
//! another meaning), unless its whole undo drops or builds other indexes or constraints
//! (known by their [`Effect`]s).

use std::collections::HashMap;

use super::{Effect, Placement, StatementUndo, Undo, UndoSql, Verdict};
use crate::sql::quote::{Ident, Qualified};
use crate::sql::{build, deparse, pb, NodeEnum, QName};

/// Turns, in `statements` (one migration's, in forward order), the undo of a drop and re-add
/// of the same index or constraint under a new name into a rename back.
pub fn renames_instead_of_rebuilds(statements: &mut [StatementUndo]) {
    // Where each table's dropped objects are built back, so a created object is compared
    // only with those of its own table (a long migration is not read once per statement).
    let mut restoring: HashMap<QName, Vec<usize>> = HashMap::new();
    for (i, s) in statements.iter().enumerate() {
        if let Some(restored) = restored_by(&s.undo) {
            restoring
                .entry(restored.table().clone())
                .or_default()
                .push(i);
        }
    }
    for j in 0..statements.len() {
        let Some(created) = created_here(&statements[j].undo) else {
            continue;
        };
        let Some(candidates) = restoring.get(created.table()) else {
            continue;
        };
        let pair = candidates.iter().rev().filter(|&&i| i < j).find_map(|&i| {
            // An earlier rename back may have taken this one's undo.
            let restored = restored_by(&statements[i].undo)?;
            let matches = restored.name() != created.name()
                && restored.is_index() == created.is_index()
                && apart(&statements[i + 1..j], &created, &restored)
                && restored
                    .definition()
                    .is_some_and(|d| created.definition().as_ref() == Some(&d));
            matches.then(|| (i, Renamed::of(&created, &restored)))
        });
        if let Some((i, renamed)) = pair {
            rename_back(statements, i, j, &renamed);
        }
    }
}

/// An index or constraint, borrowed from an undo's [`Effect`], with its definition ready to
/// compare.
enum Object<'a> {
    Index {
        table: &'a QName,
        name: &'a str,
        definition: &'a pb::IndexStmt,
    },
    Constraint {
        table: &'a QName,
        name: &'a str,
        definition: &'a pb::Constraint,
    },
}

impl Object<'_> {
    fn table(&self) -> &QName {
        match self {
            Object::Index { table, .. } | Object::Constraint { table, .. } => table,
        }
    }

    fn name(&self) -> &str {
        match self {
            Object::Index { name, .. } | Object::Constraint { name, .. } => name,
        }
    }

    fn is_index(&self) -> bool {
        matches!(self, Object::Index { .. })
    }

    /// The definition without its name, as SQL text (`None` if it cannot be written).
    fn definition(&self) -> Option<String> {
        match self {
            Object::Index {
                table, definition, ..
            } => {
                let mut s = (*definition).clone();
                s.idxname = String::new();
                s.concurrent = false;
                s.if_not_exists = false;
                s.relation = Some(build::range_var(table));
                deparse(NodeEnum::IndexStmt(Box::new(s))).ok()
            }
            Object::Constraint {
                table, definition, ..
            } => {
                let mut c = (*definition).clone();
                c.conname = String::new();
                c.initially_valid = !c.skip_validation;
                let cmd = build::table_cmd(
                    pb::AlterTableType::AtAddConstraint,
                    "",
                    Some(build::node(NodeEnum::Constraint(Box::new(c)))),
                );
                deparse(build::alter_table(table, vec![cmd])).ok()
            }
        }
    }
}

/// A pair found: what the undo of the later statement renames, and back to what.
struct Renamed {
    table: QName,
    from: String,
    to: String,
    is_index: bool,
}

impl Renamed {
    fn of(created: &Object<'_>, restored: &Object<'_>) -> Self {
        Renamed {
            table: created.table().clone(),
            from: created.name().to_string(),
            to: restored.name().to_string(),
            is_index: created.is_index(),
        }
    }
}

/// What the forward statement created, when its whole undo is one drop of it.
fn created_here(undo: &Undo) -> Option<Object<'_>> {
    let [only] = undo.statements.as_slice() else {
        return None;
    };
    match only.effect.as_deref()? {
        Effect::DropsIndex {
            table,
            name,
            definition,
            ..
        } => Some(Object::Index {
            table,
            name,
            definition,
        }),
        Effect::DropsConstraint {
            table,
            name,
            definition: Some(definition),
            ..
        } => Some(Object::Constraint {
            table,
            name,
            definition,
        }),
        _ => None,
    }
}

/// What the undo of a forward drop builds back, when that is all it does (guards aside).
fn restored_by(undo: &Undo) -> Option<Object<'_>> {
    if undo.verdict == Verdict::Manual {
        return None;
    }
    let mut found = None;
    for sql in &undo.statements {
        let object = match sql.effect.as_deref() {
            Some(Effect::CreatesIndex {
                table,
                name,
                definition,
            }) => Object::Index {
                table,
                name,
                definition,
            },
            Some(Effect::AddsConstraint {
                table,
                name,
                definition,
            }) => Object::Constraint {
                table,
                name,
                definition,
            },
            _ => continue,
        };
        if found.replace(object).is_some() {
            return None;
        }
    }
    found
}

/// Whether the forward statements between the pair leave the table and both names alone.
fn apart(between: &[StatementUndo], created: &Object<'_>, restored: &Object<'_>) -> bool {
    let names = [
        created.table().name.to_lowercase(),
        created.name().to_lowercase(),
        restored.name().to_lowercase(),
    ];
    let pair = [created.name(), restored.name()];
    between.iter().all(|s| {
        let text = s.forward.to_lowercase();
        s.undo.verdict != Verdict::Manual
            && (!names.iter().any(|n| text.contains(n.as_str()))
                || only_other_indexes_or_constraints(&s.undo, &pair))
    })
}

/// Whether every step of `undo` (guards aside) drops or builds an index or constraint not
/// named in `pair` (or validates one it added `NOT VALID`): such a step changes neither the
/// table's columns nor the pair.
fn only_other_indexes_or_constraints(undo: &Undo, pair: &[&str; 2]) -> bool {
    undo.statements
        .iter()
        .filter(|s| !matches!(s.placement, Placement::Guard | Placement::Later))
        .all(|s| match s.effect.as_deref() {
            Some(
                Effect::DropsIndex { name, .. }
                | Effect::CreatesIndex { name, .. }
                | Effect::DropsConstraint { name, .. }
                | Effect::AddsConstraint { name, .. },
            ) => !pair.contains(&name.as_str()),
            _ => false,
        })
}

/// The undo of statement `j` (which created the object) renames it back to the name
/// statement `i` dropped; the undo of statement `i` is then done.
fn rename_back(statements: &mut [StatementUndo], i: usize, j: usize, renamed: &Renamed) {
    let Renamed {
        table,
        from,
        to,
        is_index,
    } = renamed;
    let (sql, what) = if *is_index {
        (
            format!(
                "ALTER INDEX {} RENAME TO {}",
                Qualified(&table.sibling(from)),
                Ident(to)
            ),
            "index",
        )
    } else {
        (
            format!(
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                Qualified(table),
                Ident(from),
                Ident(to)
            ),
            "constraint",
        )
    };
    let line_i = statements[i].location.line;
    let line_j = statements[j].location.line;
    let undo_j = &mut statements[j].undo;
    undo_j.statements = vec![UndoSql::text(sql, false)];
    undo_j.verdict = Verdict::Exact;
    undo_j.reason = format!(
        "renames {what} {} of {table} back to {}: line {line_i} dropped {what} {} with the same definition apart from the name, so a rename restores it (a brief lock, no rebuild, nothing the rows can fail)",
        Ident(from),
        Ident(to),
        Ident(to),
    );
    let undo_i = &mut statements[i].undo;
    // Guards are placed after this pass ([`super::guard::place`]): they are still apart.
    let guards = undo_i.guards.len();
    undo_i.statements.clear();
    undo_i.guards.clear();
    undo_i.loses.clear();
    undo_i.verdict = Verdict::Exact;
    let guards = if guards > 0 {
        " (and its preflight check is not needed)"
    } else {
        ""
    };
    undo_i.reason = format!(
        "{what} {} of {table} comes back by the rename in the undo of line {line_j} (identical {what} {} renamed back), not rebuilt{guards}",
        Ident(to),
        Ident(from),
    );
}
