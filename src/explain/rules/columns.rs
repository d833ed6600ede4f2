//! Column changes on a table that already holds rows: required columns, rewrites, scans.

use super::{table_cmds, Hazard, Rule};
use crate::explain::impact::{column_type_rewrite, has_valid_not_null_check};
use crate::explain::rewrite::{self, Rewrite};
use crate::explain::Context;
use crate::sql::names::quote_for_message;
use crate::sql::{pb, NodeEnum};
use pb::AlterTableType as At;

pub fn check(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let Some((table, cmds)) = table_cmds(node) else {
        return;
    };
    if !ctx.existing(&table) {
        return;
    }
    for cmd in cmds {
        let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
        match (At::try_from(cmd.subtype), def) {
            (Ok(At::AtAddColumn), Some(NodeEnum::ColumnDef(d))) => {
                add_column_not_null_without_default(&table, d, out);
                add_column_rewrites_table(&table, d, out);
            }
            (Ok(At::AtAlterColumnType), Some(NodeEnum::ColumnDef(d))) => {
                if let Rewrite::Yes(why) = column_type_rewrite(ctx, &table, &cmd.name, d) {
                    out.push(Hazard::new(
                        Rule::AlterColumnTypeRewritesTable,
                        format!("changing the type of {table}.{} rewrites the table and its indexes under ACCESS EXCLUSIVE: {why}", quote_for_message(&cmd.name)),
                        "add a new column of the new type, backfill it in batches, switch the application over, then drop the old column (expand/contract)",
                    ));
                }
            }
            (Ok(At::AtSetNotNull), _) if !has_valid_not_null_check(ctx, &table, &cmd.name) => {
                out.push(Hazard::new(
                        Rule::SetNotNullScansTable,
                        format!("SET NOT NULL on {table}.{} scans the whole table under ACCESS EXCLUSIVE", quote_for_message(&cmd.name)),
                        format!("first ADD CONSTRAINT … CHECK ({} IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE), then SET NOT NULL (no scan, PostgreSQL ≥ 12) and drop the CHECK", quote_for_message(&cmd.name)),
                    ));
            }
            _ => {}
        }
    }
}

/// `add-column-not-null-without-default`: fails as soon as the table holds a row.
fn add_column_not_null_without_default(
    table: &crate::sql::QName,
    d: &pb::ColumnDef,
    out: &mut Vec<Hazard>,
) {
    use pb::ConstrType as C;
    let kinds: Vec<C> = d
        .constraints
        .iter()
        .filter_map(|c| match &c.node {
            Some(NodeEnum::Constraint(c)) => C::try_from(c.contype).ok(),
            _ => None,
        })
        .collect();
    let not_null = kinds
        .iter()
        .any(|k| matches!(k, C::ConstrNotnull | C::ConstrPrimary));
    let filled = kinds
        .iter()
        .any(|k| matches!(k, C::ConstrDefault | C::ConstrIdentity | C::ConstrGenerated));
    let serial = d.type_name.as_ref().is_some_and(|t| {
        matches!(
            rewrite::type_base(t).as_str(),
            "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
        )
    });
    if not_null && !filled && !serial {
        out.push(Hazard::new(
            Rule::AddColumnNotNullWithoutDefault,
            format!("column {table}.{} is added NOT NULL without a default: the migration fails on a table that holds rows (\"contains null values\")", quote_for_message(&d.colname)),
            "add it with a DEFAULT (a constant default costs no rewrite since PostgreSQL 11), or add it nullable, backfill, then SET NOT NULL safely",
        ));
    }
}

/// `add-column-rewrites-table`: a volatile default, serial, identity or stored generated
/// column is computed for every row, rewriting the table under ACCESS EXCLUSIVE.
fn add_column_rewrites_table(table: &crate::sql::QName, d: &pb::ColumnDef, out: &mut Vec<Hazard>) {
    let (certain, why) = match rewrite::add_column(d) {
        Rewrite::Yes(why) => (true, why),
        Rewrite::Maybe(why) => (false, why),
        Rewrite::No => return,
    };
    let verb = if certain { "rewrites" } else { "may rewrite" };
    out.push(Hazard::new(
        Rule::AddColumnRewritesTable,
        format!("adding {table}.{} {verb} the table and its indexes under ACCESS EXCLUSIVE: {why}", quote_for_message(&d.colname)),
        "add the column without the default (or with a constant one), set the default afterwards for new rows, and backfill existing rows in batches",
    ));
}
