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

use super::recreation::{self, Recreation};
use super::swap;
use crate::catalog::{rename_object_qname, Catalog};
use crate::sql::{pb, string_list, NodeEnum, QName};
use crate::undo::{StatementUndo, UndoSql, Verdict};
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
    pub(super) table: QName,
    pub(super) column: String,
    pub(super) array: bool,
    pub(super) from: QName,
    pub(super) from_values: Vec<String>,
    pub(super) to: QName,
    pub(super) to_values: Vec<String>,
    pub(super) default: Option<pb::Node>,
    /// The forward's `USING`, if any.
    pub(super) using: Option<pb::Node>,
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
pub(super) enum Work {
    /// Recreations done together (each with the statement it comes from).
    Recreate(Vec<(usize, Recreation)>),
    /// Values added back to a type, no rewrite.
    AddValues(Vec<UndoSql>, String),
}

/// Statements whose undo one set of statements does, held by one of them.
pub(super) struct Group {
    pub(super) holder: usize,
    pub(super) members: Vec<usize>,
    pub(super) work: Work,
    /// For `ADD VALUE`s of one type: the values after the last of them, to chain the next.
    pub(super) chain: Option<(QName, Vec<String>)>,
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
                if let Some(unit) = swap::swap_unit(statements, i) {
                    i = unit.end;
                    groups.push(swap::settle(statements, unit));
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

pub(super) fn line_list(statements: &[StatementUndo], members: &[usize]) -> String {
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
