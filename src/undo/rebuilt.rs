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

use super::{Effect, Placement, StatementUndo, Undo, UndoSql, Verdict};
use crate::sql::quote::{Ident, Qualified};
use crate::sql::{build, deparse, pb, NodeEnum, QName};

/// Turns, in `statements` (one migration's, in forward order), the undo of a drop and re-add
/// of the same index or constraint under a new name into a rename back.
pub fn renames_instead_of_rebuilds(statements: &mut [StatementUndo]) {
    for j in 0..statements.len() {
        let Some(created) = created_here(&statements[j].undo) else {
            continue;
        };
        for i in (0..j).rev() {
            let Some(restored) = restored_by(&statements[i].undo) else {
                continue;
            };
            if restored.table() != created.table()
                || restored.name() == created.name()
                || restored.is_index() != created.is_index()
                || !apart(&statements[i + 1..j], &created, &restored)
            {
                continue;
            }
            if restored.definition() != created.definition() || restored.definition().is_none() {
                continue;
            }
            rename_back(statements, i, j, &created, &restored);
            break;
        }
    }
}

/// An index or constraint, with its definition ready to compare.
enum Object {
    Index {
        table: QName,
        name: String,
        definition: Box<pb::IndexStmt>,
    },
    Constraint {
        table: QName,
        name: String,
        definition: Box<pb::Constraint>,
    },
}

impl Object {
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
                let mut s = definition.clone();
                s.idxname = String::new();
                s.concurrent = false;
                s.if_not_exists = false;
                s.relation = Some(build::range_var(table));
                deparse(NodeEnum::IndexStmt(s)).ok()
            }
            Object::Constraint {
                table, definition, ..
            } => {
                let mut c = definition.clone();
                c.conname = String::new();
                c.initially_valid = !c.skip_validation;
                let cmd = build::table_cmd(
                    pb::AlterTableType::AtAddConstraint,
                    "",
                    Some(build::node(NodeEnum::Constraint(c))),
                );
                deparse(build::alter_table(table, vec![cmd])).ok()
            }
        }
    }
}

/// What the forward statement created, when its whole undo is one drop of it.
fn created_here(undo: &Undo) -> Option<Object> {
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
            table: table.clone(),
            name: name.clone(),
            definition: definition.clone(),
        }),
        Effect::DropsConstraint {
            table,
            name,
            definition: Some(definition),
            ..
        } => Some(Object::Constraint {
            table: table.clone(),
            name: name.clone(),
            definition: definition.clone(),
        }),
        _ => None,
    }
}

/// What the undo of a forward drop builds back, when that is all it does (guards aside).
fn restored_by(undo: &Undo) -> Option<Object> {
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
                table: table.clone(),
                name: name.clone(),
                definition: definition.clone(),
            },
            Some(Effect::AddsConstraint {
                table,
                name,
                definition,
            }) => Object::Constraint {
                table: table.clone(),
                name: name.clone(),
                definition: definition.clone(),
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
fn apart(between: &[StatementUndo], created: &Object, restored: &Object) -> bool {
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

/// The undo of statement `j` (which created `created`) renames it back to `restored`'s name;
/// the undo of statement `i` (which dropped `restored`) is then done.
fn rename_back(
    statements: &mut [StatementUndo],
    i: usize,
    j: usize,
    created: &Object,
    restored: &Object,
) {
    let table = created.table();
    let (sql, what) = match created {
        Object::Index { .. } => (
            format!(
                "ALTER INDEX {} RENAME TO {}",
                Qualified(&table.sibling(created.name())),
                Ident(restored.name())
            ),
            "index",
        ),
        Object::Constraint { .. } => (
            format!(
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                Qualified(table),
                Ident(created.name()),
                Ident(restored.name())
            ),
            "constraint",
        ),
    };
    let line_i = statements[i].location.line;
    let line_j = statements[j].location.line;
    let undo_j = &mut statements[j].undo;
    undo_j.statements = vec![UndoSql::text(sql, false)];
    undo_j.verdict = Verdict::Exact;
    undo_j.reason = format!(
        "renames {what} {} of {table} back to {}: line {line_i} dropped {what} {} with the same definition apart from the name, so a rename restores it (a brief lock, no rebuild, nothing the rows can fail)",
        Ident(created.name()),
        Ident(restored.name()),
        Ident(restored.name()),
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
        Ident(restored.name()),
        Ident(created.name()),
    );
}
