//! Transaction rules as the migration runner applies the file: statements PostgreSQL
//! refuses inside a transaction block, and enum values used before the transaction that
//! adds them commits.

use super::{Hazard, Rule};
use crate::explain::impact::LockMode;
use crate::explain::tree::mentions_string;
use crate::explain::Context;
use crate::migrations::ApplyMode;
use crate::sql::blocks::outside_transaction_only;
use crate::sql::{NodeEnum, QName};

pub fn check(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
    non_transactional_in_transaction(ctx, node, out);
    enum_value_added_and_used(ctx, node, out);
    backfill_holding_ddl_lock(ctx, node, out);
}

/// `backfill-holding-ddl-lock`: an UPDATE or DELETE of a table in use, after a statement of
/// the same transaction locked that table SHARE or stronger. Locks are held until commit, so
/// the whole backfill runs under the DDL's lock (with ACCESS EXCLUSIVE, even reads wait).
fn backfill_holding_ddl_lock(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
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
    let name = table.to_string();
    let held = ctx
        .earlier_impacts
        .iter()
        .enumerate()
        .filter(|(i, _)| ctx.file.same_transaction(*i, ctx.index))
        .flat_map(|(i, impact)| impact.locks.iter().map(move |l| (i, l)))
        .filter(|(_, l)| l.on.name == name && l.mode >= LockMode::Share)
        .max_by_key(|(_, l)| l.mode);
    let Some((i, lock)) = held else {
        return;
    };
    out.push(Hazard::new(
        Rule::BackfillHoldingDdlLock,
        format!(
            "this {verb} runs in the transaction that locked {table} {} at line {}: the lock is held until the whole backfill commits ({})",
            lock.mode,
            ctx.file.lines[i],
            lock.mode.blocks()
        ),
        "backfill in its own migration (or a job) after the schema change has committed, in batches of a few thousand rows",
    ));
}

/// `non-transactional-in-transaction`: `CREATE INDEX CONCURRENTLY` and its kin fail with
/// SQLSTATE 25001 inside a transaction block. A multi-statement simple query is one (Prisma
/// up to 7.3 sends the whole file so), as is an explicit `BEGIN`.
fn non_transactional_in_transaction(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let Some(what) = outside_transaction_only(node) else {
        return;
    };
    if !ctx.file.in_transaction_block(ctx.index) {
        return;
    }
    let why = match ctx.file.mode {
        ApplyMode::Batch => format!(
            "the file has {} statements, and Prisma (up to 7.3) sends it as one query: one implicit transaction",
            ctx.file.count
        ),
        ApplyMode::Split => "it stands between BEGIN and COMMIT".to_string(),
    };
    out.push(Hazard::new(
        Rule::NonTransactionalInTransaction,
        format!("{what} cannot run inside a transaction block and fails with SQLSTATE 25001 here: {why}"),
        format!("move the {what} statement into a migration.sql of its own, with nothing else in the file (not even SET)"),
    ));
}

/// `enum-value-added-and-used`: a value added with `ALTER TYPE … ADD VALUE` cannot be used
/// until the adding transaction commits (SQLSTATE 55P04, "unsafe use of new value").
fn enum_value_added_and_used(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
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
            Rule::EnumValueAddedAndUsed,
            format!(
                "enum value '{}' is added to {type_name} and line {} mentions it in the same transaction: if that uses the value, it fails with SQLSTATE 55P04 (unsafe use of new value)",
                s.new_val,
                ctx.file.lines[i]
            ),
            "add the enum value in one migration and use it (defaults, backfills, casts) in a later one",
        ));
    }
}
