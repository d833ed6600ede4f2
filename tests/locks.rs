//! The measured lock trace against the documented lock levels, over every statement of both
//! corpora. Each history is drilled in split mode with the trace on, so every statement runs
//! in a transaction of its own and no earlier statement's lock hides its own; each statement's
//! strongest lock per existing table is then compared with what `explain` says PostgreSQL's
//! documentation gives it, without a database.
//!
//! Where the two disagree, the disagreement must be one of the kinds below, and each kind
//! says which side is right and why. Any other disagreement fails the test with both sides.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use unmigrate::drill::outcome::Phase;
use unmigrate::drill::outcome::StatementTrace;
use unmigrate::drill::{self, DrillPlan};
use unmigrate::explain::{self, StatementExplained, Target};
use unmigrate::locks::LockMode;
use unmigrate::migrations::ApplyMode;
use unmigrate::scratch::{ScratchOptions, ScratchSource};

/// Relation name → strongest lock mode (`pg_locks` spelling).
type Locks = BTreeMap<String, String>;

/// `"public"."User"`, `public."User"` and `"User"` all name `User`.
fn bare(name: &str) -> String {
    let name = name.replace('"', "");
    name.strip_prefix("public.").unwrap_or(&name).to_string()
}

fn strongest(into: &mut Locks, relation: String, mode: &str) {
    let rank = LockMode::from_pg_locks;
    let entry = into.entry(relation).or_insert_with(|| mode.to_string());
    if rank(mode) > rank(entry) {
        *entry = mode.to_string();
    }
}

fn is_table(kind: &str) -> bool {
    kind == "table" || kind == "partitioned table"
}

/// What `explain` documents: locks on tables that exist before the migration.
fn documented(statement: &StatementExplained) -> Locks {
    let mut locks = Locks::new();
    for lock in &statement.impact.locks {
        if !lock.on.new && is_table(lock.on.kind) {
            strongest(&mut locks, bare(&lock.on.name), lock.mode.pg_locks_name());
        }
    }
    locks
}

/// What the trace measured, on the same tables: not created by this statement, nor (as
/// `explain` knows from the model) by an earlier statement of its migration.
fn measured(trace: &StatementTrace, new_in_migration: &[String]) -> Locks {
    let mut locks = Locks::new();
    for lock in &trace.locks {
        let relation = bare(&lock.relation);
        if !lock.created && is_table(lock.kind) && !new_in_migration.contains(&relation) {
            strongest(&mut locks, relation, &lock.mode);
        }
    }
    locks
}

/// The kinds of disagreement this suite knows, and which side is right in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Known {
    /// A `DO` block runs procedural code: `explain` says it cannot know its locks without
    /// running it. The trace is right: it ran it.
    ProceduralCode,
    /// An `INSERT` or `UPDATE` that wrote a row with a foreign key set took ROW SHARE on the
    /// referenced table, for the `FOR KEY SHARE` check. Whether it does depends on the rows
    /// (a NULL key checks nothing), so `explain` states it as a note naming that table, not as
    /// a lock. The trace is right for these rows; the note is right in general.
    DataDependentKeyCheck,
    /// `explain` claims a lock because its model holds an object that a `DO` block earlier in
    /// the same migration removed (the model cannot follow procedural code). The trace is
    /// right: that earlier block's own trace shows it locking the table.
    ModelMissedProceduralChange,
}

fn classify(
    statement: &StatementExplained,
    documented: &Locks,
    measured: &Locks,
    earlier_procedural_locks: &Locks,
) -> Option<Known> {
    let sql = statement.sql.trim_start();
    if sql.len() > 2
        && sql[..2].eq_ignore_ascii_case("DO")
        && !sql.as_bytes()[2].is_ascii_alphanumeric()
    {
        return Some(Known::ProceduralCode);
    }
    let only_measured: Vec<(&String, &String)> = measured
        .iter()
        .filter(|(r, m)| documented.get(*r) != Some(*m))
        .collect();
    let only_documented: Vec<(&String, &String)> = documented
        .iter()
        .filter(|(r, m)| measured.get(*r) != Some(*m))
        .collect();
    let notes = statement.impact.notes.join(" ");
    let key_checks = only_documented.is_empty()
        && !only_measured.is_empty()
        && only_measured.iter().all(|(relation, mode)| {
            mode.as_str() == "RowShareLock"
                && notes.contains("checked against")
                && notes.contains(relation.as_str())
        });
    if key_checks {
        return Some(Known::DataDependentKeyCheck);
    }
    let missed = only_measured.is_empty()
        && !only_documented.is_empty()
        && only_documented
            .iter()
            .all(|(relation, _)| earlier_procedural_locks.contains_key(*relation));
    if missed {
        return Some(Known::ModelMissedProceduralChange);
    }
    None
}

fn compare_corpus(name: &str, dir: &Path) -> (usize, BTreeMap<Known, usize>, Vec<String>) {
    let explained = explain::explain(
        &Target::resolve(dir, dir).expect("the corpus is a migrations folder"),
        ApplyMode::Split,
    )
    .expect("explain runs over the corpus");
    let mut plan = DrillPlan::whole_history(
        dir.to_path_buf(),
        ScratchSource::resolve(None, ScratchOptions::default()),
    );
    plan.apply_mode = ApplyMode::Split;
    plan.trace = true;
    let report = drill::run(&plan, &mut |_| {}).unwrap_or_else(|e| {
        panic!("{name}: the drill could not run (is PostgreSQL installed?): {e}")
    });
    assert_eq!(report.stopped, None, "{name}: the drill stopped early");

    let mut compared = 0;
    let mut known: BTreeMap<Known, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for migration in &report.migrations {
        let Some(forward) = migration.phases.iter().find(|p| p.phase == Phase::Forward) else {
            continue;
        };
        let statements = &explained
            .migrations
            .iter()
            .find(|m| m.name == migration.name)
            .unwrap_or_else(|| panic!("{name}: explain skipped {}", migration.name))
            .statements;
        let new_in_migration: Vec<String> = statements
            .iter()
            .flat_map(|s| &s.impact.locks)
            .filter(|l| l.on.new)
            .map(|l| bare(&l.on.name))
            .collect();
        let mut earlier_procedural_locks = Locks::new();
        for statement in statements {
            let Some(trace) = forward
                .statements
                .iter()
                .find(|t| t.line == statement.location.line)
            else {
                continue;
            };
            let measured = measured(trace, &new_in_migration);
            if statement
                .sql
                .trim_start()
                .to_ascii_uppercase()
                .starts_with("DO")
            {
                for (relation, mode) in &measured {
                    strongest(&mut earlier_procedural_locks, relation.clone(), mode);
                }
            }
            if !trace.in_transaction {
                continue; // its locks were gone before they could be read
            }
            let documented = documented(statement);
            compared += 1;
            if documented == measured {
                continue;
            }
            // Locks an earlier statement of the same transaction took are not repeated
            // (a file with its own BEGIN): what was seen must then be a part of the documented.
            let masked = trace.earlier_in_transaction > 0
                && measured.iter().all(|(r, m)| {
                    documented
                        .get(r)
                        .is_some_and(|d| LockMode::from_pg_locks(m) <= LockMode::from_pg_locks(d))
                });
            if masked {
                continue;
            }
            match classify(statement, &documented, &measured, &earlier_procedural_locks) {
                Some(kind) => *known.entry(kind).or_default() += 1,
                None => unexplained.push(format!(
                    "{}:{}: documented {documented:?}, measured {measured:?}\n    {}",
                    migration.name,
                    statement.location.line,
                    statement.sql.lines().next().unwrap_or_default()
                )),
            }
        }
    }
    (compared, known, unexplained)
}

fn assert_locks_agree(name: &str, at_least: usize) {
    let Some(dir) = unmigrate::corpus::for_test(name) else {
        return;
    };
    let (compared, known, unexplained) = compare_corpus(name, &dir);
    eprintln!("{name}: {compared} statements compared; known disagreements: {known:?}");
    assert!(
        compared >= at_least,
        "{name}: only {compared} statements were compared"
    );
    assert!(
        unexplained.is_empty(),
        "{name}: {} statements whose measured locks disagree with the documented ones:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}

#[test]
fn langfuse_measured_locks_agree_with_the_documented_ones() {
    assert_locks_agree("langfuse", 1000);
}

#[test]
fn triggerdev_measured_locks_agree_with_the_documented_ones() {
    assert_locks_agree("triggerdev", 2000);
}
