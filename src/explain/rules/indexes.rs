//! Index builds and drops on tables in use: without `CONCURRENTLY` they block writes (build)
//! or everything (drop, REINDEX) for as long as they run.

use super::{Hazard, Rule};
use crate::explain::{Context, Impact};
use crate::sql::blocks::has_concurrently;
use crate::sql::{pb, NodeEnum, QName};

/// The family's rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[Rule] = &[
    CREATE_INDEX_WITHOUT_CONCURRENTLY,
    DROP_INDEX_WITHOUT_CONCURRENTLY,
    REINDEX_WITHOUT_CONCURRENTLY,
];

rule! {
    /// an index built without CONCURRENTLY on a table in use
    ///
    /// ## What it finds
    ///
    /// `CREATE [UNIQUE] INDEX` without `CONCURRENTLY` on a table this migration did not create.
    ///
    /// ## Why it hurts
    ///
    /// A plain build holds a SHARE lock on the table: reads continue, every INSERT, UPDATE and DELETE waits until the whole index is built. `CONCURRENTLY` takes SHARE UPDATE EXCLUSIVE instead and lets writes through (two scans, and it first waits for transactions that could see the table). An index on a table created in the same migration is harmless and not reported.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE INDEX "Job_status_idx" ON "Job"("status");
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- alone in its own migration.sql: Prisma (≤ 7.3) sends a file as one transaction,
    /// -- and CONCURRENTLY cannot run in one (see non-transactional-in-transaction)
    /// CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job"("status");
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// CREATE TABLE "Run" ("id" TEXT PRIMARY KEY, "jobId" TEXT);
    /// CREATE INDEX "Run_jobId_idx" ON "Run"("jobId");
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: SHARE (plain) or SHARE UPDATE EXCLUSIVE (concurrently); verified (facts notes). A failed concurrent build leaves an INVALID index to drop. [https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY](https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY)
    ///
    /// ## squawk
    ///
    /// `require-concurrent-index-creation`; squawk 2.70 skips tables created in the same file only with `--assume-in-transaction` (checked).
    CREATE_INDEX_WITHOUT_CONCURRENTLY = "create-index-without-concurrently";
}

rule! {
    /// DROP INDEX without CONCURRENTLY on a table in use
    ///
    /// ## What it finds
    ///
    /// `DROP INDEX` without `CONCURRENTLY` of an index on a table this migration did not create.
    ///
    /// ## Why it hurts
    ///
    /// DROP INDEX takes ACCESS EXCLUSIVE on the index's *table*. It must wait for every running query on the table, and every query arriving meanwhile queues behind it.
    ///
    /// ## Example
    ///
    /// ```sql
    /// DROP INDEX "Job_status_idx";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- alone in its own migration.sql
    /// DROP INDEX CONCURRENTLY "Job_status_idx";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT);
    /// CREATE INDEX "Job_status_idx" ON "Job"("status");
    ///
    /// -- this migration
    /// DROP INDEX CONCURRENTLY "Job_status_idx";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: ACCESS EXCLUSIVE on the table, or SHARE UPDATE EXCLUSIVE with CONCURRENTLY (one index, no CASCADE, not for constraint indexes); verified (facts notes). [https://www.postgresql.org/docs/current/sql-dropindex.html](https://www.postgresql.org/docs/current/sql-dropindex.html)
    ///
    /// ## squawk
    ///
    /// `require-concurrent-index-deletion`.
    DROP_INDEX_WITHOUT_CONCURRENTLY = "drop-index-without-concurrently";
}

rule! {
    /// REINDEX without CONCURRENTLY on an index in use
    ///
    /// ## What it finds
    ///
    /// `REINDEX INDEX|TABLE` without `CONCURRENTLY`.
    ///
    /// ## Why it hurts
    ///
    /// REINDEX holds SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each index it rebuilds; since the planner locks every index of a table it plans for, almost every query on the table waits.
    ///
    /// ## Example
    ///
    /// ```sql
    /// REINDEX INDEX "Job_status_idx";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- PostgreSQL ≥ 12, alone in its own migration.sql
    /// REINDEX INDEX CONCURRENTLY "Job_status_idx";
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT);
    /// CREATE INDEX "Job_status_idx" ON "Job"("status");
    ///
    /// -- this migration
    /// REINDEX INDEX CONCURRENTLY "Job_status_idx";
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Lock: SHARE on the table + ACCESS EXCLUSIVE on the index; CONCURRENTLY: SHARE UPDATE EXCLUSIVE, not in a transaction block; verified (facts notes). [https://www.postgresql.org/docs/current/sql-reindex.html](https://www.postgresql.org/docs/current/sql-reindex.html)
    ///
    /// ## squawk
    ///
    /// `require-concurrent-reindex` (squawk 2.70, checked).
    REINDEX_WITHOUT_CONCURRENTLY = "reindex-without-concurrently";
}

pub fn check(ctx: &Context<'_>, node: &NodeEnum, _impact: &Impact, out: &mut Vec<Hazard>) {
    match node {
        NodeEnum::IndexStmt(s) if !s.concurrent => create_index(ctx, s, out),
        NodeEnum::DropStmt(s)
            if !s.concurrent && s.remove_type == pb::ObjectType::ObjectIndex as i32 =>
        {
            drop_index(ctx, s, out)
        }
        NodeEnum::ReindexStmt(s) if !has_concurrently(&s.params) => {
            if let Some(rv) = &s.relation {
                out.push(Hazard::new(
                    REINDEX_WITHOUT_CONCURRENTLY,
                    format!("REINDEX of {} blocks writes to its table and every query that would use the index until the rebuild ends", QName::from_range_var(rv)),
                    format!("REINDEX … CONCURRENTLY (PostgreSQL ≥ 12), alone in {}", ctx.file.on_its_own()),
                ));
            }
        }
        _ => {}
    }
}

/// `create-index-without-concurrently`: a plain build holds SHARE on the table (writes wait)
/// for the whole build. Harmless on a table the same migration creates.
fn create_index(ctx: &Context<'_>, s: &pb::IndexStmt, out: &mut Vec<Hazard>) {
    let Some(rv) = &s.relation else { return };
    let table = QName::from_range_var(rv);
    if !ctx.existing(&table) {
        return;
    }
    let unique = if s.unique { "unique " } else { "" };
    let name = if s.idxname.is_empty() {
        String::new()
    } else {
        format!(" {}", crate::sql::quote::Ident(&s.idxname))
    };
    out.push(Hazard::new(
        CREATE_INDEX_WITHOUT_CONCURRENTLY,
        format!("{unique}index{name} is built without CONCURRENTLY on existing table {table}: writes to it wait (SHARE lock) for the whole build"),
        format!("CREATE INDEX CONCURRENTLY, alone in {}", ctx.file.on_its_own()),
    ));
}

/// `drop-index-without-concurrently`: DROP INDEX takes ACCESS EXCLUSIVE on the table, and
/// waits behind every running query on it while blocking every new one.
fn drop_index(ctx: &Context<'_>, s: &pb::DropStmt, out: &mut Vec<Hazard>) {
    for object in &s.objects {
        let Some(NodeEnum::List(list)) = &object.node else {
            continue;
        };
        let name = QName::from_name_nodes(&list.items);
        let index = ctx.catalog.indexes.get(&name);
        if let Some(i) = index {
            if !ctx.existing(&i.table) {
                continue;
            }
            if i.constraint.is_some() {
                continue; // a constraint's index is dropped with ALTER TABLE, never here
            }
        }
        let on = index.map(|i| format!(" {}", i.table)).unwrap_or_default();
        let partitioned = index
            .and_then(|i| ctx.catalog.table(&i.table))
            .is_some_and(|t| t.is_partitioned());
        let hazard = Hazard::new(
            DROP_INDEX_WITHOUT_CONCURRENTLY,
            format!("DROP INDEX {name} locks its table{on} ACCESS EXCLUSIVE: reads and writes queue behind it"),
            if partitioned {
                "a partitioned table's index has no concurrent drop: run it when the table is quiet, with a short lock_timeout".to_string()
            } else {
                format!("DROP INDEX CONCURRENTLY, alone in {}", ctx.file.on_its_own())
            },
        );
        out.push(if partitioned {
            hazard.unavoidable(
                "PostgreSQL has no DROP INDEX CONCURRENTLY for a partitioned table's index",
            )
        } else {
            hazard
        });
    }
}
