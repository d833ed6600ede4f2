//! Bad input loses nothing: every case runs the binary on a project it cannot handle and asserts
//! the exit code, that the project's tree is byte for byte what it was, with nothing left in the
//! binary's temp dir, and snapshots the whole message (`snapshots/errors/`): what is wrong,
//! where, and what to do.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use common::{stable, Run, Sandbox};

/// One file system entry as the tests compare it: kind, mode, and contents or link target.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir(u32),
    File(u32, Vec<u8>),
    Link(PathBuf),
    Other(u32),
}

/// Every entry under `root`, by relative path.
fn tree(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for item in fs::read_dir(&dir).unwrap() {
            let path = item.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let mode = meta.mode() & 0o7777;
            let entry = if meta.file_type().is_symlink() {
                Entry::Link(fs::read_link(&path).unwrap())
            } else if meta.is_dir() {
                stack.push(path.clone());
                Entry::Dir(mode)
            } else if meta.is_file() {
                Entry::File(mode, fs::read(&path).unwrap())
            } else {
                Entry::Other(mode)
            };
            entries.insert(path.strip_prefix(root).unwrap().to_path_buf(), entry);
        }
    }
    entries
}

/// A project to run against: `migrations/` with a small valid history unless a case changes it.
struct Project {
    sandbox: Sandbox,
}

impl Project {
    fn new() -> Project {
        let project = Project {
            sandbox: Sandbox::new(),
        };
        project.migration(
            "20240101000000_init",
            "CREATE TABLE \"User\" (id int PRIMARY KEY);\n",
        );
        project.migration(
            "20240102000000_email",
            "ALTER TABLE \"User\" ADD COLUMN \"email\" text;\n",
        );
        project
    }

    fn root(&self) -> PathBuf {
        self.sandbox.project()
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn migration(&self, folder: &str, sql: impl AsRef<[u8]>) {
        self.write(&format!("migrations/{folder}/migration.sql"), sql);
    }

    /// Runs `unmigrate ARGS` in the project folder and checks that it failed with `code`,
    /// printed no panic, and left the project and the temp dir as they were; its whole stderr
    /// is the snapshot `snapshots/errors/bad_input__<name>.snap`, with the sandbox's paths and
    /// the timestamps of undo folders written during the test made stable.
    fn fails(&self, name: &str, args: &[&str], code: i32) -> Run {
        let before = tree(&self.root());
        let output = self
            .sandbox
            .command(args)
            .current_dir(self.root())
            .output()
            .expect("run the unmigrate binary");
        let run = Run::from_output(output);
        assert_eq!(run.code, code, "exit code of {args:?}\n{run}");
        assert!(!run.stderr.contains("panicked"), "{run}");
        assert_eq!(
            before,
            tree(&self.root()),
            "{args:?} changed the project\n{run}"
        );
        let left: Vec<_> = fs::read_dir(self.sandbox.tmp()).unwrap().collect();
        assert!(
            left.is_empty(),
            "{args:?} left {left:?} in its temp dir\n{run}"
        );
        let stderr = stable(&run.stderr, &[(&self.root(), "[project]")]);
        insta::with_settings!({
            snapshot_path => "../snapshots/errors",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("unmigrate {}", args.join(" ")),
        }, {
            insta::assert_snapshot!(format!("bad_input__{name}"), stderr);
        });
        run
    }
}

/// `case!(name, |project| setup, [args], code)`: one test per bad input; its whole stderr is
/// the snapshot `snapshots/errors/bad_input__<name>.snap`.
macro_rules! case {
    ($name:ident, $setup:expr, [$($arg:expr),* $(,)?], $code:expr) => {
        #[test]
        fn $name() {
            let project = Project::new();
            #[allow(clippy::redundant_closure_call)]
            ($setup)(&project);
            project.fails(stringify!($name), &[$($arg),*], $code);
        }
    };
}

/// `script_case!(name, toml)`: the case of `unmigrate drill drill.toml` on a project whose
/// drill script is `toml`, a usage error (exit 2).
macro_rules! script_case {
    ($name:ident, $toml:expr) => {
        case!(
            $name,
            |p: &Project| p.write("drill.toml", $toml),
            ["drill", "drill.toml"],
            2
        );
    };
}

fn nothing(_: &Project) {}

/// A named pipe where a migration.sql should be: reading it would block forever.
fn make_pipe(project: &Project) {
    let folder = project.path("migrations/20240103000000_pipe");
    fs::create_dir(&folder).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(folder.join("migration.sql"))
        .status()
        .unwrap();
    assert!(status.success());
}

// The command line itself.

case!(no_command, nothing, [], 2);
case!(unknown_command, nothing, ["frobnicate"], 2);
case!(
    unknown_flag,
    nothing,
    ["generate", "migrations", "--bogus"],
    2
);

// generate: the history.

case!(generate_missing_folder, nothing, ["generate", "nowhere"], 2);
case!(generate_default_folder_missing, nothing, ["generate"], 2);
case!(
    generate_file_instead_of_folder,
    nothing,
    ["generate", "migrations/20240101000000_init/migration.sql"],
    2
);
case!(
    generate_empty_folder,
    |p: &Project| fs::create_dir(p.path("empty")).unwrap(),
    ["generate", "empty"],
    2
);
case!(
    generate_folder_without_migration_sql,
    |p: &Project| fs::create_dir(p.path("migrations/20240103000000_half")).unwrap(),
    ["generate", "migrations"],
    2
);
case!(
    generate_migration_sql_is_a_folder,
    |p: &Project| fs::create_dir_all(p.path("migrations/20240103000000_odd/migration.sql"))
        .unwrap(),
    ["generate", "migrations"],
    2
);
case!(
    generate_syntax_error_names_file_line_and_column,
    |p: &Project| p.migration(
        "20240103000000_bad",
        "SELECT 1;\nALTER TABLE \"User\" ADD COLUMN;\n"
    ),
    ["generate", "migrations"],
    2
);
case!(
    generate_unterminated_string,
    |p: &Project| p.migration(
        "20240103000000_bad",
        "ALTER TABLE \"User\" ADD COLUMN n text DEFAULT 'abc;\n"
    ),
    ["generate", "migrations"],
    2
);
case!(
    generate_unterminated_dollar_quote,
    |p: &Project| p.migration(
        "20240103000000_bad",
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n"
    ),
    ["generate", "migrations"],
    2
);
case!(
    generate_not_utf8,
    |p: &Project| p.migration(
        "20240103000000_bad",
        b"ALTER TABLE \"User\" ADD COLUMN n text DEFAULT '\xff';\n"
    ),
    ["generate", "migrations"],
    2
);
case!(
    generate_not_utf8_on_a_later_line,
    |p: &Project| p.migration("20240103000000_bad", b"SELECT 1;\n\nSELECT '\xc3';\n"),
    ["generate", "migrations"],
    2
);

// generate: the flags.

case!(
    generate_unknown_migration,
    nothing,
    ["generate", "migrations", "--migration", "nope"],
    2
);
case!(
    generate_short_timestamp,
    nothing,
    ["generate", "migrations", "--timestamp", "2024"],
    2
);
case!(
    generate_impossible_timestamp,
    nothing,
    ["generate", "migrations", "--timestamp", "20241399000000"],
    2
);
case!(
    generate_timestamp_not_after_the_history,
    nothing,
    ["generate", "migrations", "--timestamp", "20240101000000"],
    2
);
case!(
    generate_last_and_all,
    nothing,
    ["generate", "migrations", "--last", "1", "--all"],
    2
);
case!(
    generate_last_not_a_number,
    nothing,
    ["generate", "migrations", "--last", "x"],
    2
);
case!(
    generate_bad_format,
    nothing,
    ["generate", "migrations", "--format", "xml"],
    2
);
case!(
    generate_out_is_a_file,
    |p: &Project| p.write("notes.txt", "keep me\n"),
    ["generate", "migrations", "--out", "notes.txt"],
    2
);
case!(
    generate_does_not_replace_an_existing_undo,
    |p: &Project| {
        let run = p
            .sandbox
            .output(&["generate", p.path("migrations").to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run}");
    },
    ["generate", "migrations"],
    2
);

case!(
    generate_last_zero,
    nothing,
    ["generate", "migrations", "--last", "0"],
    2
);
case!(
    generate_last_beyond_the_history,
    nothing,
    ["generate", "migrations", "--last", "9"],
    2
);
case!(
    generate_discard_edits_without_force,
    nothing,
    ["generate", "migrations", "--discard-edits"],
    2
);
case!(
    generate_force_keeps_a_hand_edited_undo,
    |p: &Project| {
        let run = p
            .sandbox
            .output(&["generate", p.path("migrations").to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run}");
        let undo = fs::read_dir(p.path("migrations"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|path| path.to_string_lossy().contains("_undo_"))
            .expect("an undo folder");
        let file = undo.join("migration.sql");
        let edited = fs::read_to_string(&file).unwrap() + "-- checked by hand\n";
        fs::write(file, edited).unwrap();
    },
    ["generate", "migrations", "--force"],
    2
);
case!(
    generate_named_pipe,
    make_pipe,
    ["generate", "migrations"],
    2
);
case!(explain_named_pipe, make_pipe, ["explain", "migrations"], 2);
case!(drill_named_pipe, make_pipe, ["drill", "migrations"], 2);

// explain

case!(explain_missing_file, nothing, ["explain", "nope.sql"], 2);
case!(
    explain_missing_nested_path,
    nothing,
    ["explain", "migrations/nope"],
    2
);
case!(explain_device, nothing, ["explain", "/dev/null"], 2);
case!(
    explain_name_without_history,
    nothing,
    ["explain", "init"],
    2
);
case!(
    explain_unknown_name,
    nothing,
    ["explain", "zzz", "--dir", "migrations"],
    2
);
case!(
    explain_ambiguous_prefix,
    nothing,
    ["explain", "2024010", "--dir", "migrations"],
    2
);
case!(
    explain_empty_folder,
    |p: &Project| fs::create_dir(p.path("empty")).unwrap(),
    ["explain", "empty"],
    2
);
case!(
    explain_syntax_error,
    |p: &Project| p.write("broken.sql", "CREATE TABLE t (\n  id int,\n);\n"),
    ["explain", "broken.sql"],
    2
);
case!(
    explain_unknown_rule,
    nothing,
    ["explain", "migrations", "--fail-on", "bogus"],
    2
);
case!(
    explain_bad_apply_mode,
    nothing,
    ["explain", "migrations", "--apply-mode", "x"],
    2
);

// drill: what to drill.

case!(drill_missing_folder, nothing, ["drill", "nowhere"], 2);
case!(
    drill_empty_folder,
    |p: &Project| fs::create_dir_all(p.path("empty")).unwrap(),
    ["drill", "empty"],
    2
);
case!(
    drill_one_migration_folder,
    nothing,
    ["drill", "migrations/20240101000000_init"],
    2
);
case!(
    drill_undo_folders_only,
    |p: &Project| p.write(
        "undos/20990101000000_undo_email/migration.sql",
        "-- unmigrate: undo of 20240102000000_email\nALTER TABLE \"User\" DROP COLUMN \"email\";\n"
    ),
    ["drill", "undos"],
    2
);
case!(
    drill_unknown_time_zone,
    nothing,
    ["drill", "migrations", "--time-zone", "Mars/Olympus"],
    2
);
script_case!(
    drill_script_empty_time_zone,
    "migrations = \"migrations\"\ntime_zone = \" \"\n"
);
case!(
    drill_not_a_script,
    |p: &Project| p.write("schema.prisma", "generator client {}\n"),
    ["drill", "schema.prisma"],
    2
);
script_case!(drill_script_syntax_error, "[migrations\n");
script_case!(
    drill_script_unknown_key,
    "migrations = \"migrations\"\nbogus = 1\n"
);
script_case!(drill_script_missing_history, "migrations = \"nowhere\"\n");
case!(
    drill_syntax_error_in_history,
    |p: &Project| p.migration("20240103000000_bad", "ALTER TABLE \"User\" ADD COLUMN;\n"),
    ["drill", "migrations"],
    2
);

// drill: the flags.

case!(
    drill_last_zero,
    nothing,
    ["drill", "migrations", "--last", "0"],
    2
);
case!(
    drill_unknown_from,
    nothing,
    ["drill", "migrations", "--from", "nope"],
    2
);
script_case!(
    drill_check_outside_the_scope,
    "migrations = \"migrations\"\n[scope]\nlast = 1\n\
     [[check]]\nname = \"users\"\nsql = \"SELECT 1\"\nmigration = \"init\"\n"
);
case!(
    drill_check_outside_the_scope_of_the_flags,
    |p: &Project| p.write(
        "drill.toml",
        "migrations = \"migrations\"\n\
         [[check]]\nname = \"users\"\nsql = \"SELECT 1\"\nmigration = \"email\"\n"
    ),
    ["drill", "drill.toml", "--to", "init"],
    2
);
script_case!(
    drill_check_at_an_unknown_migration,
    "migrations = \"migrations\"\n\
     [[check]]\nname = \"users\"\nsql = \"SELECT 1\"\nmigration = \"emial\"\n"
);
case!(
    drill_seed_rows_zero,
    nothing,
    ["drill", "migrations", "--seed-rows", "0"],
    2
);
case!(
    drill_jobs_zero,
    nothing,
    ["drill", "migrations", "--jobs", "0"],
    2
);
case!(
    drill_bad_format,
    nothing,
    ["drill", "migrations", "--format", "yaml"],
    2
);
case!(
    drill_garbage_url,
    nothing,
    ["drill", "migrations", "--database-url", "garbage://"],
    2
);
case!(
    drill_unreachable_server,
    nothing,
    [
        "drill",
        "migrations",
        "--database-url",
        "postgresql://u@127.0.0.1:1/x"
    ],
    2
);
case!(
    drill_verify_full_is_refused,
    nothing,
    [
        "drill",
        "migrations",
        "--database-url",
        "postgresql://u@127.0.0.1:1/x?sslmode=verify-full"
    ],
    2
);
case!(
    drill_missing_pg_bin,
    nothing,
    ["drill", "migrations", "--pg-bin", "/nonexistent"],
    2
);
case!(
    drill_bad_statement_timeout,
    nothing,
    ["drill", "migrations", "--statement-timeout", "abc"],
    2
);
case!(
    drill_lock_timeout_without_a_unit,
    nothing,
    ["drill", "migrations", "--lock-timeout", "5"],
    2
);
case!(
    drill_statement_timeout_with_an_unknown_unit,
    nothing,
    ["drill", "migrations", "--statement-timeout", "10x"],
    2
);
case!(
    generate_lock_timeout_without_a_unit,
    nothing,
    ["generate", "migrations", "--lock-timeout", "5"],
    2
);
case!(
    drill_report_into_a_missing_folder,
    nothing,
    ["drill", "migrations", "--output", "reports/drill.txt"],
    2
);
case!(
    drill_report_onto_a_folder,
    nothing,
    ["drill", "migrations", "--output", "migrations"],
    2
);

/// The checks above compare modes too: a read-only history stays read-only and unread files
/// stay unread, even when the run fails partway.
#[test]
fn a_failing_generate_leaves_a_read_only_history_as_it_was() {
    let project = Project::new();
    project.migration("20240103000000_bad", "ALTER TABLE \"User\" ADD COLUMN;\n");
    let folder = project.path("migrations/20240103000000_bad");
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o555)).unwrap();
    project.fails("read_only_history", &["generate", "migrations", "--all"], 2);
    assert_eq!(
        fs::metadata(&folder).unwrap().permissions().mode() & 0o777,
        0o555
    );
}
