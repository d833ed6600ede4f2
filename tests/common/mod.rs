//! What the end-to-end tests share: running the real binary and reading what it printed, a
//! sandbox for runs that start an embedded PostgreSQL, writing Prisma histories, and (in
//! `undo`) drilling a generated undo on a scratch database.
//!
//! Each test file is a crate of its own and uses only part of this.
#![allow(dead_code)]

pub mod cases;
pub mod process;
pub mod tcp_server;
pub mod undo;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The undo `generate` plans for `selection` of `history`, as the binary would with
/// `--timestamp 20990101000000` and the default lock timeout: the same folder names each run.
pub fn fixed_plan(
    history: &unmigrate::migrations::History,
    selection: &unmigrate::generate::Selection,
) -> unmigrate::generate::Plan {
    let ts = unmigrate::migrations::Timestamp::parse("20990101000000").expect("timestamp");
    let timeout = unmigrate::undo::LockTimeout::default_timeout();
    unmigrate::generate::plan(history, selection, Some(ts), ts, false, Some(&timeout))
        .expect("generate plans the undo")
}

pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path as an argument; test paths are always UTF-8.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// `text` with each path replaced by its stand-in (e.g. a temp dir by `[project]`), and the
/// timestamp of every undo folder (`<14 digits>_undo_`, named after the clock) by
/// `[timestamp]`, so that a message can be snapshotted whole.
pub fn stable(text: &str, paths: &[(&Path, &str)]) -> String {
    let mut text = text.to_string();
    for (path, stand_in) in paths {
        text = text.replace(arg(path), stand_in);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("_undo_") {
        let digits = rest[..at]
            .bytes()
            .rev()
            .take_while(u8::is_ascii_digit)
            .count();
        let keep = if digits >= 14 { at - 14 } else { at };
        out.push_str(&rest[..keep]);
        if digits >= 14 {
            out.push_str("[timestamp]");
        }
        out.push_str("_undo_");
        rest = &rest[at + "_undo_".len()..];
    }
    out.push_str(rest);
    out
}

/// The outcome of one finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: Output) -> Run {
        Run {
            code: output
                .status
                .code()
                .expect("exited, not killed by a signal"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// The report on stdout, as JSON; nothing may be on stderr.
    pub fn json(&self) -> Value {
        assert!(self.stderr.is_empty(), "unexpected stderr:\n{self}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("the report is not JSON ({e}):\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `unmigrate ARGS` in `cwd`, with the caller's environment but never colour (a caller's
/// `CLICOLOR_FORCE` would colour, and with `COLUMNS` wrap, what the tests compare).
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_unmigrate"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the unmigrate binary");
    Run::from_output(output)
}

/// A private TMPDIR for the binary (where its embedded cluster lives) beside a project folder
/// for the test's own files, so that what the binary leaves behind is easy to see.
pub struct Sandbox {
    pub root: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("tmp")).unwrap();
        fs::create_dir(root.path().join("project")).unwrap();
        // As root, the cluster runs as `postgres`, which must reach its directory in tmp/.
        for dir in [root.path().to_path_buf(), root.path().join("tmp")] {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        }
        Sandbox { root }
    }

    pub fn tmp(&self) -> PathBuf {
        self.root.path().join("tmp")
    }

    pub fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }

    /// The binary with a clean environment (the embedded PostgreSQL, never a server named by
    /// the caller's variables), run from the checkout so fixture paths are short.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_unmigrate"));
        command
            .args(args)
            .current_dir(manifest_dir())
            .env("NO_COLOR", "1")
            .env("TMPDIR", self.tmp())
            .env_remove("DATABASE_URL")
            .env_remove("SHADOW_DATABASE_URL")
            .stdin(Stdio::null());
        command
    }

    /// Runs `unmigrate ARGS` to the end.
    pub fn output(&self, args: &[&str]) -> Run {
        Run::from_output(
            self.command(args)
                .output()
                .expect("run the unmigrate binary"),
        )
    }

    /// Writes a Prisma history to the project's `migrations/` (see [`write_history`]) and
    /// returns its path.
    pub fn history(&self, migrations: &[(&str, &str)]) -> PathBuf {
        let dir = self.project().join("migrations");
        write_history(&dir, migrations);
        dir
    }
}

/// Drills `history`, written to `dir/migrations`, in one database of the embedded server, in
/// `mode`, seeded with `seed_rows` rows per table when given.
pub fn drill_in_one_database(
    dir: &Path,
    history: &[(&str, &str)],
    mode: unmigrate::migrations::ApplyMode,
    seed_rows: Option<u64>,
) -> unmigrate::drill::outcome::DrillReport {
    let migrations = dir.join("migrations");
    write_history(&migrations, history);
    let mut plan = unmigrate::drill::DrillPlan::whole_history(
        migrations,
        unmigrate::scratch::ScratchSource::Embedded(Default::default()),
    );
    plan.seed = seed_rows.map(|rows| unmigrate::drill::script::Seed { rows });
    plan.jobs = Some(1);
    plan.apply_mode = mode;
    unmigrate::drill::run(&plan, &mut |_| {}).unwrap()
}

/// Writes `files` (paths relative to `dir`; folders are made as needed): another tool's
/// migrations folder, a configuration file.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

/// Writes a Prisma history: the lock file and one `<folder>/migration.sql` per entry.
pub fn write_history(dir: &Path, migrations: &[(&str, &str)]) {
    fs::create_dir_all(dir).unwrap();
    fs::write(
        dir.join("migration_lock.toml"),
        "provider = \"postgresql\"\n",
    )
    .unwrap();
    for (folder, sql) in migrations {
        fs::create_dir(dir.join(folder)).unwrap();
        fs::write(dir.join(folder).join("migration.sql"), sql).unwrap();
    }
}

/// The first column of every row `sql` returns, as text.
pub fn query_strings(client: &mut postgres::Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| row.get(0))
        .collect()
}

// Reading JSON reports

pub fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
}

pub fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// One phase of a migration in a drill report.
pub fn phase<'a>(migration: &'a Value, name: &str) -> &'a Value {
    array(&migration["phases"])
        .iter()
        .find(|p| p["phase"] == name)
        .unwrap_or_else(|| panic!("no {name} phase: {migration}"))
}

/// One phase of a migration in a drill report, which failed with SQLSTATE `code`.
pub fn failed_phase<'a>(migration: &'a Value, name: &str, code: &str) -> &'a Value {
    let failed = phase(migration, name);
    assert_eq!(failed["status"], "error", "{failed}");
    assert_eq!(failed["code"], code, "{failed}");
    failed
}
