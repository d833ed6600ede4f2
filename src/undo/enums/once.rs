//! One recreation per enum type per undo file: a pass over a migration's statement undos,
//! after each rule has undone its own statement.
//!
//! Each statement that changes an enum, or a column of one, leaves an [`EnumFact`] beside
//! its undo. The pass reads them in forward order and
//!
//! - gathers the `ADD VALUE`s of one type into one recreation with the values the type had
//!   before the first of them, done where the first one's undo runs (last): the undo of
//!   every statement between them sees the type as it was, with more values;
//! - reads Prisma's enum swap (`CREATE TYPE "T_new"`, the columns converted to it, the old
//!   type dropped, `"T_new"` renamed to `"T"`) as one change of `"T"`'s values, undone by
//!   `ADD VALUE … BEFORE/AFTER` when the swap only removed values (no rewrite), else by one
//!   recreation of `"T"` that maps values back ([`remap`]);
//! - joins recreations whose undos run one after the other into one, so each table is
//!   rewritten once, with one `ALTER TABLE` converting all of its columns.
//!
//! Every statement keeps its verdict; its reason says where its undo went.

use super::recreation::{self, Recreation, Retype};
use super::remap;
use crate::catalog::{rename_object_qname, Catalog};
use crate::sql::quote::Literal;
use crate::sql::{build, pb, string_list, NodeEnum, QName};
use crate::undo::{stmt, StatementUndo, UndoSql, Verdict};
use pb::{AlterTableType as At, ObjectType as O};

/// What a forward statement did to an enum type or a column of one, as the pass needs it.
#[derive(Debug, Clone)]
pub enum EnumFact {
    /// `ADD VALUE`, undone by this recreation (set by the rule).
    Recreates {
        recreation: Recreation,
        added: String,
    },
    Created {
        name: QName,
        values: Vec<String>,
    },
    Dropped {
        name: QName,
        values: Vec<String>,
        cascade: bool,
    },
    Renamed {
        from: QName,
        to: QName,
    },
    Retyped(Retyped),
    /// `SET DEFAULT` or `DROP DEFAULT` on a column of an enum type.
    Default {
        table: QName,
        column: String,
        before: Option<pb::Node>,
        after: Option<pb::Node>,
    },
}

/// `ALTER COLUMN … TYPE` from one enum to another.
#[derive(Debug, Clone)]
pub struct Retyped {
    table: QName,
    column: String,
    array: bool,
    from: QName,
    from_values: Vec<String>,
    to: QName,
    to_values: Vec<String>,
    default: Option<pb::Node>,
    /// The forward's `USING`, if any.
    using: Option<pb::Node>,
}

/// The fact of one single-part statement, read against the model just before it.
pub fn fact(catalog: &Catalog, node: &NodeEnum) -> Option<Box<EnumFact>> {
    let fact = match node {
        NodeEnum::CreateEnumStmt(s) => EnumFact::Created {
            name: QName::from_name_nodes(&s.type_name),
            values: string_values(&s.vals),
        },
        NodeEnum::DropStmt(s) if s.remove_type == O::ObjectType as i32 && s.objects.len() == 1 => {
            let Some(NodeEnum::TypeName(t)) = s.objects[0].node.as_ref() else {
                return None;
            };
            let e = catalog.enums.get(&QName::from_name_nodes(&t.names))?;
            EnumFact::Dropped {
                name: e.name.clone(),
                values: e.values.clone(),
                cascade: s.behavior == pb::DropBehavior::DropCascade as i32,
            }
        }
        NodeEnum::RenameStmt(s) if s.rename_type == O::ObjectType as i32 => {
            let from = rename_object_qname(s);
            catalog.enums.get(&from)?;
            EnumFact::Renamed {
                to: from.sibling(&s.newname),
                from,
            }
        }
        NodeEnum::AlterTableStmt(s) if s.cmds.len() == 1 => {
            let Some(NodeEnum::AlterTableCmd(cmd)) = s.cmds[0].node.as_ref() else {
                return None;
            };
            let table = QName::from_range_var(s.relation.as_ref()?);
            let column = catalog.table(&table)?.column(&cmd.name)?;
            let old_type = column.type_name.unpack();
            let from = catalog
                .enums
                .get(&QName::from_name_nodes(&old_type.names))?;
            match At::try_from(cmd.subtype).ok()? {
                At::AtAlterColumnType => {
                    let Some(NodeEnum::ColumnDef(def)) = cmd.def.as_deref()?.node.as_ref() else {
                        return None;
                    };
                    let new_type = def.type_name.as_ref()?;
                    let to = catalog
                        .enums
                        .get(&QName::from_name_nodes(&new_type.names))?;
                    if new_type.array_bounds.len() != old_type.array_bounds.len() {
                        return None;
                    }
                    EnumFact::Retyped(Retyped {
                        table,
                        column: column.name.clone(),
                        array: column.is_array(),
                        from: from.name.clone(),
                        from_values: from.values.clone(),
                        to: to.name.clone(),
                        to_values: to.values.clone(),
                        default: column.default.as_ref().map(|d| d.unpack()),
                        using: def.raw_default.as_deref().cloned(),
                    })
                }
                At::AtColumnDefault => EnumFact::Default {
                    table,
                    column: column.name.clone(),
                    before: column.default.as_ref().map(|d| d.unpack()),
                    after: cmd.def.as_deref().cloned(),
                },
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(Box::new(fact))
}

fn string_values(nodes: &[pb::Node]) -> Vec<String> {
    string_list(nodes)
}

/// What a group of statements is undone by.
enum Work {
    /// Recreations done together (each with the statement it comes from).
    Recreate(Vec<(usize, Recreation)>),
    /// Values added back to a type, no rewrite.
    AddValues(Vec<UndoSql>, String),
}

/// Statements whose undo one set of statements does, held by one of them.
struct Group {
    holder: usize,
    members: Vec<usize>,
    work: Work,
    /// For `ADD VALUE`s of one type: the values after the last of them, to chain the next.
    chain: Option<(QName, Vec<String>)>,
}

impl Group {
    fn types(&self) -> Vec<&QName> {
        match &self.work {
            Work::Recreate(rs) => rs.iter().map(|(_, r)| &r.name).collect(),
            Work::AddValues(..) => Vec::new(),
        }
    }
}

/// The pass (see the module comment), over the statement undos of one migration in forward
/// order, their statements rendered. Returns whether it built statements that still need
/// rendering.
pub fn once_per_type(statements: &mut [StatementUndo]) -> bool {
    if statements.iter().all(|s| s.undo.enum_fact.is_none()) {
        return false;
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < statements.len() {
        match statements[i].undo.enum_fact.as_deref() {
            Some(EnumFact::Created { .. }) => {
                if let Some(unit) = swap_unit(statements, i) {
                    i = unit.end;
                    groups.push(settle(statements, unit));
                    continue;
                }
            }
            Some(EnumFact::Recreates { recreation, added })
                if statements[i].undo.verdict == Verdict::Lossy
                    && !statements[i].undo.statements.is_empty() =>
            {
                let after = with(&recreation.values, added);
                let (name, recreation) = (recreation.name.clone(), recreation.clone());
                if let Some(g) = groups.iter_mut().rev().find(|g| {
                    g.chain.as_ref().is_some_and(|(n, _)| *n == name) || g.types().contains(&&name)
                }) {
                    if g.chain
                        .as_ref()
                        .is_some_and(|(n, v)| *n == name && same_set(v, &recreation.values))
                    {
                        g.members.push(i);
                        g.chain = Some((name, after));
                        i += 1;
                        continue;
                    }
                }
                groups.push(Group {
                    holder: i,
                    members: vec![i],
                    work: Work::Recreate(vec![(i, recreation)]),
                    chain: Some((name, after)),
                });
            }
            _ => {}
        }
        i += 1;
    }
    let groups = join_neighbours(statements, groups);
    let mut built = false;
    for g in groups {
        built |= write(statements, g);
    }
    built
}

fn with(values: &[String], added: &str) -> Vec<String> {
    let mut v = values.to_vec();
    v.push(added.to_string());
    v
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|v| b.contains(v))
}

/// Joins recreation groups whose undos run one after the other (only statements with
/// nothing to run between them) and recreate different types.
fn join_neighbours(statements: &[StatementUndo], groups: Vec<Group>) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for g in groups {
        if let Some(last) = out.last_mut() {
            if joinable(statements, last, &g) {
                if let (Work::Recreate(a), Work::Recreate(b)) = (&mut last.work, g.work) {
                    a.extend(b);
                }
                last.members.extend(g.members);
                last.chain = None;
                continue;
            }
        }
        out.push(g);
    }
    out
}

fn joinable(statements: &[StatementUndo], a: &Group, b: &Group) -> bool {
    let (Work::Recreate(_), Work::Recreate(_)) = (&a.work, &b.work) else {
        return false;
    };
    if a.types().iter().any(|t| b.types().contains(t)) {
        return false;
    }
    let members = || a.members.iter().chain(&b.members);
    let lo = *members().min().expect("members");
    let hi = *members().max().expect("members");
    (lo..=hi).all(|k| {
        let s = &statements[k].undo;
        members().any(|m| *m == k) || (s.statements.is_empty() && s.verdict != Verdict::Manual)
    })
}

/// Puts the group's statements on its holder and empties the other members; returns whether
/// any statement was built (not yet rendered).
fn write(statements: &mut [StatementUndo], g: Group) -> bool {
    let holder_line = statements[g.holder].location.line;
    let others: Vec<usize> = g
        .members
        .iter()
        .copied()
        .filter(|m| *m != g.holder)
        .collect();
    let (sql, summary) = match &g.work {
        // One ADD VALUE alone: the rule's own statements already say it all.
        Work::Recreate(rs) if rs.len() == 1 && others.is_empty() => return false,
        Work::Recreate(rs) => {
            let names: Vec<String> = rs.iter().map(|(_, r)| r.name.to_string()).collect();
            let recreations: Vec<&Recreation> = rs.iter().map(|(_, r)| r).collect();
            let lines = line_list(statements, &g.members);
            (
                recreation::statements(&recreations),
                if names.len() == 1 {
                    format!(
                        "the undo of lines {lines} is one recreation of enum {} with its values before this migration, so each table using it is rewritten once",
                        names[0]
                    )
                } else {
                    format!(
                        "the undo of lines {lines} is one recreation of enums {} with their values before this migration, so each table using them is rewritten once",
                        names.join(" and ")
                    )
                },
            )
        }
        Work::AddValues(sql, summary) => (sql.clone(), summary.clone()),
    };
    let holder = &mut statements[g.holder].undo;
    holder.statements = sql;
    if let Work::AddValues(..) = g.work {
        // The statement's own undo (the old type created again) is not done at all.
        holder.reason = summary;
    } else {
        append(&mut holder.reason, &summary);
    }
    for m in others {
        let undo = &mut statements[m].undo;
        undo.statements.clear();
        undo.reason = if matches!(undo.enum_fact.as_deref(), Some(EnumFact::Recreates { .. })) {
            // Still true: the one recreation removes this value too.
            format!(
                "{}; the one recreation under line {holder_line} does it",
                undo.reason
            )
        } else {
            format!(
                "undone together with the statements under line {holder_line} (alone, its undo {})",
                undo.reason
            )
        };
    }
    true
}

fn append(reason: &mut String, more: &str) {
    reason.push_str("; ");
    reason.push_str(more);
}

fn line_list(statements: &[StatementUndo], members: &[usize]) -> String {
    let mut lines: Vec<usize> = members
        .iter()
        .map(|m| statements[*m].location.line)
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prisma's enum swap of `name`, found in statements `start..end`.
struct Unit {
    end: usize,
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
fn swap_unit(statements: &[StatementUndo], start: usize) -> Option<Unit> {
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
fn settle(statements: &[StatementUndo], unit: Unit) -> Group {
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
