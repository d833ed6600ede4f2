//! The lock queue: a statement waiting for a strong lock blocks every query that arrives
//! after it, even ones that would not conflict with the holders. Without `lock_timeout`, a
//! migration stuck behind one long transaction takes the table down for as long.

use super::{Hazard, Rule};
use crate::explain::impact::{Impact, Lock, LockMode, Relation};
use crate::explain::Context;
use crate::migrations::Transaction;
use crate::sql::NodeEnum;

/// The family's rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[Rule] = &[MISSING_LOCK_TIMEOUT];

rule! {
    /// a strong lock taken with no lock_timeout set
    ///
    /// ## What it finds
    ///
    /// The first statement of a file that takes a lock blocking writes (SHARE or stronger) on a table this migration did not create, when no earlier statement of the file runs `SET lock_timeout`. Reported once per file.
    ///
    /// ## Why it hurts
    ///
    /// A statement waiting for a lock blocks every query that arrives after it, even those that would not conflict with the current holders. Measured (facts notes): behind a 3 s read transaction, a "harmless" `ADD COLUMN` made a primary-key lookup wait 3.03 s; with `lock_timeout = '200ms'` the migration failed fast and the lookup waited 0.17 s. Static analysis cannot promise a lock is brief.
    ///
    /// ## Example
    ///
    /// ```sql
    /// ALTER TABLE "User" ADD COLUMN "bio" TEXT;
    /// ```
    ///
    /// ## Use instead
    ///
    /// ```sql
    /// SET lock_timeout = '5s';
    /// ALTER TABLE "User" ADD COLUMN "bio" TEXT;
    /// -- and retry the deploy when it times out
    /// ```
    ///
    /// ## Not reported
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// SET lock_timeout = '5s';
    /// ALTER TABLE "User" ADD COLUMN "bio" TEXT;
    /// ```
    ///
    /// ## PostgreSQL facts
    ///
    /// Prisma applies a deploy on one connection, so a SET in one file stays in force for the files after it in the same run; this rule only credits a SET in the same file, because the next deploy may start with this file. Do not put SET in a file that must hold a CONCURRENTLY statement alone (see non-transactional-in-transaction): set it on the connection (e.g. in the connection string's `options`) instead. https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
    ///
    /// ## squawk
    ///
    /// `require-lock-timeout`: squawk 2.70 reports it per statement that takes a lock, in any file without `SET lock_timeout` (369 of 434 langfuse files); `require-statement-timeout` has no counterpart here.
    MISSING_LOCK_TIMEOUT = "missing-lock-timeout";
}

/// `missing-lock-timeout`: reported once per file, at the first statement that needs a lock
/// blocking writes on a table that existed before, when no earlier statement of the file
/// sets `lock_timeout`.
pub fn check(ctx: &Context<'_>, _node: &NodeEnum, impact: &Impact, out: &mut Vec<Hazard>) {
    let Some(lock) = strong_lock_on_existing(impact) else {
        return;
    };
    // An earlier strong lock is checked first: that scan stops at the file's first one, so
    // only the first statement that needs a strong lock scans the file for a SET.
    if ctx
        .earlier_locks
        .iter()
        .any(|l| blocks_writes_on_existing(l.mode, &l.on))
    {
        return;
    }
    if ctx.earlier().any(|(_, n)| sets_lock_timeout(n)) {
        return;
    }
    out.push(Hazard::new(
        MISSING_LOCK_TIMEOUT,
        format!("this takes {} on {} with no lock_timeout set: if it waits behind a long transaction, every query on the table queues behind it", lock.mode, lock.on.name),
        match ctx.file.sent {
            Transaction::ApplyMode => "start the migration with SET lock_timeout = '5s' (and retry the deploy if it times out); Prisma keeps one connection per deploy, so it also applies to later files of the same deploy",
            _ => "start the migration with SET lock_timeout = '5s' (and retry the deploy if it times out); a plain SET stays on the connection, so it also applies to the later files its tool runs on it",
        },
    ));
}

/// A lock that blocks writes (SHARE or stronger) on a relation that existed before.
fn strong_lock_on_existing(impact: &Impact) -> Option<&Lock> {
    impact
        .locks
        .iter()
        .find(|l| blocks_writes_on_existing(l.mode, &l.on))
}

fn blocks_writes_on_existing(mode: LockMode, on: &Relation) -> bool {
    mode >= LockMode::Share && !on.new && on.kind != "type"
}

fn sets_lock_timeout(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::VariableSetStmt(s) if s.name.eq_ignore_ascii_case("lock_timeout"))
}
