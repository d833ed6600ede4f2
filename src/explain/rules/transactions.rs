//! Transaction rules as the migration runner applies the file: statements PostgreSQL
//! refuses inside a transaction block, and enum values used before the transaction that
//! adds them commits.

use super::{Hazard, Rule};
use crate::explain::impact::LockMode;
use crate::explain::tree::mentions_string;
use crate::explain::{Context, Impact};
use crate::migrations::{ApplyMode, Transaction};
use crate::sql::blocks::outside_transaction_only;
use crate::sql::{NodeEnum, QName};

/// The family's rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[Rule] = &[
    NON_TRANSACTIONAL_IN_TRANSACTION,
    ENUM_VALUE_ADDED_AND_USED,
    BACKFILL_HOLDING_DDL_LOCK,
];

/// The statements the rules of this family that cite another statement's line fire on
/// (see [`super::CITING_LINES`]): `enum-value-added-and-used` on `ADD VALUE`,
/// `backfill-holding-ddl-lock` on `UPDATE` and `DELETE`.
pub(super) fn may_cite_lines(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::AlterEnumStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_)
    )
}

pub fn check(ctx: &Context<'_>, node: &NodeEnum, _impact: &Impact, out: &mut Vec<Hazard>) {
    non_transactional_in_transaction(ctx, node, out);
    enum_value_added_and_used(ctx, node, out);
    backfill_holding_ddl_lock(ctx, node, out);
}

rule! {
    /// an UPDATE or DELETE in the transaction that holds a DDL lock on its table
    ///
    /// ## What it finds
    ///
    /// An `UPDATE` or `DELETE` of a table this migration did not create, after a statement of the
    /// **same transaction** locked that table SHARE or stronger (`ADD COLUMN`, `ALTER COLUMN`, a plain
    /// `CREATE INDEX`, …). With Prisma ≤ 7.3 the whole `migration.sql` is one transaction, so this is
    /// the common "add a column, backfill it, make it NOT NULL" file.
    ///
    /// ## Why it hurts
    ///
    /// PostgreSQL releases locks only at commit. The `ADD COLUMN`'s ACCESS EXCLUSIVE lock is therefore
    /// held for as long as the backfill runs: on a large table, every read and write of it waits for the
    /// whole UPDATE, not for the instant the column needed. (A backfill before the DDL in the same file
    /// does not have this problem, but still holds row locks on every row it changes until commit.)
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "observations" ADD COLUMN "project_id" TEXT;
    /// UPDATE "observations" o SET "project_id" = t."project_id" FROM "traces" t WHERE o."trace_id" = t."id";
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- migration 1: the schema change alone (a brief lock)
    /// ALTER TABLE "observations" ADD COLUMN "project_id" TEXT;
    /// -- then, after it committed: a migration or job that backfills in batches, each its own transaction
    /// UPDATE "observations" o SET "project_id" = t."project_id" FROM "traces" t
    /// WHERE o."trace_id" = t."id" AND o."id" IN (SELECT "id" FROM "observations" WHERE "project_id" IS NULL LIMIT 5000);
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// CREATE TABLE "settings" ("id" TEXT PRIMARY KEY, "value" TEXT);
    /// ALTER TABLE "settings" ADD COLUMN "scope" TEXT;
    /// UPDATE "settings" SET "scope" = 'global';
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// "Once acquired, a lock is normally held until the end of the transaction."
    /// https://www.postgresql.org/docs/current/explicit-locking.html. `UPDATE`/`DELETE` take ROW
    /// EXCLUSIVE on the table and row locks on each changed row. `--apply-mode split` (Prisma ≥ 7.4)
    /// autocommits each statement, so there the rule fires only inside an explicit `BEGIN` block.
    ///
    /// ## squawk
    ///
    /// None in squawk 2.70. (Ruby's strong_migrations warns about backfilling in the same transaction
    /// as a schema change for the same reason.)
    BACKFILL_HOLDING_DDL_LOCK = "backfill-holding-ddl-lock";
}

/// `backfill-holding-ddl-lock`: an UPDATE or DELETE of a table in use, after a statement of
/// the same transaction locked that table SHARE or stronger. Locks are held until commit, so
/// the whole backfill runs under the DDL's lock (with ACCESS EXCLUSIVE, even reads wait).
fn backfill_holding_ddl_lock(ctx: &Context<'_>, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let (verb, target) = match node {
        NodeEnum::UpdateStmt(s) => ("UPDATE", s.relation.as_ref()),
        NodeEnum::DeleteStmt(s) => ("DELETE", s.relation.as_ref()),
        _ => return,
    };
    let Some(table) = target.map(QName::from_range_var) else {
        return;
    };
    if !ctx.existing(&table) {
        return;
    }
    let held = ctx
        .earlier_locks
        .iter()
        .filter(|l| ctx.file.same_transaction(l.statement, ctx.index))
        .filter(|l| l.on.name == table && l.mode >= LockMode::Share)
        .max_by_key(|l| (l.mode, l.statement));
    let Some(lock) = held else {
        return;
    };
    let i = lock.statement;
    out.push(Hazard::new(
        BACKFILL_HOLDING_DDL_LOCK,
        format!(
            "this {verb} runs in the transaction that locked {table} {} at line {}: the lock is held until the whole backfill commits ({})",
            lock.mode,
            ctx.file.lines[i],
            lock.mode.blocks()
        ),
        "backfill in its own migration (or a job) after the schema change has committed, in batches of a few thousand rows",
    ));
}

rule! {
    /// a statement that cannot run in a transaction block, inside one
    ///
    /// ## What it finds
    ///
    /// A statement PostgreSQL refuses inside a transaction block — `CREATE/DROP INDEX CONCURRENTLY`, `REINDEX CONCURRENTLY`, `DETACH PARTITION CONCURRENTLY`, `VACUUM`, database and tablespace DDL, `ALTER SYSTEM` — in a file with other statements (apply mode `batch`, Prisma ≤ 7.3: the file is one simple query, one implicit transaction) or between `BEGIN` and `COMMIT` (apply mode `split`, Prisma ≥ 7.4). In other tools' folders, as each tool sends the file: anywhere in a file diesel, sqlx or dbmate wrap in a transaction of their own (even alone there, unless the migration opts out: diesel's `run_in_transaction = false`, sqlx's `-- no-transaction`, dbmate's `transaction:false`), or in a golang-migrate file with other statements (one query). Flyway runs a migration holding such a statement outside a transaction, one statement at a time.
    ///
    /// ## Why it hurts
    ///
    /// It fails with SQLSTATE 25001 (`… cannot run inside a transaction block`), and the whole migration with it. Even a leading `SET lock_timeout` in the same file is enough.
    ///
    /// ## Example
    ///
    /// ```sql
    /// SET lock_timeout = '5s';
    /// CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job"("status");
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- 20240102000000_job_status_idx/migration.sql holds only this statement
    /// CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job"("status");
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT);
    ///
    /// -- this migration
    /// CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job"("status");
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Verified: a multi-statement simple query is one implicit transaction (facts notes; https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT). `--apply-mode split` assumes Prisma ≥ 7.4 splitting the file.
    ///
    /// ## squawk
    ///
    /// `ban-concurrent-index-creation-in-transaction`, with `--assume-in-transaction` only; a file holding nothing but the CONCURRENTLY statement is not reported, as here (checked on squawk 2.70). squawk has no rule for the other non-transactional statements (VACUUM, REINDEX CONCURRENTLY, …).
    NON_TRANSACTIONAL_IN_TRANSACTION = "non-transactional-in-transaction";
}

/// `non-transactional-in-transaction`: `CREATE INDEX CONCURRENTLY` and its kin fail with
/// SQLSTATE 25001 inside a transaction block. A multi-statement simple query is one (Prisma
/// up to 7.3 sends the whole file so), as is an explicit `BEGIN`.
fn non_transactional_in_transaction(ctx: &Context<'_>, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let Some(what) = outside_transaction_only(node) else {
        return;
    };
    if !ctx.file.in_transaction_block(ctx.index) {
        return;
    }
    let why = match (ctx.file.sent, ctx.file.mode) {
        (Transaction::Wrapped, _) => {
            "its tool runs the file inside a transaction of its own (BEGIN … COMMIT)".to_string()
        }
        (_, ApplyMode::Split) => "it stands between BEGIN and COMMIT".to_string(),
        (Transaction::ApplyMode, ApplyMode::Batch) => format!(
            "the file has {} statements, and Prisma (up to 7.3) sends it as one query: one implicit transaction",
            ctx.file.count
        ),
        (_, ApplyMode::Batch) => format!(
            "the file has {} statements, and its tool sends it as one query: one implicit transaction",
            ctx.file.count
        ),
    };
    let help = match (ctx.file.sent, ctx.file.mode) {
        (Transaction::ApplyMode | Transaction::EachStatement, ApplyMode::Split) => {
            format!("move the {what} statement out of the BEGIN … COMMIT block")
        }
        _ => format!(
            "move the {what} statement into {}, with nothing else in the file (not even SET)",
            ctx.file.on_its_own()
        ),
    };
    out.push(Hazard::new(
        NON_TRANSACTIONAL_IN_TRANSACTION,
        format!("{what} cannot run inside a transaction block and fails with SQLSTATE 25001 here: {why}"),
        help,
    ));
}

rule! {
    /// an enum value used in the transaction that adds it
    ///
    /// ## What it finds
    ///
    /// `ALTER TYPE … ADD VALUE 'v'` followed, in the same transaction, by a statement holding the string constant `'v'` (a default, a backfill, a cast).
    ///
    /// ## Why it hurts
    ///
    /// Since PostgreSQL 12, ADD VALUE may run in a transaction block, but the new value cannot be used until that transaction commits: `ERROR: unsafe use of new value "v" of enum type …` (SQLSTATE 55P04). This holds even for a type created in the same transaction (checked on PostgreSQL 15). The match is on string constants in the parse tree, so a constant equal to the value used for something else is reported too: read it.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TYPE "Role" ADD VALUE 'ADMIN';
    /// ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'ADMIN';
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// -- migration 1
    /// ALTER TYPE "Role" ADD VALUE 'ADMIN';
    /// -- migration 2
    /// ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'ADMIN';
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TYPE "WidgetView" AS ENUM ('TRACES');
    /// CREATE TYPE "MonitorView" AS ENUM ('TRACES');
    ///
    /// -- this migration
    /// ALTER TYPE "WidgetView" ADD VALUE 'SCORES_BOOLEAN';
    /// ALTER TYPE "MonitorView" ADD VALUE 'SCORES_BOOLEAN';
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// ALTER TYPE … ADD VALUE takes an ExclusiveLock on the type object only (verified). https://www.postgresql.org/docs/current/sql-altertype.html
    ///
    /// ## squawk
    ///
    /// None in squawk 2.70.
    ENUM_VALUE_ADDED_AND_USED = "enum-value-added-and-used";
}

/// `enum-value-added-and-used`: a value added with `ALTER TYPE … ADD VALUE` cannot be used
/// until the adding transaction commits (SQLSTATE 55P04, "unsafe use of new value").
fn enum_value_added_and_used(ctx: &Context<'_>, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let NodeEnum::AlterEnumStmt(s) = node else {
        return;
    };
    if s.new_val.is_empty() || !s.old_val.is_empty() {
        return; // RENAME VALUE, not ADD VALUE
    }
    let type_name = QName::from_name_nodes(&s.type_name);
    let user = ctx
        .later()
        .filter(|(i, _)| ctx.file.same_transaction(ctx.index, *i))
        .find(|(_, later)| mentions_string(later, &s.new_val));
    if let Some((i, _)) = user {
        out.push(Hazard::new(
            ENUM_VALUE_ADDED_AND_USED,
            format!(
                "enum value '{}' is added to {type_name} and line {} mentions it in the same transaction: if that uses the value, it fails with SQLSTATE 55P04 (unsafe use of new value)",
                s.new_val,
                ctx.file.lines[i]
            ),
            "add the enum value in one migration and use it (defaults, backfills, casts) in a later one",
        ));
    }
}
