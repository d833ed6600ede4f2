//! `unmigrate drill` end to end: the real binary drills real histories on a real PostgreSQL,
//! and the tests read its reports (JSON mostly; the human text where the text is the point).
//!
//! Histories are committed fixtures under `tests/drills/<case>/` when a case reads better as
//! files, or written into a temp dir by the test. Nothing is mocked or skipped: without
//! PostgreSQL every test fails with the binary's own install hint.
//!
//! Every run gets a private `TMPDIR` (the embedded cluster lives there) and must leave it empty,
//! with no `postgres` process still serving from it: each test checks cleanup as well.
//!
//! One file per subject; the SQL fixtures they share sit in `fixtures/`, the helpers for
//! running the binary and reading its reports below, and what other test crates share in
//! `tests/common/`.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;

use unmigrate::scratch::{ScratchOptions, ScratchServer, NAME_PREFIX};

#[path = "../common/mod.rs"]
mod common;
use common::process::{
    children, cmdline, process_gone, processes_mentioning, wait_for, wait_until,
};
use common::{
    arg, array, failed_phase, manifest_dir, phase, query_strings, text, write_history, Run, Sandbox,
};

mod cleanup;
mod databases;
mod failing;
mod passing;
mod seeded;
mod trace;

const EXIT_PASSED: i32 = 0;
const EXIT_FAILED: i32 = 1;
const EXIT_ERROR: i32 = 2;
/// How a shell reports death by SIGTERM, which the binary's signal cleanup exits with.
const EXIT_SIGTERM: i32 = 128 + libc::SIGTERM;

/// A `"User"` table most histories here start from.
const USER_TABLE: &str = include_str!("fixtures/user_table.sql");

const DEMO_SCRIPT: &str = "drills/demo.toml";
const DEMO_MIGRATIONS: &str = "drills/demo/migrations";
const NICKNAME_DROP: &str = "20260209150000_drop_user_nickname";

/// How long an embedded server may take to come up. Generous: the VM is slow and shared.
const START_WAIT: Duration = Duration::from_secs(120);
/// How long cleanup may take before a test calls it missing.
const CLEANUP_WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Running the binary

/// `unmigrate drill ARGS` in a sandbox of its own.
fn drill(args: &[&str]) -> Run {
    Sandbox::new().drill(args)
}

/// The JSON report of `unmigrate drill ARGS --format json`, in a sandbox of its own, which
/// passed.
fn passed_report(args: &[&str]) -> Value {
    drill(&[args, &["--format", "json"]].concat()).passed_json()
}

/// The JSON report of `unmigrate drill ARGS --format json`, in a sandbox of its own, which
/// failed.
fn failed_report(args: &[&str]) -> Value {
    drill(&[args, &["--format", "json"]].concat()).failed_json()
}

/// What drills add to the shared sandbox: every finished run must leave it empty.
impl Sandbox {
    fn stderr_path(&self) -> PathBuf {
        self.root.path().join("stderr.txt")
    }

    /// Runs `unmigrate drill ARGS` to the end and checks it left nothing behind.
    fn drill(&self, args: &[&str]) -> Run {
        let mut all = vec!["drill"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Runs `unmigrate ARGS` to the end and checks it left nothing behind.
    fn run(&self, args: &[&str]) -> Run {
        let run = self.output(args);
        self.assert_nothing_left();
        run
    }

    /// Writes `toml` as the project's drill script, `drill.toml`, and returns its path.
    fn script(&self, toml: &str) -> PathBuf {
        let path = self.project().join("drill.toml");
        fs::write(&path, toml).unwrap();
        path
    }

    /// Starts `unmigrate ARGS` in the background, its output going to files.
    fn spawn(&self, args: &[&str]) -> Running {
        let stdout = fs::File::create(self.root.path().join("stdout.txt")).unwrap();
        let stderr = fs::File::create(self.stderr_path()).unwrap();
        let child = self
            .command(args)
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start the unmigrate binary");
        Running { child }
    }

    /// No postgres still serves from this sandbox's TMPDIR, and the TMPDIR is empty.
    fn assert_nothing_left(&self) {
        let tmp = self.tmp();
        wait_until("the run's postgres to stop", CLEANUP_WAIT, || {
            processes_mentioning(&tmp).is_empty()
        });
        let left: Vec<PathBuf> = fs::read_dir(&tmp)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
    }
}

impl Run {
    /// The JSON report of a drill that passed.
    fn passed_json(&self) -> Value {
        assert_eq!(self.code, EXIT_PASSED, "{self}");
        self.json()
    }

    /// The JSON report of a drill that failed.
    fn failed_json(&self) -> Value {
        assert_eq!(self.code, EXIT_FAILED, "{self}");
        let report = self.json();
        assert_eq!(report["passed"], false);
        report
    }
}

/// A binary still running; killed if the test fails before it ends.
struct Running {
    child: Child,
}

impl Running {
    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions.
        let result = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(result, 0, "cannot signal unmigrate");
    }

    /// The exit code once it exits (`None` if a signal killed it), within `timeout`.
    fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let status = wait_for("unmigrate to exit", timeout, || {
            self.child.try_wait().unwrap()
        });
        status.code()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Reading JSON reports

fn migrations(report: &Value) -> &Vec<Value> {
    array(&report["report"]["migrations"])
}

/// (name, result) of every migration in scope, in order.
fn results(report: &Value) -> Vec<(String, String)> {
    migrations(report)
        .iter()
        .map(|m| (text(&m["name"]).to_string(), text(&m["result"]).to_string()))
        .collect()
}

/// Asserts that the migrations in scope are `expected`'s, in order, each passed and claiming
/// its verdict; returns each one's name and report, for the checks a test adds.
fn passed_as_claimed<'e, 'r>(
    report: &'r Value,
    expected: &[(&'e str, &str)],
) -> Vec<(&'e str, &'r Value)> {
    let passed: Vec<(String, String)> = expected
        .iter()
        .map(|(name, _)| (name.to_string(), "passed".to_string()))
        .collect();
    assert_eq!(results(report), passed);
    expected
        .iter()
        .map(|&(name, claimed)| {
            let migration = migration(report, name);
            assert_eq!(migration["claimed"], claimed, "{name}");
            (name, migration)
        })
        .collect()
}

fn migration<'a>(report: &'a Value, name: &str) -> &'a Value {
    migrations(report)
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the report: {:?}", results(report)))
}

fn migration_result<'a>(report: &'a Value, name: &str) -> &'a str {
    text(&migration(report, name)["result"])
}

/// The `data` section of a migration in a seeded drill's JSON report.
fn data_of(migration: &Value) -> &Value {
    let data = &migration["data"];
    assert!(data.is_object(), "no data section: {migration}");
    data
}

/// (classname, name, failure message) of every JUnit test case with a failure, from the
/// parsed XML, so a malformed document fails the test too.
fn junit_failures(xml: &str) -> Vec<(String, String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut case = None;
    let mut failures = Vec::new();
    loop {
        let element = match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let attribute = |key: &str| -> String {
            element
                .try_get_attribute(key)
                .expect("attribute")
                .map(|a| {
                    a.normalized_value(XmlVersion::Explicit1_0)
                        .expect("unescaped")
                        .into_owned()
                })
                .unwrap_or_default()
        };
        match element.name().as_ref().to_string().as_str() {
            "testcase" => case = Some((attribute("classname"), attribute("name"))),
            "failure" => {
                let (class, name) = case.clone().expect("a failure inside a testcase");
                failures.push((class, name, attribute("message")));
            }
            _ => {}
        }
    }
    failures
}
