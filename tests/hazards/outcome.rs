//! One history, explained and drilled once: its fixture under `histories/`, and the reports
//! the tests read.

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{arg, array, failed_phase, manifest_dir, phase, text, Sandbox};

pub const EXIT_PASSED: i32 = 0;
pub const EXIT_FAILED: i32 = 1;

/// The name the shared `histories/init.sql` gets in a history that starts with it.
const INIT_NAME: &str = "20260301000000_init";

/// The histories under `tests/hazards/histories/`, each drilled the way its tests need.
#[derive(Clone, Copy)]
pub enum History {
    /// One migration per statement, drilled in split mode with a trace (and `drill.toml`'s
    /// check that the quiet form of `missing-lock-timeout` sets the timeout), so every
    /// statement runs in a transaction of its own and its own locks are the ones reported.
    Locks,
    /// Statements that behave differently when the file is one transaction (batch, Prisma
    /// ≤ 7.3; the drill stops at the enum value used before it commits) …
    TransactionsBatch,
    /// … and when each statement commits (split, Prisma ≥ 7.4).
    TransactionsSplit,
    /// Separate from the transaction history: a batch drill stops at the first failing
    /// forward.
    ConcurrentlyBatch,
    ConcurrentlySplit,
    /// A required column, added with and without a default, over seeded rows.
    Seeded,
    /// Changes the previous release cannot survive, each with the query that release runs
    /// (`drill.toml`), which must fail after the forward migration and its re-apply and work
    /// again after the undo.
    Compat,
}

impl History {
    const COUNT: usize = 7;

    /// The outcome, explained and drilled on first use; the tests share it.
    pub fn outcome(self) -> &'static Outcome {
        static CELLS: [OnceLock<Outcome>; History::COUNT] =
            [const { OnceLock::new() }; History::COUNT];
        CELLS[self as usize].get_or_init(|| self.run())
    }

    /// What explain says of `rule` in this history's outcome.
    pub fn rule(self, rule: &'static str) -> Proof<'static> {
        self.outcome().rule(rule)
    }

    fn run(self) -> Outcome {
        use History::*;
        let (folder, mode, args, ending): (_, _, &[&str], _) = match self {
            Locks => ("locks", "split", &[], Ending::Passes),
            TransactionsBatch => (
                "transactions",
                "batch",
                &["--trace"],
                Ending::StopsAt("add_admin_role_as_default"),
            ),
            TransactionsSplit => ("transactions", "split", &["--trace"], Ending::Passes),
            ConcurrentlyBatch => (
                "concurrently",
                "batch",
                &["--trace"],
                Ending::StopsAt("add_user_nick_and_index_concurrently"),
            ),
            ConcurrentlySplit => ("concurrently", "split", &["--trace"], Ending::Passes),
            Seeded => (
                "seeded",
                "batch",
                &["--seed-rows", "10"],
                // A forward that fails only with data is a finding, not the end of the drill.
                Ending::FailsOnlyAt("add_user_phone_required"),
            ),
            Compat => ("compat", "batch", &[], Ending::Passes),
        };
        Outcome::of(folder, mode, args, ending)
    }
}

fn histories() -> PathBuf {
    manifest_dir().join("tests/hazards/histories")
}

/// The migrations of `histories/<folder>/`, by file name, after the shared
/// `histories/init.sql` unless the folder has an init migration of its own; and its drill
/// script, if it has one.
fn read_history(folder: &str) -> (Vec<(String, String)>, Option<String>) {
    let dir = histories().join(folder);
    let mut migrations: Vec<(String, String)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| {
            let name = p.file_stem().expect("name").to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).expect("read the migration"))
        })
        .collect();
    migrations.sort();
    if !migrations.iter().any(|(name, _)| name == INIT_NAME) {
        let init = fs::read_to_string(histories().join("init.sql")).expect("init.sql");
        migrations.insert(0, (INIT_NAME.to_string(), init));
    }
    let script = fs::read_to_string(dir.join("drill.toml")).ok();
    (migrations, script)
}

/// The reports of one history: `explain --format json` in the drill's apply mode, and the
/// drill's JSON report with its exit code. Migrations are named by what follows their
/// timestamp (`"add_user_token_volatile_default"`).
pub struct Outcome {
    pub explain: Value,
    pub drill: Value,
    pub code: i32,
}

/// Whether `full` (`20260301000100_drop_user_age`) is the migration `name` (`drop_user_age`).
fn names(full: &Value, name: &str) -> bool {
    text(full)
        .split_once('_')
        .is_some_and(|(_, rest)| rest == name)
}

impl Outcome {
    /// Writes the history of `histories/<folder>` (and its `drill.toml`, whose `migrations`
    /// is `"migrations"`), explains it in `mode` and drills it in `mode` with `args`. The drill
    /// must end as `ending` says.
    fn of(folder: &str, mode: &str, args: &[&str], ending: Ending) -> Outcome {
        let (history, script) = read_history(folder);
        let history: Vec<(&str, &str)> = history
            .iter()
            .map(|(name, sql)| (name.as_str(), sql.as_str()))
            .collect();
        let sandbox = Sandbox::new();
        let dir = sandbox.history(&history);
        let explained = sandbox.output(&[
            "explain",
            arg(&dir),
            "--apply-mode",
            mode,
            "--format",
            "json",
        ]);
        assert_eq!(explained.code, EXIT_PASSED, "{explained}");
        let explain = explained.json();

        let target = match script.as_deref() {
            Some(text) => {
                let path = sandbox.project().join("drill.toml");
                fs::write(&path, text).unwrap();
                path
            }
            None => dir,
        };
        let mut all = vec![
            "drill",
            arg(&target),
            "--apply-mode",
            mode,
            "--format",
            "json",
        ];
        all.extend_from_slice(args);
        let drilled = sandbox.output(&all);
        let drill = drilled.json();
        assert_eq!(drill["passed"], ending == Ending::Passes, "{drilled}");
        match ending {
            Ending::Passes => {
                assert_eq!(drilled.code, EXIT_PASSED, "{drilled}");
                for m in array(&drill["report"]["migrations"]) {
                    let result = text(&m["result"]);
                    assert!(result.starts_with("passed") || result == "manual", "{m}");
                }
                assert_eq!(drill["report"]["final_check"]["passed"], true, "{drilled}");
            }
            Ending::StopsAt(name) => {
                assert_eq!(drilled.code, EXIT_FAILED, "{drilled}");
                let stopped = text(&drill["report"]["stopped"]);
                assert!(stopped.contains(name), "{drilled}");
            }
            Ending::FailsOnlyAt(name) => {
                assert_eq!(drilled.code, EXIT_FAILED, "{drilled}");
                assert!(drill["report"]["stopped"].is_null(), "{drilled}");
                for m in array(&drill["report"]["migrations"]) {
                    let result = text(&m["result"]);
                    if text(&m["name"]).ends_with(name) {
                        assert_eq!(result, "failed", "{m}");
                    } else {
                        assert!(result.starts_with("passed") || result == "manual", "{m}");
                    }
                }
                assert_eq!(drill["report"]["final_check"]["passed"], true, "{drilled}");
            }
        }
        Outcome {
            explain,
            drill,
            code: drilled.code,
        }
    }

    /// The statement at `line` of `migration` in the explain report.
    pub fn explained(&self, migration: &str, line: u64) -> &Value {
        self.explained_statements(migration)
            .iter()
            .find(|s| s["location"]["line"] == line)
            .unwrap_or_else(|| panic!("explain has no statement at {migration}:{line}"))
    }

    fn explained_statements(&self, migration: &str) -> &Vec<Value> {
        let m = array(&self.explain["migrations"])
            .iter()
            .find(|m| names(&m["name"], migration))
            .unwrap_or_else(|| panic!("explain has no migration {migration}"));
        array(&m["statements"])
    }

    /// What explain says of `rule` in this outcome, and the traces of the statements it names.
    pub fn rule(&self, rule: &'static str) -> Proof<'_> {
        Proof {
            outcome: self,
            rule,
        }
    }

    pub fn migration(&self, name: &str) -> &Value {
        array(&self.drill["report"]["migrations"])
            .iter()
            .find(|m| names(&m["name"], name))
            .unwrap_or_else(|| panic!("{name} is not in the drill report: {}", self.drill))
    }

    /// The trace of the statement at `line` of `migration`'s forward phase.
    pub fn statement(&self, migration: &str, line: u64) -> &Value {
        let forward = phase(self.migration(migration), "forward");
        array(&forward["statements"])
            .iter()
            .find(|s| s["line"] == line)
            .unwrap_or_else(|| panic!("no traced statement at line {line}: {forward}"))
    }

    /// The forward phase of `migration`, after asserting that the drill failed there with
    /// SQLSTATE `code`.
    pub fn failed_forward(&self, migration: &str, code: &str) -> &Value {
        assert_eq!(self.code, EXIT_FAILED, "{}", self.drill);
        failed_phase(self.migration(migration), "forward", code)
    }

    /// The trace of the second statement of `migration`, after asserting that it ran in the
    /// transaction of the first, which took ACCESS EXCLUSIVE on `table` (and so still holds it).
    pub fn under_earlier_lock(&self, migration: &str, table: &str) -> &Value {
        assert_lock(self.statement(migration, 1), table, "AccessExclusiveLock");
        let later = self.statement(migration, 2);
        assert_eq!(later["in_transaction"], true, "{later}");
        assert_eq!(later["earlier_in_transaction"], 1, "{later}");
        later
    }
}

/// What explain says of one rule in an [`Outcome`]; the rest of the outcome reads through it.
pub struct Proof<'a> {
    outcome: &'a Outcome,
    rule: &'static str,
}

impl std::ops::Deref for Proof<'_> {
    type Target = Outcome;

    fn deref(&self) -> &Outcome {
        self.outcome
    }
}

impl<'a> Proof<'a> {
    /// Explain reports the rule for the statement at `line` of `migration`, which contains
    /// `sql`.
    pub fn assert_reports(&self, migration: &str, line: u64, sql: &str) {
        let (statement, rule) = (self.outcome.explained(migration, line), self.rule);
        assert!(text(&statement["sql"]).contains(sql), "{statement}");
        assert!(rules(statement).contains(&rule), "no {rule}: {statement}");
    }

    /// Explain reports the rule for no statement of `migration`.
    pub fn assert_quiet(&self, migration: &str) {
        for statement in self.outcome.explained_statements(migration) {
            let rule = self.rule;
            assert!(!rules(statement).contains(&rule), "{rule}: {statement}");
        }
    }

    /// Explain reports the rule for the statement at `line` of `migration`, which contains
    /// `sql`; the drill's trace of that statement.
    pub fn reports(&self, migration: &str, line: u64, sql: &str) -> &'a Value {
        self.assert_reports(migration, line, sql);
        self.outcome.statement(migration, line)
    }

    /// Explain reports the rule for no statement of `migration`; the drill's trace of the
    /// statement at `line`.
    pub fn quiet(&self, migration: &str, line: u64) -> &'a Value {
        self.assert_quiet(migration);
        self.outcome.statement(migration, line)
    }

    /// Explain reports the rule for no statement of `migration`, and the statement at `line`
    /// ran outside a transaction block, and succeeded (the safe form of a `CONCURRENTLY`).
    pub fn assert_quiet_ran_alone(&self, migration: &str, line: u64) {
        assert_ran_alone(self.quiet(migration, line));
    }
}

/// The rule ids explain reports for one statement.
pub fn rules(statement: &Value) -> Vec<&str> {
    array(&statement["hazards"])
        .iter()
        .map(|h| text(&h["rule"]))
        .collect()
}

/// The strongest lock one traced statement took on an existing `relation`, "" if none.
pub fn strongest_lock<'a>(trace: &'a Value, relation: &str) -> &'a str {
    let rank = |m: &str| unmigrate::locks::LockMode::from_pg_locks(m).expect("a lock mode");
    array(&trace["locks"])
        .iter()
        .filter(|l| l["relation"] == relation && l["created"] == false)
        .map(|l| text(&l["mode"]))
        .max_by_key(|m| rank(m))
        .unwrap_or("")
}

/// The strongest lock one traced statement took on an existing `relation` is `mode`.
pub fn assert_lock(trace: &Value, relation: &str, mode: &str) {
    assert_eq!(strongest_lock(trace, relation), mode, "{trace}");
}

/// One traced statement read `table` in full, and only it, holding `mode` as its strongest lock
/// on it.
pub fn assert_scanned_under(trace: &Value, table: &str, mode: &str) {
    assert_eq!(trace["scanned"], serde_json::json!([table]), "{trace}");
    assert_lock(trace, table, mode);
}

/// One traced statement rewrote each of `relations` (gave them new files) while holding ACCESS
/// EXCLUSIVE on `table`.
pub fn assert_rewrote_under_access_exclusive(trace: &Value, table: &str, relations: &[&str]) {
    for relation in relations {
        assert!(rewrote(trace).contains(relation), "{trace}");
    }
    assert_lock(trace, table, "AccessExclusiveLock");
}

/// One traced statement ran outside a transaction block, and succeeded.
pub fn assert_ran_alone(trace: &Value) {
    assert_eq!(trace["in_transaction"], false, "{trace}");
    assert_eq!(trace["failed"], false, "{trace}");
}

/// Relations a traced statement created (locked while new).
pub fn created(trace: &Value) -> Vec<&str> {
    array(&trace["locks"])
        .iter()
        .filter(|l| l["created"] == true)
        .map(|l| text(&l["relation"]))
        .collect()
}

pub fn rewrote(trace: &Value) -> Vec<&str> {
    array(&trace["rewrote"]).iter().map(text).collect()
}

pub fn scanned(trace: &Value) -> Vec<&str> {
    array(&trace["scanned"]).iter().map(text).collect()
}

/// How a history's drill must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Every migration passed (or is manual).
    Passes,
    /// The drill stops at this migration, which fails.
    StopsAt(&'static str),
    /// Only this migration fails, and the drill goes on to the end.
    FailsOnlyAt(&'static str),
}
