//! The impact of `ALTER TABLE`, command by command.

use super::{relation, table, Change, Impact, LockMode, Relation};
use crate::explain::rewrite::{self, Rewrite};
use crate::explain::Context;
use crate::sql::quote::Ident;
use crate::sql::{pb, NodeEnum, QName};
use pb::AlterTableType as At;

pub(super) fn alter_table(ctx: &Context<'_>, s: &pb::AlterTableStmt, impact: &mut Impact) {
    let Some(rv) = &s.relation else { return };
    let name = QName::from_range_var(rv);
    if s.objtype == pb::ObjectType::ObjectIndex as i32 {
        impact.lock(
            LockMode::ShareUpdateExclusive,
            relation(ctx, &name, "index"),
        );
        return;
    }
    let on = table(ctx, &name);
    for cmd in &s.cmds {
        if let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node {
            alter_table_cmd(ctx, &name, &on, cmd, impact);
        }
    }
}

/// One `ALTER TABLE` command. Locks follow `AlterTableGetLockLevel` as the documentation of
/// ALTER TABLE describes it: ACCESS EXCLUSIVE unless a command is documented weaker.
fn alter_table_cmd(
    ctx: &Context<'_>,
    name: &QName,
    on: &Relation,
    cmd: &pb::AlterTableCmd,
    impact: &mut Impact,
) {
    use LockMode::*;
    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
    match subtype {
        At::AtAddColumn => {
            impact.lock(AccessExclusive, on.clone());
            if let Some(NodeEnum::ColumnDef(d)) = def {
                let rewrite = rewrite::add_column(d);
                impact.change(&d.colname, Change::Added(rewrite.clone()));
                match rewrite {
                    Rewrite::Yes(why) => impact.rewrite(on.clone(), why),
                    Rewrite::Maybe(why) => impact.note(format!("may rewrite {}: {why}", on.name)),
                    Rewrite::No => {}
                }
                for c in inline_constraints(d) {
                    constraint(ctx, on, c, impact);
                }
            }
        }
        At::AtAlterColumnType => {
            impact.lock(AccessExclusive, on.clone());
            if let Some(NodeEnum::ColumnDef(d)) = def {
                let rewrite = column_type_rewrite(ctx, name, &cmd.name, d);
                impact.change(&cmd.name, Change::TypeChanged(rewrite.clone()));
                match rewrite {
                    Rewrite::Yes(why) => impact.rewrite(on.clone(), why),
                    Rewrite::Maybe(why) => impact.note(format!("may rewrite {}: {why}", on.name)),
                    Rewrite::No => impact.note(format!(
                        "{}: the new type is binary-coercible, so no rewrite (indexes on the column may still be rebuilt)",
                        Ident(&cmd.name)
                    )),
                }
            }
        }
        At::AtSetNotNull => {
            impact.lock(AccessExclusive, on.clone());
            let scans = !has_valid_not_null_check(ctx, name, &cmd.name);
            impact.change(&cmd.name, Change::SetNotNull { scans });
            if scans {
                impact.scan(on.clone(), format!("SET NOT NULL checks every row of {} (skipped only when a valid CHECK ({} IS NOT NULL) exists)", on.name, Ident(&cmd.name)));
            }
            impact.note("fails if any row holds NULL");
        }
        At::AtAddConstraint => {
            // A foreign key alone needs only SHARE ROW EXCLUSIVE (on both tables); every other
            // constraint takes ACCESS EXCLUSIVE.
            let foreign = matches!(def, Some(NodeEnum::Constraint(c)) if c.contype == pb::ConstrType::ConstrForeign as i32);
            if !foreign {
                impact.lock(AccessExclusive, on.clone());
            }
            if let Some(NodeEnum::Constraint(c)) = def {
                constraint(ctx, on, c, impact);
            }
        }
        At::AtValidateConstraint => {
            impact.lock(ShareUpdateExclusive, on.clone());
            impact.scan(on.clone(), "VALIDATE CONSTRAINT checks every row");
            let fk = ctx
                .catalog
                .table(name)
                .and_then(|t| t.constraint(&cmd.name))
                .and_then(|c| c.references.clone());
            if let Some((target, _)) = fk {
                impact.lock(RowShare, table(ctx, &target));
            }
        }
        At::AtDropConstraint => {
            impact.lock(AccessExclusive, on.clone());
            let references = ctx
                .catalog
                .table(name)
                .and_then(|t| t.constraint(&cmd.name))
                .and_then(|c| c.references.clone());
            if let Some((target, _)) = references.filter(|(target, _)| target != name) {
                impact.lock(AccessExclusive, table(ctx, &target));
                impact.note(format!(
                    "{target} is locked too, to remove the foreign key's triggers (measured on PostgreSQL 15)"
                ));
            }
        }
        At::AtDropColumn => {
            impact.lock(AccessExclusive, on.clone());
            // A foreign key of the table on the column goes with it, and its triggers on the
            // referenced table with the key (as for DROP CONSTRAINT).
            let targets: Vec<QName> = ctx
                .catalog
                .table(name)
                .map(|t| {
                    t.constraints
                        .iter()
                        .filter(|c| c.columns.contains(&cmd.name))
                        .filter_map(|c| c.references.as_ref().map(|(target, _)| target.clone()))
                        .filter(|target| target != name)
                        .collect()
                })
                .unwrap_or_default();
            for target in targets {
                impact.lock(AccessExclusive, table(ctx, &target));
                impact.note(format!(
                    "{target} is locked too, to remove the triggers of the foreign key that goes with the column"
                ));
            }
        }
        At::AtAttachPartition => {
            impact.lock(ShareUpdateExclusive, on.clone());
            if let Some(NodeEnum::PartitionCmd(p)) = def {
                if let Some(rv) = &p.name {
                    let part = table(ctx, &QName::from_range_var(rv));
                    impact.lock(AccessExclusive, part.clone());
                    impact.scan(part, "the partition constraint is checked on every row, unless a matching valid CHECK exists");
                }
            }
        }
        At::AtDetachPartition => {
            let concurrent = matches!(def, Some(NodeEnum::PartitionCmd(p)) if p.concurrent);
            impact.lock(
                if concurrent {
                    ShareUpdateExclusive
                } else {
                    AccessExclusive
                },
                on.clone(),
            );
            if let Some(NodeEnum::PartitionCmd(p)) = def {
                if let Some(rv) = &p.name {
                    impact.lock(AccessExclusive, table(ctx, &QName::from_range_var(rv)));
                }
            }
        }
        At::AtSetLogged | At::AtSetUnLogged | At::AtSetTableSpace | At::AtSetAccessMethod => {
            impact.lock(AccessExclusive, on.clone());
            impact.rewrite(on.clone(), "the table is copied into new storage");
        }
        At::AtSetRelOptions
        | At::AtResetRelOptions
        | At::AtSetStatistics
        | At::AtClusterOn
        | At::AtDropCluster => impact.lock(ShareUpdateExclusive, on.clone()),
        At::AtEnableTrig
        | At::AtEnableAlwaysTrig
        | At::AtEnableReplicaTrig
        | At::AtDisableTrig
        | At::AtEnableTrigAll
        | At::AtDisableTrigAll
        | At::AtEnableTrigUser
        | At::AtDisableTrigUser => impact.lock(ShareRowExclusive, on.clone()),
        _ => impact.lock(AccessExclusive, on.clone()),
    }
}

fn inline_constraints(d: &pb::ColumnDef) -> impl Iterator<Item = &pb::Constraint> {
    d.constraints.iter().filter_map(|c| match &c.node {
        Some(NodeEnum::Constraint(c)) => Some(&**c),
        _ => None,
    })
}

/// Locks and scans of adding one constraint (also inline in `ADD COLUMN`).
fn constraint(ctx: &Context<'_>, on: &Relation, c: &pb::Constraint, impact: &mut Impact) {
    use pb::ConstrType as C;
    match C::try_from(c.contype).unwrap_or(C::Undefined) {
        C::ConstrForeign => {
            impact.lock(LockMode::ShareRowExclusive, on.clone());
            if let Some(rv) = &c.pktable {
                let target = table(ctx, &QName::from_range_var(rv));
                impact.lock(LockMode::ShareRowExclusive, target.clone());
                if !c.skip_validation {
                    impact.scan(
                        on.clone(),
                        "every row is checked against the referenced table",
                    );
                    impact.scan(target, "looked up for every referencing row");
                }
            }
        }
        C::ConstrCheck if !c.skip_validation => {
            impact.scan(on.clone(), "the CHECK is evaluated on every row");
        }
        C::ConstrPrimary | C::ConstrUnique | C::ConstrExclusion if c.indexname.is_empty() => {
            impact.scan(
                on.clone(),
                "the constraint's index is built from the whole table",
            );
            impact.note("fails if existing rows hold duplicates (or NULLs, for a primary key)");
        }
        C::ConstrPrimary if !c.indexname.is_empty() => {
            impact.note("a primary key USING INDEX sets NOT NULL on its columns, which scans the table when they are nullable");
        }
        _ => {}
    }
}

/// Whether the model holds a validated `CHECK (column IS NOT NULL)` on the table, which
/// lets `SET NOT NULL` skip its scan (PostgreSQL ≥ 12).
fn has_valid_not_null_check(ctx: &Context<'_>, table: &QName, column: &str) -> bool {
    let Some(t) = ctx.catalog.table(table) else {
        return false;
    };
    t.constraints.iter().any(|c| {
        c.kind == crate::catalog::ConstraintKind::Check
            && !c.not_valid
            && matches!(
                c.def.unpack().raw_expr.and_then(|e| e.node),
                Some(NodeEnum::NullTest(n))
                    if n.nulltesttype == pb::NullTestType::IsNotNull as i32
                        && n.arg.as_deref().is_some_and(|a| crate::sql::refs::column_refs(a) == [column.to_string()])
            )
    })
}

/// Whether `ALTER COLUMN … TYPE` rewrites, from the column's type in the model.
fn column_type_rewrite(
    ctx: &Context<'_>,
    table: &QName,
    column: &str,
    d: &pb::ColumnDef,
) -> Rewrite {
    let Some(new) = &d.type_name else {
        return Rewrite::Maybe("no new type".into());
    };
    let old = ctx
        .catalog
        .table(table)
        .and_then(|t| t.column(column))
        .map(|c| c.type_name.unpack());
    match old {
        Some(old) => rewrite::type_change(&old, new, d.raw_default.as_deref(), column),
        None => Rewrite::Maybe(format!(
            "the model does not know the current type of {column}; the table is rewritten unless the change is binary-coercible"
        )),
    }
}
