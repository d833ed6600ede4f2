//! The statement trace: what each statement of a migration did to the live system, measured in
//! the drill's own session. Locks come from `pg_locks` for the drill's backend while the
//! statement's transaction is still open (locks are held until commit, so they are still
//! there to see); a rewrite shows as a relation whose file node changed; a scan shows in the
//! transaction's own table statistics (`pg_stat_xact_user_tables`).
//!
//! To look between statements, a traced file is sent statement by statement, inside a
//! transaction the drill opens where Prisma's way of sending it would have had one: one for the
//! whole file in batch mode (the implicit transaction of a multi-statement query), one per
//! statement in split mode (autocommit). Statements PostgreSQL runs only outside a transaction
//! block run bare in exactly the cases Prisma would run them bare, so they fail or succeed
//! as they do under Prisma. Their locks are gone when they return and are not reported.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::probe::Prober;
use super::shapes::{transaction_control, Control};
use crate::drill::outcome::{LockTaken, StatementTrace};
use crate::locks::LockMode;
use crate::migrations::ApplyMode;
use crate::sql::blocks::outside_transaction_only;
use crate::sql::{NodeEnum, Statement};
use postgres::Client;

// The trace itself ([`StatementTrace`], [`LockTaken`]) is plain data in
// [`crate::drill::outcome`]; lock modes are [`LockMode`]s, as `explain` documents them.
impl StatementTrace {
    /// The strongest lock per existing table or view, e.g. `ACCESS EXCLUSIVE on "User"`, for
    /// short reports; locks on indexes, and on relations the statement created, are left out.
    pub fn lock_summary(&self) -> Vec<String> {
        let mut strongest: BTreeMap<&str, &str> = BTreeMap::new();
        for lock in self
            .locks
            .iter()
            .filter(|l| !l.created && !l.kind.ends_with("index"))
        {
            let entry = strongest.entry(&lock.relation).or_insert(&lock.mode);
            if lock_strength(&lock.mode) > lock_strength(entry) {
                *entry = &lock.mode;
            }
        }
        let mut strongest: Vec<(&str, &str)> = strongest.into_iter().collect();
        strongest.sort_by_key(|(_, mode)| std::cmp::Reverse(lock_strength(mode)));
        strongest
            .into_iter()
            .map(|(relation, mode)| format!("{} on {relation}", lock_mode_sql(mode)))
            .collect()
    }
}

/// A `pg_locks` mode's place among the table lock modes; other modes (predicate locks) rank
/// below them all.
fn lock_strength(mode: &str) -> Option<LockMode> {
    LockMode::from_pg_locks(mode)
}

/// `AccessExclusiveLock` → `ACCESS EXCLUSIVE`, as the documentation and `LOCK TABLE` write it;
/// a mode that is not a table lock mode as `pg_locks` names it.
fn lock_mode_sql(mode: &str) -> &str {
    LockMode::from_pg_locks(mode).map_or(mode, |m| m.sql())
}

/// The user-visible state the trace compares before and after each statement.
#[derive(Debug, Default)]
struct Observed {
    /// Relation oid → (name, relkind, file node) for every relation outside the system
    /// schemas and unmigrate's own.
    relations: BTreeMap<u32, (String, String, u32)>,
    /// (relation oid, mode) of the relation locks the session holds.
    locks: BTreeSet<(u32, String)>,
    /// Table oid → sequential scans so far in this transaction.
    seq_scans: BTreeMap<u32, i64>,
}

/// One round trip for all three: relations, the session's relation locks, and scans.
/// Temporary relations are left out: no other session can see them, so none waits on them.
const OBSERVE: &str = "\
SELECT 'r', c.oid, c.oid::regclass::text, c.relkind::text, c.relfilenode::bigint
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'unmigrate_drill')
   AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
   AND c.relname <> coalesce(current_setting('unmigrate.bookkeeping', true), '_prisma_migrations')
UNION ALL
SELECT 'l', l.relation, l.mode, '', 0 FROM pg_locks l
 WHERE l.pid = pg_backend_pid() AND l.granted AND l.locktype = 'relation'
UNION ALL
SELECT 's', s.relid, '', '', s.seq_scan FROM pg_stat_xact_user_tables s";

fn observe(client: &mut Client) -> Result<Observed, postgres::Error> {
    let mut seen = Observed::default();
    for row in client.query(OBSERVE, &[])? {
        let kind: &str = row.get(0);
        let oid: u32 = row.get(1);
        match kind {
            "r" => {
                let file: i64 = row.get(4);
                seen.relations
                    .insert(oid, (row.get(2), row.get(3), file as u32));
            }
            "l" => {
                seen.locks.insert((oid, row.get(2)));
            }
            _ => {
                seen.seq_scans.insert(oid, row.get(4));
            }
        }
    }
    Ok(seen)
}

/// `pg_class.relkind` in words.
fn relkind_label(relkind: &str) -> &'static str {
    match relkind {
        "r" => "table",
        "p" => "partitioned table",
        "i" => "index",
        "I" => "partitioned index",
        "S" => "sequence",
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        "c" => "composite type",
        _ => "relation",
    }
}

/// What changed between two observations, for one statement.
fn changes(before: &Observed, after: &Observed) -> (Vec<LockTaken>, Vec<String>, Vec<String>) {
    // The name the statement itself used: as it was before (a renamed relation keeps its
    // old name here), or as created.
    let relation = |oid: &u32| {
        before
            .relations
            .get(oid)
            .or_else(|| after.relations.get(oid))
    };
    let name = |oid: &u32| relation(oid).map(|(name, _, _)| name.clone());
    let mut locks: Vec<LockTaken> = after
        .locks
        .difference(&before.locks)
        .filter_map(|(oid, mode)| {
            let (name, relkind, _) = relation(oid)?;
            Some(LockTaken {
                relation: name.clone(),
                kind: relkind_label(relkind),
                mode: mode.clone(),
                created: !before.relations.contains_key(oid),
            })
        })
        .collect();
    locks.sort_by(|a, b| {
        lock_strength(&b.mode)
            .cmp(&lock_strength(&a.mode))
            .then_with(|| a.relation.cmp(&b.relation))
    });
    let rewrote = after
        .relations
        .iter()
        .filter(|(oid, (_, _, file))| {
            *file != 0
                && before
                    .relations
                    .get(*oid)
                    .is_some_and(|(_, _, old)| old != file)
        })
        .map(|(_, (name, _, _))| name.clone())
        .collect();
    let scanned = after
        .seq_scans
        .iter()
        .filter(|(oid, scans)| {
            before.relations.contains_key(*oid)
                && **scans > before.seq_scans.get(*oid).copied().unwrap_or(0)
        })
        .filter_map(|(oid, _)| name(oid))
        .collect();
    (locks, rewrote, scanned)
}

/// How a traced file ended: `Ok` with every statement's trace, or the statement that failed
/// with the traces up to it (its own included).
pub struct TracedRun {
    pub traces: Vec<StatementTrace>,
    pub error: Option<postgres::Error>,
}

/// Runs `statements` as `mode` sends them, one at a time, tracing each when `measure` (else
/// the traces hold only lines and times: how the drill sends a batch-mode file that controls
/// its own transactions, to know which statement failed). On failure, what the drill opened
/// is rolled back, exactly as PostgreSQL rolls back the implicit transaction (batch) or the
/// failing statement (split); a block the file opened is left as the file left it.
pub fn run_traced(
    client: &mut Client,
    mode: ApplyMode,
    statements: &[Statement],
    measure: bool,
    mut prober: Option<&mut Prober>,
) -> Result<TracedRun, postgres::Error> {
    let mut traces: Vec<StatementTrace> = Vec::with_capacity(statements.len());
    // The trace whose statement sent the probe in flight.
    let mut probed: Option<usize> = None;
    let collect = |prober: &mut Option<&mut Prober>,
                   probed: &mut Option<usize>,
                   traces: &mut Vec<StatementTrace>| {
        if let (Some(prober), Some(index)) = (prober.as_deref_mut(), probed.take()) {
            traces[index].probe = prober.collect();
        }
    };
    // A file of one statement is not a multi-statement query: PostgreSQL runs it outside any
    // transaction block, as split mode runs every statement.
    let whole_file_transaction = mode == ApplyMode::Batch && statements.len() > 1;
    let mut in_block = false; // a transaction block is open (the drill's or the file's own)
    let mut drill_opened = false;
    let mut earlier_in_block = 0;
    for statement in statements {
        let control = transaction_control(&statement.node);
        let bare = outside_transaction_only(&statement.node).is_some() && !whole_file_transaction;
        if !in_block && control.is_none() && !bare {
            client.batch_execute("BEGIN")?;
            in_block = true;
            drill_opened = true;
            earlier_in_block = 0;
        }
        // Settings and transaction control lock nothing, and some must come first in their
        // transaction (`SET TRANSACTION ISOLATION LEVEL`): no query may run before them.
        let observed = measure && control.is_none() && !is_setting(&statement.node);
        let before = if observed {
            observe(client)?
        } else {
            Observed::default()
        };
        if let Some(prober) = prober.as_deref_mut().filter(|p| !p.busy()) {
            if let Some(table) = probe_table(&statement.node, &before) {
                prober.send(&table);
                probed = Some(traces.len());
            }
        }
        let started = Instant::now();
        let outcome = client.batch_execute(&statement.text);
        let duration = started.elapsed();
        let mut trace = StatementTrace {
            line: statement.location.line,
            statement: short(&statement.text),
            duration,
            in_transaction: in_block,
            earlier_in_transaction: if in_block { earlier_in_block } else { 0 },
            locks: Vec::new(),
            rewrote: Vec::new(),
            scanned: Vec::new(),
            failed: outcome.is_err(),
            probe: None,
        };
        if let Err(error) = outcome {
            traces.push(trace);
            if drill_opened {
                client.batch_execute("ROLLBACK")?;
            }
            collect(&mut prober, &mut probed, &mut traces);
            return Ok(TracedRun {
                traces,
                error: Some(error),
            });
        }
        if in_block {
            earlier_in_block += 1;
        }
        match control {
            Some(Control::Begin) => {
                in_block = true;
                drill_opened = false;
                earlier_in_block = 0;
            }
            Some(Control::Commit | Control::Rollback) => {
                in_block = false;
                drill_opened = false;
            }
            None => {}
        }
        if observed {
            let after = observe(client)?;
            let (locks, rewrote, scanned) = changes(&before, &after);
            trace.rewrote = rewrote;
            if trace.in_transaction && in_block {
                (trace.locks, trace.scanned) = (locks, scanned);
            }
        }
        traces.push(trace);
        let statement_ends_block = mode == ApplyMode::Split && drill_opened;
        if statement_ends_block {
            client.batch_execute("COMMIT")?;
            in_block = false;
            drill_opened = false;
        }
        if !in_block {
            // The statement's transaction has ended: a probe it sent has its answer.
            collect(&mut prober, &mut probed, &mut traces);
        }
    }
    if in_block && drill_opened {
        // A block the file opened and left open stays open, as it would under Prisma: the
        // session finds it after the file. COMMIT can fail too (a deferred constraint): that
        // is the file's failure.
        let commit = client.batch_execute("COMMIT");
        collect(&mut prober, &mut probed, &mut traces);
        if let Err(error) = commit {
            if let Some(last) = traces.last_mut() {
                last.failed = true;
            }
            return Ok(TracedRun {
                traces,
                error: Some(error),
            });
        }
    }
    Ok(TracedRun {
        traces,
        error: None,
    })
}

/// The table a probe reads and writes for this statement: the first table it names that
/// existed before it, by the name PostgreSQL prints for it (quoted where needed).
fn probe_table(node: &NodeEnum, before: &Observed) -> Option<String> {
    let named = crate::sql::refs::relation_refs(&crate::sql::build::node(node.clone()));
    named.iter().find_map(|name| {
        before
            .relations
            .values()
            .find(|(printed, kind, _)| {
                (kind == "r" || kind == "p") && printed.replace('"', "") == bare_name(name)
            })
            .map(|(printed, _, _)| printed.clone())
    })
}

/// `name`, or `schema.name` outside the default schema, unquoted, as `regclass` prints it
/// before quoting.
fn bare_name(name: &crate::sql::QName) -> String {
    if name.is_qualified() && name.schema != "public" {
        format!("{}.{}", name.schema, name.name)
    } else {
        name.name.clone()
    }
}

/// `SET`, `RESET`, `SHOW`, `SET TRANSACTION …`.
fn is_setting(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::VariableSetStmt(_) | NodeEnum::VariableShowStmt(_)
    )
}

/// The statement's first line, at most 80 characters.
fn short(text: &str) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    let mut out: String = first.chars().take(80).collect();
    if out.len() < first.len() || text.lines().nth(1).is_some() {
        out.push_str(" …");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn lock_modes_read_as_the_documentation_writes_them() {
        assert_eq!(lock_mode_sql("AccessExclusiveLock"), "ACCESS EXCLUSIVE");
        assert_eq!(
            lock_mode_sql("ShareUpdateExclusiveLock"),
            "SHARE UPDATE EXCLUSIVE"
        );
        assert_eq!(lock_mode_sql("ShareLock"), "SHARE");
        assert_eq!(lock_mode_sql("SIReadLock"), "SIReadLock");
        assert!(lock_strength("AccessExclusiveLock") > lock_strength("ShareLock"));
        assert!(lock_strength("SIReadLock") < lock_strength("AccessShareLock"));
    }

    #[test]
    fn the_summary_keeps_the_strongest_lock_per_existing_relation() {
        let lock = |relation: &str, mode: &str, created| LockTaken {
            relation: relation.into(),
            kind: "table",
            mode: mode.into(),
            created,
        };
        let trace = StatementTrace {
            line: 1,
            statement: String::new(),
            duration: Duration::ZERO,
            in_transaction: true,
            earlier_in_transaction: 0,
            locks: vec![
                lock("\"User\"", "ShareRowExclusiveLock", false),
                lock("\"User\"", "AccessShareLock", false),
                lock("\"Post\"", "AccessExclusiveLock", true),
                lock("\"Team\"", "RowShareLock", false),
                LockTaken {
                    kind: "index",
                    ..lock("\"User_pkey\"", "AccessExclusiveLock", false)
                },
            ],
            rewrote: Vec::new(),
            scanned: Vec::new(),
            failed: false,
            probe: None,
        };
        assert_eq!(
            trace.lock_summary(),
            ["SHARE ROW EXCLUSIVE on \"User\"", "ROW SHARE on \"Team\""]
        );
    }
}
