//! The lock queue: a statement waiting for a strong lock blocks every query that arrives
//! after it, even ones that would not conflict with the holders. Without `lock_timeout`, a
//! migration stuck behind one long transaction takes the table down for as long.

use super::{Hazard, Rule};
use crate::explain::impact::{Impact, Lock, LockMode};
use crate::explain::Context;
use crate::sql::NodeEnum;

/// `missing-lock-timeout`: reported once per file, at the first statement that needs a lock
/// blocking writes on a table that existed before, when no earlier statement of the file
/// sets `lock_timeout`.
pub fn check(ctx: &Context, impact: &Impact, out: &mut Vec<Hazard>) {
    let Some(lock) = strong_lock_on_existing(impact) else {
        return;
    };
    // An earlier strong lock is checked first: that scan stops at the file's first one, so
    // only the first statement that needs a strong lock scans the file for a SET.
    if ctx
        .earlier_impacts
        .iter()
        .any(|i| strong_lock_on_existing(i).is_some())
    {
        return;
    }
    if ctx.earlier().any(|(_, n)| sets_lock_timeout(n)) {
        return;
    }
    out.push(Hazard::new(
        Rule::MissingLockTimeout,
        format!("this takes {} on {} with no lock_timeout set: if it waits behind a long transaction, every query on the table queues behind it", lock.mode, lock.on.name),
        "start the migration with SET lock_timeout = '5s' (and retry the deploy if it times out); Prisma keeps one connection per deploy, so it also applies to later files of the same deploy",
    ));
}

/// A lock that blocks writes (SHARE or stronger) on a relation that existed before.
fn strong_lock_on_existing(impact: &Impact) -> Option<&Lock> {
    impact
        .locks
        .iter()
        .find(|l| l.mode >= LockMode::Share && !l.on.new && l.on.kind != "type")
}

fn sets_lock_timeout(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::VariableSetStmt(s) if s.name.eq_ignore_ascii_case("lock_timeout"))
}
