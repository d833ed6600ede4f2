//! Constraints added to a table that already holds rows: validated at once (a full scan
//! under a lock that blocks writes), or backed by an index built under ACCESS EXCLUSIVE.

use super::{table_cmds, Hazard, Rule};
use crate::explain::Context;
use crate::sql::{pb, NodeEnum, QName};
use pb::AlterTableType as At;
use pb::ConstrType as C;

pub fn check(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let Some((table, cmds)) = table_cmds(node) else {
        return;
    };
    for cmd in cmds {
        let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
        match (At::try_from(cmd.subtype), def) {
            (Ok(At::AtAddConstraint), Some(NodeEnum::Constraint(c))) if ctx.existing(&table) => {
                added(&table, c, out)
            }
            (Ok(At::AtAddColumn), Some(NodeEnum::ColumnDef(d))) if ctx.existing(&table) => {
                for c in d.constraints.iter().filter_map(|c| match &c.node {
                    Some(NodeEnum::Constraint(c)) => Some(c),
                    _ => None,
                }) {
                    // A new column is NULL (or its constant default) everywhere; only a
                    // foreign key or CHECK over it still reads every row, and UNIQUE builds
                    // an index.
                    added(&table, c, out);
                }
            }
            (Ok(At::AtValidateConstraint), _) => {
                validate_in_same_transaction(ctx, &table, &cmd.name, out)
            }
            _ => {}
        }
    }
}

fn added(table: &QName, c: &pb::Constraint, out: &mut Vec<Hazard>) {
    let name = if c.conname.is_empty() {
        String::new()
    } else {
        format!(" {}", crate::sql::names::quote_for_message(&c.conname))
    };
    match C::try_from(c.contype).unwrap_or(C::Undefined) {
        C::ConstrForeign if !c.skip_validation => {
            let target = c.pktable.as_ref().map(QName::from_range_var);
            let locked = match target {
                Some(t) if &t != table => format!("both {table} and {t} are"),
                _ => format!("{table} is"),
            };
            out.push(Hazard::new(
                Rule::AddForeignKeyWithoutNotValid,
                format!("foreign key{name} on {table} is validated at once: {locked} locked SHARE ROW EXCLUSIVE (writes blocked) while every row is checked"),
                "add it with NOT VALID (a brief lock, no scan), then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE: writes continue)",
            ));
        }
        C::ConstrCheck if !c.skip_validation => out.push(Hazard::new(
            Rule::AddCheckWithoutNotValid,
            format!("CHECK constraint{name} on {table} is validated at once: every row is read under ACCESS EXCLUSIVE (reads and writes blocked)"),
            "add it with NOT VALID, then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE: reads and writes continue)",
        )),
        C::ConstrPrimary | C::ConstrUnique | C::ConstrExclusion if c.indexname.is_empty() => {
            let kind = match C::try_from(c.contype) {
                Ok(C::ConstrPrimary) => "PRIMARY KEY",
                Ok(C::ConstrExclusion) => "EXCLUDE",
                _ => "UNIQUE",
            };
            let help = if kind == "EXCLUDE" {
                "an exclusion constraint has no USING INDEX or NOT VALID form: schedule it for a quiet moment, or enforce it in the application until then"
            } else {
                "CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then ADD CONSTRAINT … UNIQUE/PRIMARY KEY USING INDEX (a brief lock)"
            };
            out.push(Hazard::new(
                Rule::AddUniqueConstraintBuildsIndex,
                format!("{kind} constraint{name} on {table} builds its index under ACCESS EXCLUSIVE: reads and writes wait for the whole build"),
                help,
            ));
        }
        _ => {}
    }
}

/// `validate-in-same-transaction`: validating a constraint added NOT VALID in the same
/// transaction keeps the ADD's ACCESS EXCLUSIVE lock through the scan, so NOT VALID bought
/// nothing.
fn validate_in_same_transaction(ctx: &Context, table: &QName, name: &str, out: &mut Vec<Hazard>) {
    let added_here = ctx.earlier().find(|(i, node)| {
        ctx.file.same_transaction(*i, ctx.index)
            && table_cmds(node).is_some_and(|(t, mut cmds)| {
                &t == table
                    && cmds.any(|cmd| {
                        matches!(cmd.def.as_deref().and_then(|d| d.node.as_ref()),
                            Some(NodeEnum::Constraint(c)) if c.skip_validation && c.conname == name)
                    })
            })
    });
    if added_here.is_some() {
        out.push(Hazard::new(
            Rule::ValidateInSameTransaction,
            format!("constraint {} on {table} is added NOT VALID and validated in the same transaction: the ADD's ACCESS EXCLUSIVE lock is held through the validating scan", crate::sql::names::quote_for_message(name)),
            "move VALIDATE CONSTRAINT to a later migration, so it runs in a transaction of its own under SHARE UPDATE EXCLUSIVE",
        ));
    }
}
