//! Maintenance commands that copy a whole table (or materialized view) under ACCESS
//! EXCLUSIVE: nothing reads or writes it until the copy is done.

use super::{table_cmds, Hazard, Rule};
use crate::explain::{Context, Impact};
use crate::sql::{pb, NodeEnum, QName};
use pb::AlterTableType as At;

/// The family's rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[Rule] = &[
    WHOLE_TABLE_REWRITE,
    REFRESH_MATERIALIZED_VIEW_WITHOUT_CONCURRENTLY,
];

rule! {
    /// REFRESH MATERIALIZED VIEW without CONCURRENTLY on a view in use
    ///
    /// ## What it finds
    ///
    /// `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` of a materialized view this migration did not create.
    ///
    /// ## Why it hurts
    ///
    /// The refresh holds ACCESS EXCLUSIVE on the view: every read of it waits until the query has run again and the contents are replaced.
    ///
    /// ## Example
    ///
    /// ```sql
    /// REFRESH MATERIALIZED VIEW "ScoreStats";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- needs a unique index on the view; takes EXCLUSIVE, so reads continue
    /// REFRESH MATERIALIZED VIEW CONCURRENTLY "ScoreStats";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER);
    /// CREATE MATERIALIZED VIEW "ScoreStats" AS SELECT "id", "value" FROM "Score";
    /// CREATE UNIQUE INDEX "ScoreStats_id_key" ON "ScoreStats"("id");
    ///
    /// -- this migration
    /// REFRESH MATERIALIZED VIEW CONCURRENTLY "ScoreStats";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE, or EXCLUSIVE with CONCURRENTLY; verified (facts notes). https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html
    ///
    /// ## squawk
    ///
    /// None in squawk 2.70.
    REFRESH_MATERIALIZED_VIEW_WITHOUT_CONCURRENTLY = "refresh-materialized-view-without-concurrently";
}

rule! {
    /// VACUUM FULL, CLUSTER or ALTER TABLE SET … copies a whole table under ACCESS EXCLUSIVE
    ///
    /// ## What it finds
    ///
    /// `VACUUM FULL`, `CLUSTER`, and `ALTER TABLE … SET LOGGED | SET UNLOGGED | SET TABLESPACE | SET ACCESS METHOD` on a table this migration did not create.
    ///
    /// ## Why it hurts
    ///
    /// Each copies the whole table into new storage under ACCESS EXCLUSIVE: nothing reads or writes it until the copy ends. `VACUUM` (FULL or not) also cannot run in a transaction block.
    ///
    /// ## Example
    ///
    /// ```sql
    /// VACUUM FULL "Log";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- online alternatives: pg_repack / pg_squeeze; or plain VACUUM, which only makes space reusable
    /// VACUUM "Log";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Log" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// VACUUM (ANALYZE) "Log";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE; rewrite; verified for VACUUM FULL, CLUSTER and SET UNLOGGED (facts notes). https://www.postgresql.org/docs/current/sql-vacuum.html, https://www.postgresql.org/docs/current/sql-cluster.html
    ///
    /// ## squawk
    ///
    /// None in squawk 2.70.
    WHOLE_TABLE_REWRITE = "whole-table-rewrite";
}

pub fn check(ctx: &Context<'_>, node: &NodeEnum, _impact: &Impact, out: &mut Vec<Hazard>) {
    match node {
        NodeEnum::VacuumStmt(s) if is_full(s) => {
            let help = "pg_repack (or pg_squeeze) rebuilds a table online; plain VACUUM reclaims space for reuse without the lock";
            out.push(Hazard::new(
                WHOLE_TABLE_REWRITE,
                "VACUUM FULL rewrites each table it names under ACCESS EXCLUSIVE: reads and writes wait for the whole copy",
                help,
            ));
        }
        NodeEnum::ClusterStmt(_) => out.push(Hazard::new(
            WHOLE_TABLE_REWRITE,
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
                    WHOLE_TABLE_REWRITE,
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
                REFRESH_MATERIALIZED_VIEW_WITHOUT_CONCURRENTLY,
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
