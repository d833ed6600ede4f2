//! End-to-end tests of the `unmigrate` binary: exit codes, messages, and what lands on disk.
//!
//! Each test builds a throwaway project (`<tmp>/migrations/…`) and runs the real binary on it.
//! Every failing run must leave the whole project byte for byte as it was, with no staging
//! directory (`.unmigrate-*`) left beside `migrations/`.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

mod common;
use common::{run_in, stable, Run};

const MARKER: &str = "-- unmigrate: undo of ";
/// Far enough in the future to sort after every fixture folder.
const TS: &str = "20990101000000";
const INIT: &str = "20240101000000_init";
const ADD: &str = "20240102000000_add";

/// Every file under a directory (relative path → bytes) and every directory (→ `None`).
type Tree = BTreeMap<PathBuf, Option<Vec<u8>>>;

fn tree(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, out: &mut Tree) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(rel, None);
                walk(root, &path, out);
            } else {
                out.insert(rel, Some(fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Tree::new();
    walk(root, root, &mut out);
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The lines of a generated file that are SQL, not comments or blank.
fn code_lines(sql: &str) -> Vec<&str> {
    sql.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
        .collect()
}

/// A project directory holding `migrations/`.
struct Project {
    tmp: TempDir,
}

impl Project {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("migrations")).unwrap();
        Project { tmp }
    }

    /// A project with `INIT` creating table "a", then `ADD` holding `sql`.
    fn with_second(sql: impl AsRef<[u8]>) -> Self {
        let p = Project::new();
        p.write_migration(INIT, "CREATE TABLE \"a\" (\"id\" int);\n");
        p.write_migration(ADD, sql);
        p
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn migrations(&self) -> PathBuf {
        self.root().join("migrations")
    }

    fn write_migration(&self, name: &str, sql: impl AsRef<[u8]>) {
        let dir = self.migrations().join(name);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("migration.sql"), sql).unwrap();
    }

    /// `unmigrate generate <migrations> ARGS`.
    fn generate(&self, args: &[&str]) -> Run {
        let dir = self.migrations();
        let mut all = vec!["generate", dir.to_str().unwrap()];
        all.extend_from_slice(args);
        run_in(self.root(), &all)
    }

    /// The text of `migrations/<folder>/migration.sql`.
    fn read(&self, folder: &str) -> String {
        fs::read_to_string(self.migrations().join(folder).join("migration.sql")).unwrap()
    }

    fn tree(&self) -> Tree {
        tree(self.root())
    }

    /// Asserts that no staging directory is left beside `migrations/`.
    fn assert_no_staging(&self) {
        let stray: Vec<String> = names(self.root())
            .into_iter()
            .filter(|n| n.starts_with(".unmigrate-"))
            .collect();
        assert!(stray.is_empty(), "staging left behind: {stray:?}");
    }

    /// Runs `generate ARGS`, expects exit 2 with nothing written, and snapshots its whole
    /// stderr as `snapshots/errors/cli__<name>.snap`.
    fn generate_fails(&self, name: &str, args: &[&str]) {
        let before = self.tree();
        let run = self.generate(args);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.starts_with("error: "), "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert_eq!(self.tree(), before, "a failed run changed files");
        self.assert_stderr(name, &run.stderr);
    }

    /// Snapshots a whole stderr as `snapshots/errors/cli__<name>.snap`, with the project's
    /// path shown as `[project]`.
    fn assert_stderr(&self, name: &str, stderr: &str) {
        let stderr = stable(stderr, &[(self.root(), "[project]")]);
        insta::with_settings!({
            snapshot_path => "../snapshots/errors",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("cli__{name}"), stderr);
        });
    }

    /// Runs `generate ARGS`, expects `code`, and checks no staging directory is left.
    fn generate_ok(&self, args: &[&str], code: i32) -> Run {
        let run = self.generate(args);
        assert_eq!(run.code, code, "{run:?}");
        self.assert_no_staging();
        run
    }
}

#[test]
fn syntax_error_names_file_line_column_and_writes_nothing() {
    let p =
        Project::with_second("CREATE TABLE \"b\" (id int);\nALTER TABLE \"b\" ADDD COLUMN x int;");
    p.generate_fails(
        "syntax_error_names_file_line_column_and_writes_nothing",
        &["--timestamp", TS],
    );
}

#[test]
fn folder_without_migration_sql_is_refused() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    fs::create_dir(p.migrations().join("20240103000000_empty")).unwrap();
    p.generate_fails("folder_without_migration_sql_is_refused", &[]);
}

#[test]
fn non_utf8_migration_names_file_and_line() {
    let p = Project::with_second(b"SELECT 1;\n\xff\xfe bad");
    p.generate_fails("non_utf8_migration_names_file_and_line", &[]);
}

#[test]
fn missing_migrations_dir_asks_for_the_path() {
    let p = Project::new();
    let missing = p.root().join("nope");
    let run = run_in(p.root(), &["generate", missing.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    p.assert_stderr("missing_migrations_dir", &run.stderr);

    // The default, `prisma/migrations`, does not exist in the project either.
    let run = run_in(p.root(), &["generate"]);
    assert_eq!(run.code, 2, "{run:?}");
    p.assert_stderr("missing_default_migrations_dir", &run.stderr);
    assert!(!p.root().join("prisma").exists());
}

#[test]
fn lock_file_must_name_postgresql_but_may_be_missing() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    p.generate_ok(&["--dry-run"], 0);

    let lock = p.migrations().join("migration_lock.toml");
    fs::write(&lock, "# Prisma\nprovider = \"postgresql\"\n").unwrap();
    p.generate_ok(&["--dry-run"], 0);

    fs::write(&lock, "provider = \"mysql\"\n").unwrap();
    p.generate_fails("lock_file_must_name_postgresql_but_may_be_missing", &[]);
}

#[test]
fn existing_undo_is_refused_unless_forced() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let folder = format!("{TS}_undo_add");
    let run = p.generate_ok(&["--timestamp", TS], 0);
    assert!(run.stdout.contains(&folder), "{run:?}");
    assert_eq!(names(&p.migrations()), [INIT, ADD, folder.as_str()]);
    let first = p.read(&folder);
    assert!(first.starts_with(&format!("{MARKER}{ADD}\n")), "{first}");

    // Same command again: the history already holds an undo of ADD.
    p.generate_fails(
        "existing_undo_is_refused_unless_forced__1",
        &["--timestamp", TS],
    );
    p.generate_fails("existing_undo_is_refused_unless_forced__2", &[]);

    // --force replaces the untouched folder in place, under the same name.
    let path = p.migrations().join(&folder).join("migration.sql");
    fs::write(&path, &first).unwrap(); // rewritten, but as generated
    p.generate_ok(&["--force"], 0);
    assert_eq!(names(&p.migrations()), [INIT, ADD, folder.as_str()]);
    assert_eq!(p.read(&folder), first);
}

/// Users finish the manual blocks in the generated file; `--force` must not discard that work
/// unless told to, twice.
#[test]
fn force_refuses_a_hand_edited_undo_unless_told_to_discard_the_edits() {
    let p = Project::with_second("INSERT INTO \"a\" (\"id\") VALUES (1);\n");
    let folder = format!("{TS}_undo_add");
    p.generate_ok(&["--timestamp", TS], 1);
    let generated = p.read(&folder);
    let edited = generated.replace(
        "DO $unmigrate$",
        "DELETE FROM \"a\" WHERE \"id\" = 1;\n-- DO $unmigrate$",
    );
    assert_ne!(edited, generated);
    let path = p.migrations().join(&folder).join("migration.sql");
    fs::write(&path, &edited).unwrap();

    p.generate_fails(
        "force_refuses_a_hand_edited_undo_unless_told_to_discard_the_edits",
        &["--force"],
    );
    assert_eq!(p.read(&folder), edited);

    let run = p.generate(&["--discard-edits"]);
    assert_eq!(run.code, 2, "{run:?}");
    p.assert_stderr("discard_edits_without_force", &run.stderr);
    assert_eq!(p.read(&folder), edited);

    p.generate_ok(&["--force", "--discard-edits"], 1);
    assert_eq!(p.read(&folder), generated);
}

/// With `--force` every folder reuses its existing name, so `--timestamp` names nothing and
/// re-running the exact command that wrote the folder should replace it.
#[test]
fn force_with_the_same_timestamp_replaces() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    p.generate_ok(&["--timestamp", TS], 0);
    p.generate_ok(&["--timestamp", TS, "--force"], 0);
    assert_eq!(
        names(&p.migrations()),
        [INIT, ADD, format!("{TS}_undo_add").as_str()]
    );
}

#[test]
fn force_never_replaces_a_folder_unmigrate_did_not_write() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let out = p.root().join("out");
    let theirs = out.join(format!("{TS}_undo_add"));
    fs::create_dir_all(&theirs).unwrap();
    fs::write(theirs.join("migration.sql"), "-- hand written\nSELECT 1;\n").unwrap();
    let out = out.to_str().unwrap();

    p.generate_fails(
        "force_never_replaces_a_folder_unmigrate_did_not_write__1",
        &["--out", out, "--timestamp", TS],
    );
    p.generate_fails(
        "force_never_replaces_a_folder_unmigrate_did_not_write__2",
        &["--out", out, "--timestamp", TS, "--force"],
    );
}

#[test]
fn out_dir_receives_the_folders_and_history_stays_untouched() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let history = tree(&p.migrations());
    let out = p.root().join("out");
    p.generate_ok(&["--out", out.to_str().unwrap(), "--timestamp", TS], 0);
    assert_eq!(tree(&p.migrations()), history);
    assert_eq!(names(&out), [format!("{TS}_undo_add")]);
}

#[test]
fn timestamp_older_than_an_existing_folder_is_refused() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    p.generate_fails(
        "timestamp_older_than_an_existing_folder_is_refused__1",
        &["--timestamp", "20240101120000"],
    );
    // Equal is not newer either.
    p.generate_fails(
        "timestamp_older_than_an_existing_folder_is_refused__2",
        &["--timestamp", "20240102000000"],
    );
}

#[test]
fn invalid_timestamp_and_conflicting_options_are_usage_errors() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    p.generate_fails(
        "invalid_timestamp_and_conflicting_options_are_usage_errors",
        &["--timestamp", "20230229120000"],
    );
    let run = p.generate(&["--last", "1", "--all"]);
    assert_eq!(run.code, 2, "{run:?}");
    p.assert_stderr("last_and_all", &run.stderr);
}

/// A full disk on standard output is an error about standard output, said once, and the
/// user learns whether the undo was written before it.
#[test]
fn a_report_that_cannot_be_printed_says_so_and_what_was_written() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let full = |args: &[&str]| {
        let dir = p.migrations();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_unmigrate"))
            .env("NO_COLOR", "1") // the messages compared are plain
            .arg("generate")
            .arg(&dir)
            .args(args)
            .stdout(fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let before = p.tree();
    let (code, stderr) = full(&["--dry-run", "--timestamp", TS]);
    assert_eq!(code, Some(2), "{stderr}");
    p.assert_stderr("full_stdout_dry_run", &stderr);
    assert_eq!(p.tree(), before);

    let (code, stderr) = full(&["--timestamp", TS]);
    assert_eq!(code, Some(2), "{stderr}");
    p.assert_stderr("full_stdout_after_writing", &stderr);
    assert!(p.migrations().join(format!("{TS}_undo_add")).is_dir());
    p.assert_no_staging();
}

/// A reader that stops reading (`| head`) ends the report quietly, with the status of a process
/// killed by SIGPIPE, and changes nothing.
#[test]
fn a_closed_pipe_on_standard_output_ends_quietly() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let before = p.tree();
    for args in [
        vec!["generate", "--dry-run", "--timestamp", TS],
        vec!["explain"],
    ] {
        // The reading end is closed before the command starts: its first write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_unmigrate"))
            .env("NO_COLOR", "1") // the messages compared are plain
            .args(&args)
            .arg(p.migrations())
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(141), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
    assert_eq!(p.tree(), before);
}

#[test]
fn dry_run_prints_the_sql_and_writes_nothing() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let before = p.tree();
    let run = p.generate_ok(&["--dry-run", "--timestamp", TS], 0);
    assert_eq!(p.tree(), before);
    assert!(run.stdout.contains(&format!("{MARKER}{ADD}\n")), "{run:?}");
    assert!(run.stdout.contains("DROP"), "{run:?}");
    assert!(run.stdout.contains("dry run, not written"), "{run:?}");
    assert!(!run.stdout.contains("wrote "), "{run:?}");
}

/// `--migration` takes what generate, drill and explain all take: a folder name, the name
/// after its timestamp (what `prisma migrate dev --name` was given), or a unique start of one.
#[test]
fn migration_names_as_prisma_users_type_them() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let prisma_name = ADD.split_once('_').unwrap().1;
    for name in [ADD, prisma_name, &ADD[..10]] {
        let run = p.generate_ok(&["--dry-run", "--timestamp", TS, "--migration", name], 0);
        assert!(
            run.stdout.contains(&format!("{MARKER}{ADD}\n")),
            "{name}: {run:?}"
        );
    }
    p.generate_fails(
        "migration_names_as_prisma_users_type_them__1",
        &["--migration", "2024"],
    );
    let typo = format!("{prisma_name}x");
    p.generate_fails(
        "migration_names_as_prisma_users_type_them__2",
        &["--migration", &typo],
    );
}

#[test]
fn json_report_has_counts_and_folders() {
    let p = Project::with_second(
        "ALTER TABLE \"a\" ADD COLUMN \"c\" int;\nCREATE INDEX \"a_c_idx\" ON \"a\"(\"c\");\n",
    );
    let run = p.generate_ok(&["--format", "json", "--timestamp", TS], 0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let counts = &report["counts"];
    assert_eq!(
        (&counts["exact"], &counts["lossy"], &counts["manual"]),
        (&1.into(), &1.into(), &0.into()),
        "{report:#}"
    );
    assert_eq!(report["verdict"], "lossy", "{report:#}");
    assert_eq!(report["dry_run"], false, "{report:#}");
    assert_eq!(report["format_version"], 1, "{report:#}");
    let undo = &report["undos"][0];
    // The data the lossy undo loses names its table unquoted, its schema beside it.
    let loses: Vec<&serde_json::Value> = undo["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .filter_map(|s| s.get("loses"))
        .collect();
    assert_eq!(
        loses,
        [&serde_json::json!([
            {"kind": "column", "table": "a", "schema": "public", "column": "c"}
        ])],
        "{report:#}"
    );
    assert_eq!(undo["source"], ADD, "{report:#}");
    let name = format!("{TS}_undo_add");
    assert_eq!(undo["folders"][0]["name"], name.as_str(), "{report:#}");
    let written = report["written"][0].as_str().expect("a written path");
    assert!(Path::new(written).ends_with(&name), "{report:#}");
    assert_eq!(
        undo["folders"][0]["sql"].as_str(),
        Some(p.read(&name).as_str())
    );
}

#[test]
fn data_statement_gives_a_manual_block_that_fails_unedited() {
    let p = Project::with_second("INSERT INTO \"a\" (\"id\") VALUES (1);\n");
    let run = p.generate_ok(&["--timestamp", TS], 1);
    assert!(run.stdout.contains("MANUAL STEP"), "{run:?}");
    let sql = p.read(&format!("{TS}_undo_add"));
    assert!(sql.starts_with(&format!("{MARKER}{ADD}\n")), "{sql}");
    // The block is live SQL, not a comment, so deploying the file unedited fails.
    let code = code_lines(&sql);
    assert_eq!(code.len(), 3, "{sql}");
    assert_eq!(code[0], "SET lock_timeout = '5s';", "{sql}");
    assert_eq!(code[2], "RESET lock_timeout;", "{sql}");
    let block = code[1];
    assert!(block.starts_with("DO $unmigrate$"), "{sql}");
    assert!(block.contains("RAISE EXCEPTION"), "{sql}");
    assert!(block.ends_with("END $unmigrate$;"), "{sql}");
    assert!(
        sql.contains("--   INSERT INTO \"a\" (\"id\") VALUES (1)"),
        "{sql}"
    );
}

#[test]
fn last_two_undoes_newest_source_first() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let third = "20240103000000_more";
    p.write_migration(third, "CREATE TABLE \"c\" (\"id\" int);\n");
    let run = p.generate_ok(&["--last", "2", "--timestamp", TS], 0);
    let newest = format!("{TS}_undo_more");
    let older = "20990101000001_undo_add";
    assert_eq!(
        names(&p.migrations()),
        [INIT, ADD, third, newest.as_str(), older]
    );
    assert!(p.read(&newest).starts_with(&format!("{MARKER}{third}\n")));
    assert!(p.read(older).starts_with(&format!("{MARKER}{ADD}\n")));
    let position = |name: &str| run.stdout.find(name).expect("folder reported");
    assert!(position(&newest) < position(older), "{run:?}");
}

#[test]
fn concurrent_index_undo_gets_a_folder_of_its_own() {
    let p = Project::new();
    p.write_migration(INIT, "CREATE TABLE \"t\" (\"a\" int);\n");
    p.write_migration(
        ADD,
        "ALTER TABLE \"t\" ADD COLUMN \"b\" int;\nCREATE INDEX CONCURRENTLY \"t_a_idx\" ON \"t\"(\"a\");\n",
    );
    p.generate_ok(&["--timestamp", TS], 0);
    let first = format!("{TS}_undo_add");
    let second = "20990101000001_undo_add_part2";
    assert_eq!(names(&p.migrations()), [INIT, ADD, first.as_str(), second]);

    // Deploy order is the reverse of the forward order: the index goes first, alone.
    let index = p.read(&first);
    assert!(index.starts_with(&format!("{MARKER}{ADD}\n")), "{index}");
    let code = code_lines(&index);
    assert_eq!(code.len(), 1, "{index}");
    assert!(code[0].starts_with("DROP INDEX CONCURRENTLY"), "{index}");
    assert!(code[0].contains("t_a_idx"), "{index}");

    // The rest sets lock_timeout for itself; the lone index cannot (batch mode would then
    // run it inside a transaction block).
    assert!(!index.contains("lock_timeout ="), "{index}");
    let column = p.read(second);
    assert!(column.starts_with(&format!("{MARKER}{ADD}\n")), "{column}");
    let code = code_lines(&column);
    assert_eq!(code.len(), 3, "{column}");
    assert_eq!(code[0], "SET lock_timeout = '5s';", "{column}");
    assert!(code[1].starts_with("ALTER TABLE"), "{column}");
    assert!(code[1].contains("DROP"), "{column}");
    assert!(!code[1].contains("CONCURRENTLY"), "{column}");
    assert_eq!(code[2], "RESET lock_timeout;", "{column}");
}

#[test]
fn lock_timeout_is_configurable_and_0_or_off_leaves_it_out() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let name = format!("{TS}_undo_add");
    p.generate_ok(&["--timestamp", TS, "--lock-timeout", "750ms"], 0);
    let code = code_lines(&p.read(&name)).join("\n");
    assert_eq!(
        code,
        "SET lock_timeout = '750ms';\nALTER TABLE a DROP COLUMN b;\nRESET lock_timeout;"
    );
    for none in ["0", "off"] {
        p.generate_ok(&["--timestamp", TS, "--force", "--lock-timeout", none], 0);
        let sql = p.read(&name);
        assert_eq!(code_lines(&sql), ["ALTER TABLE a DROP COLUMN b;"], "{sql}");
        assert!(!sql.contains("SET lock_timeout"), "{sql}");
        // The header's explain says so.
        assert!(
            sql.contains(": missing-lock-timeout: ")
                && sql.contains("(kept: generate --lock-timeout 0 or off"),
            "{sql}"
        );
    }
    p.generate_fails(
        "lock_timeout_is_configurable_and_0_or_off_leaves_it_out",
        &["--lock-timeout", "5 seconds"],
    );
}

#[test]
fn last_zero_or_more_than_the_history_holds_is_a_usage_error() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    p.generate_fails(
        "last_zero_or_more_than_the_history_holds_is_a_usage_error__1",
        &["--last", "0"],
    );
    p.generate_fails(
        "last_zero_or_more_than_the_history_holds_is_a_usage_error__2",
        &["--last", "3"],
    );
    p.generate_ok(&["--last", "2", "--dry-run"], 0);
}

#[test]
fn a_named_pipe_as_migration_sql_is_refused_without_hanging() {
    let p = Project::with_second("ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let dir = p.migrations().join("20240103000000_pipe");
    fs::create_dir(&dir).unwrap();
    let fifo = dir.join("migration.sql");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_unmigrate"))
        .env("NO_COLOR", "1") // the messages compared are plain
        .args(["generate", p.migrations().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("generate hangs on a named pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    p.assert_stderr("named_pipe", &stderr);
}

#[test]
fn escape_sequences_in_folder_names_are_shown_not_sent_to_the_terminal() {
    let p = Project::new();
    p.write_migration(INIT, "CREATE TABLE \"a\" (\"id\" int);\n");
    let hostile = "20240102000000_x\x1b]0;owned\x07\r";
    p.write_migration(hostile, "ALTER TABLE \"a\" ADD COLUMN \"b\" int;\n");
    let run = p.generate_ok(&["--timestamp", TS], 0);
    assert!(!run.stdout.contains(['\x1b', '\x07', '\r']), "{run:?}");
    assert!(
        run.stdout
            .contains("undo of 20240102000000_x\\x1b]0;owned\\x07\\r: lossy"),
        "{run:?}"
    );
    p.generate_fails(
        "escape_sequences_in_folder_names_are_shown_not_sent_to_the_terminal",
        &["--migration", "nope\x1b[2J"],
    );
}

/// A carriage return inside a restored literal is data: it is written as it is, passes the
/// guard, and a later `--force` sees the file as unedited.
#[test]
fn a_crlf_inside_a_restored_literal_is_kept_and_force_still_replaces() {
    let p = Project::new();
    p.write_migration(
        INIT,
        "CREATE TABLE \"a\" (\"id\" int);\nCOMMENT ON TABLE \"a\" IS 'x\r\ny';\n",
    );
    p.write_migration(ADD, "COMMENT ON TABLE \"a\" IS 'z';\n");
    p.generate_ok(&["--timestamp", TS], 0);
    let folder = format!("{TS}_undo_add");
    let written = p.read(&folder);
    assert!(written.contains("IS 'x\r\ny';\n"), "{written:?}");
    p.generate_ok(&["--force"], 0);
    assert_eq!(p.read(&folder), written);
}

#[test]
fn undoing_an_older_migration_that_a_later_foreign_key_depends_on_is_refused() {
    let p = Project::new();
    p.write_migration(INIT, "CREATE TABLE \"T\" (\"id\" int PRIMARY KEY);\n");
    p.write_migration(
        ADD,
        "CREATE TABLE \"orders\" (\"id\" int, \"t_id\" int);\n\
         ALTER TABLE \"orders\" ADD CONSTRAINT \"orders_t_id_fkey\" \
         FOREIGN KEY (\"t_id\") REFERENCES \"T\"(\"id\");\n",
    );
    // Dropping "T" after ADD fails: "orders_t_id_fkey" depends on it.
    p.generate_fails(
        "older_migration_a_later_key_depends_on",
        &["--migration", INIT],
    );
    p.generate_ok(&["--last", "2", "--timestamp", TS], 0);
    assert_eq!(
        names(&p.migrations()),
        [
            INIT,
            ADD,
            &format!("{TS}_undo_add"),
            "20990101000001_undo_init"
        ]
    );
}
