//! The measured lock trace against the documented lock levels, over every statement of both
//! corpora and of the undo unmigrate generates for each of their migrations. Each history is
//! drilled in split mode with the trace on, so every statement runs in a transaction of its
//! own and no earlier statement's lock hides its own; each statement's strongest lock per
//! existing table is then compared with what `explain` says PostgreSQL's documentation gives
//! it, without a database. An undo is explained as the drill applies it: right after its
//! forward migration, each of its files as a migration of its own, and the forward migration
//! applied again after it. A small history (`tests/locks/objects/`) adds the statement kinds
//! the corpora never write nor undo: triggers, functions, comments, index and enum renames.
//!
//! Where the two disagree, the disagreement must be one of the kinds below, and each kind
//! says which side is right and why. Any other disagreement fails the test with both sides.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use unmigrate::drill::outcome::{DrillReport, MigrationDrill, Phase, StatementTrace, UndoSource};
use unmigrate::drill::{self, DrillPlan};
use unmigrate::explain::{self, MigrationExplained, StatementExplained, Target};
use unmigrate::generate::derive_undos;
use unmigrate::locks::LockMode;
use unmigrate::migrations::{read_history, ApplyMode, History, Migration};
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
            strongest(
                &mut locks,
                bare(&lock.on.name.to_string()),
                lock.mode.pg_locks_name(),
            );
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
    /// A `DELETE` whose rows other tables reference took ROW SHARE (a check) or ROW
    /// EXCLUSIVE (`ON DELETE CASCADE` or `SET NULL`) on those tables, from the foreign key's
    /// trigger. Whether it does depends on the rows (no row deleted, no lookup), so `explain`
    /// states it as a note naming those tables. The trace is right for these rows; the note is
    /// right in general.
    DataDependentDeleteCheck,
    /// `explain` documents the lock on a temporary table (`pg_temp`); the trace leaves
    /// temporary relations out, since no other session can see them and none waits on them.
    /// Both are right: the lock is taken, and it blocks nobody.
    TemporaryRelation,
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
    // Only measured locks, each one of `modes` on a relation the notes name after `phrase`.
    let measured_only_as = |modes: &[&str], phrase: &str| {
        only_documented.is_empty()
            && !only_measured.is_empty()
            && only_measured.iter().all(|(relation, mode)| {
                modes.contains(&mode.as_str())
                    && notes.contains(phrase)
                    && notes.contains(relation.as_str())
            })
    };
    if measured_only_as(&["RowShareLock"], "checked against") {
        return Some(Known::DataDependentKeyCheck);
    }
    if measured_only_as(
        &["RowShareLock", "RowExclusiveLock"],
        "each row deleted is checked against",
    ) {
        return Some(Known::DataDependentDeleteCheck);
    }
    let temporary = only_measured.is_empty()
        && !only_documented.is_empty()
        && only_documented
            .iter()
            .all(|(relation, _)| relation.starts_with("pg_temp."));
    if temporary {
        return Some(Known::TemporaryRelation);
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

/// The statements compared, the known disagreements by kind, and the unexplained ones.
#[derive(Debug, Default)]
struct Compared {
    compared: usize,
    known: BTreeMap<Known, usize>,
    unexplained: Vec<String>,
}

impl Compared {
    /// Compares one file's statements with their traces (`None`: not traced).
    fn file(
        &mut self,
        file: &str,
        statements: &[StatementExplained],
        traces: &[Option<&StatementTrace>],
    ) {
        let new_in_migration: Vec<String> = statements
            .iter()
            .flat_map(|s| &s.impact.locks)
            .filter(|l| l.on.new)
            .map(|l| bare(&l.on.name.to_string()))
            .collect();
        let mut earlier_procedural_locks = Locks::new();
        for (statement, trace) in statements.iter().zip(traces) {
            let Some(trace) = trace else {
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
            self.compared += 1;
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
                Some(kind) => *self.known.entry(kind).or_default() += 1,
                None => self.unexplained.push(format!(
                    "{file}:{}: documented {documented:?}, measured {measured:?}\n    {}",
                    statement.location.line,
                    statement.sql.lines().next().unwrap_or_default()
                )),
            }
        }
    }

    fn assert_agree(&self, name: &str, side: &str, at_least: usize) {
        eprintln!(
            "{name}: {} {side} statements compared; known disagreements: {:?}",
            self.compared, self.known
        );
        assert!(
            self.compared >= at_least,
            "{name}: only {} {side} statements were compared",
            self.compared
        );
        assert!(
            self.unexplained.is_empty(),
            "{name}: {} {side} statements whose measured locks disagree with the documented ones:\n{}",
            self.unexplained.len(),
            self.unexplained.join("\n")
        );
    }
}

/// The history drilled in split mode with the trace on; the drill must not stop.
fn drilled(name: &str, dir: &Path) -> DrillReport {
    let mut plan = DrillPlan::whole_history(
        dir.to_path_buf(),
        ScratchSource::resolve(None, ScratchOptions::default(), None).unwrap(),
    );
    plan.apply_mode = ApplyMode::Split;
    plan.trace = true;
    let report = drill::run(&plan, &mut |_| {}).unwrap_or_else(|e| {
        panic!("{name}: the drill could not run (is PostgreSQL installed?): {e}")
    });
    assert_eq!(report.stopped, None, "{name}: the drill stopped early");
    report
}

/// The forward statements of every migration against their traces (matched by line).
fn compare_forward(name: &str, dir: &Path, report: &DrillReport) -> Compared {
    let explained = explain::explain(
        &Target::resolve(dir, dir, None).expect("the history is a migrations folder"),
        ApplyMode::Split,
    )
    .expect("explain runs over the history");
    let mut compared = Compared::default();
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
        let traces: Vec<Option<&StatementTrace>> = statements
            .iter()
            .map(|s| {
                forward
                    .statements
                    .iter()
                    .find(|t| t.line == s.location.line)
            })
            .collect();
        compared.file(&migration.name, statements, &traces);
    }
    compared
}

/// The name the explained history gives the `part`th file of `source`'s undo.
fn undo_part_name(source: &str, part: usize) -> String {
    format!("{source} (undo, file {})", part + 1)
}

/// The history as the drill applied it: each migration, then (when the drill undid it) its
/// generated undo files and the migration again. `derive_undos` is what the drill applies.
fn as_drilled(history: &History, report: &DrillReport) -> History {
    let forward = history.forward();
    let derived = derive_undos(history, &forward).expect("the undo is derived");
    assert_eq!(derived.len(), report.migrations.len());
    let mut migrations = Vec::new();
    for ((m, (undo, parts)), drilled) in forward.into_iter().zip(derived).zip(&report.migrations) {
        assert_eq!((&m.name, &undo.source), (&drilled.name, &m.name));
        migrations.push(m.clone());
        if !drilled.phases.iter().any(|p| p.phase == Phase::Undo) {
            continue; // a manual undo, not applied
        }
        assert_eq!(drilled.undo_source, UndoSource::Generated, "{}", m.name);
        for (i, sql) in parts.into_iter().enumerate() {
            migrations.push(Migration {
                name: undo_part_name(&m.name, i),
                sql_path: PathBuf::from(format!("(generated) {}", undo_part_name(&m.name, i)))
                    .into(),
                sql,
                checksum: m.checksum,
                undo_of: Some(m.name.clone()),
                down: None,
                transaction: Default::default(),
            });
        }
        migrations.push(m.clone());
    }
    History {
        dir: history.dir.clone(),
        migrations,
        layout: history.layout,
    }
}

/// The undo statements of every migration the drill undid against their traces: the undo
/// phase's traces are its files' statements in order, one each.
fn compare_undos(name: &str, dir: &Path, report: &DrillReport) -> Compared {
    let history = read_history(dir).expect("the history reads");
    let explained = explain::explain(
        &Target::History(as_drilled(&history, report)),
        ApplyMode::Split,
    )
    .expect("explain runs over the history as drilled");
    let by_name: BTreeMap<&str, &MigrationExplained> = explained
        .migrations
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    let mut compared = Compared::default();
    for migration in &report.migrations {
        let Some(undo) = migration.phases.iter().find(|p| p.phase == Phase::Undo) else {
            continue;
        };
        let mut traces = undo.statements.iter();
        for part in (0..).map_while(|i| by_name.get(undo_part_name(&migration.name, i).as_str())) {
            let aligned: Vec<Option<&StatementTrace>> = part
                .statements
                .iter()
                .map(|s| {
                    let trace = traces.next();
                    if let Some(t) = trace {
                        assert_eq!(t.line, s.location.line, "{name}: {}: {t:?}", part.name);
                    }
                    trace
                })
                .collect();
            compared.file(&part.name, &part.statements, &aligned);
        }
        assert!(
            traces.next().is_none(),
            "{name}: the undo of {} ran statements explain did not see",
            migration.name
        );
        assert_undone(name, migration);
    }
    compared
}

/// The undo phase of a migration the drill undid applied cleanly (split mode: a failed undo
/// stops the drill, which `drilled` rules out).
fn assert_undone(name: &str, migration: &MigrationDrill) {
    assert!(
        migration.phases.iter().any(|p| p.phase == Phase::Reapply),
        "{name}: {} was not applied again after its undo",
        migration.name
    );
}

/// Drills the history once and compares the forward statements, then the undo statements.
fn assert_locks_agree(name: &str, dir: &Path, forward: usize, undo: usize) {
    let report = drilled(name, dir);
    compare_forward(name, dir, &report).assert_agree(name, "forward", forward);
    compare_undos(name, dir, &report).assert_agree(name, "undo", undo);
}

fn assert_corpus_locks_agree(name: &str, forward: usize, undo: usize) {
    let Some(dir) = unmigrate::corpus::for_test(name) else {
        return;
    };
    assert_locks_agree(name, &dir, forward, undo);
}

#[test]
fn langfuse_measured_locks_agree_with_the_documented_ones() {
    assert_corpus_locks_agree("langfuse", 1000, 1000);
}

#[test]
fn triggerdev_measured_locks_agree_with_the_documented_ones() {
    assert_corpus_locks_agree("triggerdev", 2000, 2500);
}

/// Triggers, functions, comments, index and enum renames, forward and undone.
#[test]
fn objects_measured_locks_agree_with_the_documented_ones() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/locks/objects");
    assert_locks_agree("objects", &dir, 20, 20);
}
