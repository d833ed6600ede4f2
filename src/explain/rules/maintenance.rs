//! Maintenance commands that copy a whole table (or materialized view) under ACCESS
//! EXCLUSIVE: nothing reads or writes it until the copy is done.

use super::{table_cmds, Hazard, Rule};
use crate::explain::Context;
use crate::sql::{pb, NodeEnum, QName};
use pb::AlterTableType as At;

pub fn check(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
    match node {
        NodeEnum::VacuumStmt(s) if is_full(s) => {
            let help = "pg_repack (or pg_squeeze) rebuilds a table online; plain VACUUM reclaims space for reuse without the lock";
            out.push(Hazard::new(
                Rule::WholeTableRewrite,
                "VACUUM FULL rewrites each table it names under ACCESS EXCLUSIVE: reads and writes wait for the whole copy",
                help,
            ));
        }
        NodeEnum::ClusterStmt(_) => out.push(Hazard::new(
            Rule::WholeTableRewrite,
            "CLUSTER rewrites the table in index order under ACCESS EXCLUSIVE: reads and writes wait for the whole copy",
            "pg_repack --order-by reorders a table online; or leave the order to a maintenance window",
        )),
        NodeEnum::AlterTableStmt(_) => {
            let Some((table, cmds)) = table_cmds(node) else {
                return;
            };
            if !ctx.existing(&table) {
                return;
            }
            for cmd in cmds {
                let what = match At::try_from(cmd.subtype) {
                    Ok(At::AtSetLogged) => "SET LOGGED",
                    Ok(At::AtSetUnLogged) => "SET UNLOGGED",
                    Ok(At::AtSetTableSpace) => "SET TABLESPACE",
                    Ok(At::AtSetAccessMethod) => "SET ACCESS METHOD",
                    _ => continue,
                };
                out.push(Hazard::new(
                    Rule::WholeTableRewrite,
                    format!("ALTER TABLE {table} {what} copies the table under ACCESS EXCLUSIVE: reads and writes wait for the whole copy"),
                    "run it in a maintenance window, or build the new table beside the old one and switch over",
                ));
            }
        }
        NodeEnum::RefreshMatViewStmt(s) if !s.concurrent => {
            let Some(rv) = &s.relation else { return };
            let view = QName::from_range_var(rv);
            if !ctx.existing(&view) {
                return;
            }
            out.push(Hazard::new(
                Rule::RefreshMaterializedViewWithoutConcurrently,
                format!("REFRESH MATERIALIZED VIEW {view} locks it ACCESS EXCLUSIVE: every read of it waits for the refresh"),
                "REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view; reads continue)",
            ));
        }
        _ => {}
    }
}

fn is_full(s: &pb::VacuumStmt) -> bool {
    s.is_vacuumcmd
        && s.options
            .iter()
            .any(|o| matches!(&o.node, Some(NodeEnum::DefElem(d)) if d.defname == "full"))
}
