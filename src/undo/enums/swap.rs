//! Prisma's enum swap read as one change of the type's values (see [`super::once`]):
//! `CREATE TYPE "T_new"`, the columns converted to it, the old type dropped (renamed aside
//! first or not), `"T_new"` renamed to `"T"`, and the defaults dropped and set around them.

use super::once::{line_list, EnumFact, Group, Retyped, Work};
use super::recreation::{self, Recreation, Retype};
use super::remap;
use crate::sql::quote::Literal;
use crate::sql::{build, pb, NodeEnum, QName};
use crate::undo::{stmt, StatementUndo, UndoSql, Verdict};

/// Prisma's enum swap of `name`, found in statements `start..end`.
pub(super) struct Unit {
    pub(super) end: usize,
    name: QName,
    old_values: Vec<String>,
    new_values: Vec<String>,
    /// The statements creating, converting to, renaming and dropping types.
    core: Vec<usize>,
    dropped: usize,
    retypes: Vec<usize>,
    defaults: Vec<usize>,
}

/// The enum swap starting with the `CREATE TYPE` at `start`, if one does.
pub(super) fn swap_unit(statements: &[StatementUndo], start: usize) -> Option<Unit> {
    let Some(EnumFact::Created {
        name: new,
        values: new_values,
    }) = statements[start].undo.enum_fact.as_deref()
    else {
        return None;
    };
    let (mut old, mut aside, mut renamed, mut dropped) =
        (None::<&QName>, None::<&QName>, false, None);
    let (mut old_values, mut retypes, mut defaults) = (Vec::new(), Vec::new(), Vec::new());
    let mut core = vec![start];
    let mut end = start + 1;
    for (j, s) in statements.iter().enumerate().skip(start + 1) {
        if s.undo.verdict == Verdict::Manual {
            break;
        }
        let complete = renamed && dropped.is_some();
        match s.undo.enum_fact.as_deref() {
            None if s.undo.statements.is_empty() => continue,
            Some(EnumFact::Retyped(r))
                if !complete
                    && r.to == *new
                    && old.is_none_or(|o| *o == r.from)
                    && !renamed
                    && aside.is_none()
                    && dropped.is_none() =>
            {
                old = Some(&r.from);
                retypes.push(j);
            }
            Some(EnumFact::Default { table, column, .. })
                if !complete || is_retyped(statements, &retypes, table, column) =>
            {
                defaults.push(j)
            }
            Some(EnumFact::Renamed { from, to })
                if !complete && Some(from) == old && aside.is_none() && dropped.is_none() =>
            {
                aside = Some(to);
            }
            Some(EnumFact::Renamed { from, to })
                if !complete
                    && from == new
                    && Some(to) == old
                    && (aside.is_some() || dropped.is_some()) =>
            {
                renamed = true;
            }
            Some(EnumFact::Dropped {
                name,
                values,
                cascade: false,
            }) if !complete
                && dropped.is_none()
                && (Some(name) == aside || (aside.is_none() && Some(name) == old)) =>
            {
                dropped = Some(j);
                old_values.clone_from(values);
            }
            _ => break,
        }
        if !matches!(s.undo.enum_fact.as_deref(), Some(EnumFact::Default { .. })) {
            core.push(j);
        }
        end = j + 1;
    }
    let (Some(old), Some(dropped)) = (old, dropped) else {
        return None;
    };
    if !renamed {
        return None;
    }
    let retyped = |k: &usize| match statements[*k].undo.enum_fact.as_deref() {
        Some(EnumFact::Default { table, column, .. }) => {
            is_retyped(statements, &retypes, table, column)
        }
        _ => false,
    };
    // A default of another column before the swap ends is not part of it.
    if !defaults.iter().all(retyped) {
        return None;
    }
    Some(Unit {
        end,
        name: old.clone(),
        old_values,
        new_values: new_values.clone(),
        core,
        dropped,
        retypes,
        defaults,
    })
}

fn is_retyped(
    statements: &[StatementUndo],
    retypes: &[usize],
    table: &QName,
    column: &str,
) -> bool {
    retypes
        .iter()
        .any(|k| matches!(statements[*k].undo.enum_fact.as_deref(), Some(EnumFact::Retyped(r)) if r.table == *table && r.column == column))
}

fn retyped_of(statements: &[StatementUndo], k: usize) -> &Retyped {
    match statements[k].undo.enum_fact.as_deref() {
        Some(EnumFact::Retyped(r)) => r,
        _ => unreachable!("a unit's retypes are Retyped facts"),
    }
}

/// How the swap is undone: values added back when it only removed values, every column
/// converted with a plain cast and no other statement of the undo using the values (a value
/// added in a transaction cannot be used in it); else one recreation.
pub(super) fn settle(statements: &[StatementUndo], unit: Unit) -> Group {
    let removed: Vec<&String> = unit
        .old_values
        .iter()
        .filter(|v| !unit.new_values.contains(v))
        .collect();
    let plain = unit.retypes.iter().all(|k| {
        let r = retyped_of(statements, *k);
        r.using
            .as_ref()
            .is_none_or(|u| remap::is_plain(u, &r.column))
    });
    let literals: Vec<String> = removed.iter().map(|v| Literal(v).to_string()).collect();
    let unused = statements.iter().enumerate().all(|(k, s)| {
        unit.core.contains(&k)
            || s.undo
                .statements
                .iter()
                .all(|sql| literals.iter().all(|l| !sql.sql.contains(l.as_str())))
    });
    if plain && unused && is_subsequence(&unit.new_values, &unit.old_values) {
        let sql = add_values(&unit.name, &unit.old_values, &unit.new_values);
        let lines = line_list(statements, &unit.core);
        let summary = if removed.is_empty() {
            format!(
                "the enum swap of lines {lines} changed no value of {}, so nothing is undone",
                unit.name
            )
        } else {
            format!(
                "the enum swap of lines {lines} only removed {} from {}: the undo adds {} back in place with ALTER TYPE … ADD VALUE (PostgreSQL 12 or later in a transaction; no table rewrite, every row keeps its value)",
                literals.join(", "),
                unit.name,
                if removed.len() == 1 { "it" } else { "them" }
            )
        };
        return Group {
            holder: unit.dropped,
            members: unit.core,
            work: Work::AddValues(sql, summary),
            chain: None,
        };
    }
    let column_default = |r: &Retyped, last: bool| {
        let mut found = None;
        for k in &unit.defaults {
            if let Some(EnumFact::Default {
                table,
                column,
                before,
                after,
            }) = statements[*k].undo.enum_fact.as_deref()
            {
                if *table == r.table && *column == r.column {
                    let d = if last { after } else { before };
                    if last || found.is_none() {
                        found = Some(d.clone());
                    }
                }
            }
        }
        found.unwrap_or_else(|| r.default.clone())
    };
    let columns = unit
        .retypes
        .iter()
        .map(|k| {
            let r = retyped_of(statements, *k);
            let plain = recreation::through_text(&r.column, r.array, &unit.name);
            let old = recreation_type(&unit.name, r.array);
            let back = remap::back(
                &r.column,
                r.using.as_ref(),
                &old,
                &r.from_values,
                &r.to_values,
                plain,
            );
            Retype {
                table: r.table.clone(),
                column: r.column.clone(),
                array: r.array,
                default_now: column_default(r, true),
                default_back: column_default(r, false),
                using: back.using,
            }
        })
        .collect();
    let holder = *unit.retypes.last().expect("a unit converts a column");
    let mut members = unit.core;
    members.extend(unit.defaults);
    Group {
        holder,
        members,
        work: Work::Recreate(vec![(
            holder,
            Recreation {
                name: unit.name,
                values: unit.old_values,
                columns,
            },
        )]),
        chain: None,
    }
}

fn recreation_type(name: &QName, array: bool) -> pb::TypeName {
    let t = build::type_name(name);
    if array {
        build::array_of(t)
    } else {
        t
    }
}

/// Whether `part` is `whole` with some values left out, in the same order.
fn is_subsequence(part: &[String], whole: &[String]) -> bool {
    let mut rest = whole.iter();
    part.iter().all(|p| rest.any(|w| w == p))
}

/// `ALTER TYPE name ADD VALUE …` for each value of `old` not in `new`, each placed after the
/// value before it in `old` (before the first kept value when it comes first).
fn add_values(name: &QName, old: &[String], new: &[String]) -> Vec<UndoSql> {
    let first_kept = old.iter().find(|v| new.contains(v));
    old.iter()
        .enumerate()
        .filter(|(_, v)| !new.contains(v))
        .map(|(k, value)| {
            let (neighbor, after) = match (k.checked_sub(1), first_kept) {
                (Some(previous), _) => (old[previous].clone(), true),
                (None, Some(kept)) => (kept.clone(), false),
                (None, None) => (String::new(), false),
            };
            stmt(NodeEnum::AlterEnumStmt(pb::AlterEnumStmt {
                type_name: name.to_name_nodes(),
                new_val: value.clone(),
                new_val_neighbor: neighbor,
                new_val_is_after: after,
                ..Default::default()
            }))
        })
        .collect()
}
