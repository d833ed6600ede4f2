//! One `ALTER TABLE` per table for the type changes an undo makes back: each column type
//! change that is not binary-coercible rewrites the whole table, and PostgreSQL rewrites it
//! once for all the `ALTER COLUMN … TYPE` subcommands of one statement. So the undos of type
//! changes of one table that run one after the other (only statements with nothing to run
//! between them) are written as one `ALTER TABLE`, with their `DROP DEFAULT` and
//! `SET DEFAULT` subcommands (PostgreSQL runs every `DROP DEFAULT` of a statement before its
//! type changes, and every `SET DEFAULT` after them, as the separate statements did).
//!
//! A member's undo is recognised from its rendered SQL: every statement (guards aside) an
//! `ALTER TABLE` of the table with only `ALTER COLUMN … TYPE` and `SET/DROP DEFAULT`
//! subcommands, at least one type change among them, none twice; two members never change
//! the same column (PostgreSQL refuses to alter a column's type twice in one statement). Every
//! statement keeps its verdict; its reason says where its undo went.

use super::{Placement, StatementUndo, UndoSql, Verdict};
use crate::sql::{build, deparse, pb, NodeEnum, QName};
use pb::AlterTableType as At;

/// The pass (see the module comment), over one migration's statement undos in forward
/// order, their statements rendered.
pub fn one_rewrite_per_table(statements: &mut [StatementUndo]) {
    // Boxed: nearly every statement is no member, and a long migration has a slot for each.
    let retypes: Vec<Option<Box<Retype>>> = statements
        .iter()
        .map(|s| retype_of(s).map(Box::new))
        .collect();
    // Runs of members in undo order (forward order reversed).
    let mut run: Vec<usize> = Vec::new();
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for i in (0..statements.len()).rev() {
        match &retypes[i] {
            Some(r) => {
                let fits = run.first().is_some_and(|&f| {
                    let first = retypes[f].as_ref().expect("member");
                    first.table == r.table
                        && run.iter().all(|&m| {
                            let other = retypes[m].as_ref().expect("member");
                            other.columns.iter().all(|c| !r.columns.contains(c))
                        })
                });
                if !fits {
                    runs.push(std::mem::take(&mut run));
                }
                run.push(i);
            }
            None => {
                let undo = &statements[i].undo;
                let idle = undo.verdict != Verdict::Manual
                    && undo
                        .statements
                        .iter()
                        .all(|s| s.placement == Placement::Guard);
                if !idle && !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
            }
        }
    }
    runs.push(run);
    for run in runs.into_iter().filter(|r| r.len() > 1) {
        merge(statements, &retypes, &run);
    }
}

/// What a member's undo does: its table, the columns it converts back, its subcommands.
struct Retype {
    table: QName,
    columns: Vec<String>,
    cmds: Vec<pb::Node>,
}

fn retype_of(s: &StatementUndo) -> Option<Retype> {
    if s.undo.verdict == Verdict::Manual {
        return None;
    }
    // Parsing every undo statement cost a fifth of generation: only undos of `ALTER TABLE`s
    // with a type change among them can be members, and their text says so before any parse.
    let steps = || {
        s.undo
            .statements
            .iter()
            .filter(|sql| sql.placement != Placement::Guard)
    };
    if !steps().all(|sql| sql.sql.starts_with("ALTER TABLE "))
        || !steps().any(|sql| sql.sql.contains(" TYPE "))
    {
        return None;
    }
    let mut table: Option<QName> = None;
    let mut columns: Vec<String> = Vec::new();
    let mut cmds = Vec::new();
    for sql in s.undo.statements.iter() {
        if sql.placement == Placement::Guard {
            continue;
        }
        if sql.placement != Placement::InOrder || sql.concurrent {
            return None;
        }
        let parsed = pg_query::parse(&sql.sql, 0).ok()?;
        let [raw] = parsed.protobuf.stmts.as_slice() else {
            return None;
        };
        let Some(NodeEnum::AlterTableStmt(a)) = raw.stmt.as_ref()?.node.as_ref() else {
            return None;
        };
        if a.objtype != pb::ObjectType::ObjectTable as i32 || a.missing_ok {
            return None;
        }
        let t = QName::from_range_var(a.relation.as_ref()?);
        if table.get_or_insert_with(|| t.clone()) != &t {
            return None;
        }
        for cmd in &a.cmds {
            let Some(NodeEnum::AlterTableCmd(c)) = cmd.node.as_ref() else {
                return None;
            };
            match At::try_from(c.subtype).ok()? {
                At::AtAlterColumnType if !columns.contains(&c.name) => columns.push(c.name.clone()),
                At::AtColumnDefault => {}
                _ => return None,
            }
            cmds.push(cmd.clone());
        }
    }
    if columns.is_empty() {
        return None;
    }
    Some(Retype {
        table: table?,
        columns,
        cmds,
    })
}

/// Writes the run's subcommands as one `ALTER TABLE` on its first member (in undo order)
/// and empties the others' steps (guards stay where they are).
fn merge(statements: &mut [StatementUndo], retypes: &[Option<Box<Retype>>], run: &[usize]) {
    let first = retypes[run[0]].as_ref().expect("member");
    let mut cmds: Vec<pb::AlterTableCmd> = Vec::new();
    for &m in run {
        for cmd in &retypes[m].as_ref().expect("member").cmds {
            if let Some(NodeEnum::AlterTableCmd(c)) = &cmd.node {
                cmds.push(c.as_ref().clone());
            }
        }
    }
    let Ok(sql) = deparse(build::alter_table(&first.table, cmds)) else {
        return; // each keeps its own statements
    };
    let holder = run[0];
    let holder_line = statements[holder].location.line;
    let mut lines: Vec<usize> = run.iter().map(|&m| statements[m].location.line).collect();
    lines.sort_unstable();
    lines.dedup();
    let lines = lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let table = first.table.clone();
    for &m in run {
        let undo = &mut statements[m].undo;
        undo.statements.retain(|s| s.placement == Placement::Guard);
        if m == holder {
            undo.statements.push(UndoSql::text(sql.clone(), false));
            undo.reason.push_str(&format!(
                "; the undo of lines {lines} is one ALTER TABLE {table}, so the table is rewritten once"
            ));
        } else {
            undo.reason = format!(
                "{}; done by the one ALTER TABLE {table} under line {holder_line} (one rewrite of the table)",
                undo.reason
            );
        }
    }
}
