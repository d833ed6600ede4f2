//! The lock queue: a statement waiting for a strong lock blocks every query that arrives
//! after it, even ones that would not conflict with the holders. Without `lock_timeout`, a
//! migration stuck behind one long transaction takes the table down for as long.

use super::{Hazard, Rule};
use crate::explain::impact::{self, LockMode};
use crate::explain::Context;
use crate::sql::NodeEnum;

/// `missing-lock-timeout`: reported once per file, at the first statement that needs a lock
/// blocking writes on a table that existed before, when no earlier statement of the file
/// sets `lock_timeout`.
pub fn check(ctx: &Context, node: &NodeEnum, out: &mut Vec<Hazard>) {
    let Some(lock) = strong_lock_on_existing(ctx, node) else {
        return;
    };
    if ctx.earlier().any(|(_, n)| sets_lock_timeout(n)) {
        return;
    }
    let already = ctx
        .earlier()
        .any(|(i, n)| strong_lock_on_existing(&Context { index: i, ..*ctx }, n).is_some());
    if already {
        return;
    }
    out.push(Hazard::new(
        Rule::MissingLockTimeout,
        format!("this takes {} on {} with no lock_timeout set: if it waits behind a long transaction, every query on the table queues behind it", lock.0, lock.1),
        "start the migration with SET lock_timeout = '5s' (and retry the deploy if it times out); Prisma keeps one connection per deploy, so it also applies to later files of the same deploy",
    ));
}

fn strong_lock_on_existing(ctx: &Context, node: &NodeEnum) -> Option<(LockMode, String)> {
    // Only statements that lock tables are worth the impact computation.
    if !matches!(
        node,
        NodeEnum::AlterTableStmt(_)
            | NodeEnum::IndexStmt(_)
            | NodeEnum::DropStmt(_)
            | NodeEnum::RenameStmt(_)
            | NodeEnum::CreateTrigStmt(_)
            | NodeEnum::CreateStmt(_)
            | NodeEnum::VacuumStmt(_)
            | NodeEnum::ClusterStmt(_)
            | NodeEnum::ReindexStmt(_)
            | NodeEnum::RefreshMatViewStmt(_)
            | NodeEnum::TruncateStmt(_)
            | NodeEnum::LockStmt(_)
    ) {
        return None;
    }
    impact::of(ctx, node)
        .locks
        .into_iter()
        .find(|l| l.mode >= LockMode::Share && !l.on.new && l.on.kind != "type")
        .map(|l| (l.mode, l.on.name))
}

fn sets_lock_timeout(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::VariableSetStmt(s) if s.name.eq_ignore_ascii_case("lock_timeout"))
}
