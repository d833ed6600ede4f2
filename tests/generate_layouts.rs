//! `generate` in dbmate, Flyway and sqlx (simple) folders writes each undo where the tool
//! finds it: every case runs the binary on real files in a temporary folder, then reads the
//! folder back as the tool does (`layouts::read`) and checks the undo is there: a dbmate
//! `-- migrate:down` section or a Flyway `U…` file as the migration's down, Flyway `--forward`
//! and sqlx (simple) undos as new migrations after the last one, in the tool's order. A
//! refusal leaves every file as it was; its whole message is a snapshot in
//! `snapshots/errors/generate_layouts__<case>.snap`.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{run_in, write_files, Run};
use unmigrate::migrations::layouts;
use unmigrate::migrations::{History, Layout, Migration, Transaction};

const HEADER: &str = "-- unmigrate: undo of ";

/// A folder of another tool's migrations.
struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    fn new(files: &[(&str, &str)]) -> Folder {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path(), files);
        Folder { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `unmigrate generate . ARGS` run in the folder, without any configuration file.
    fn generate(&self, args: &[&str]) -> Run {
        let mut all = vec!["generate", ".", "--config", "/dev/null"];
        all.extend_from_slice(args);
        run_in(self.path(), &all)
    }

    /// `generate ARGS`, which must succeed with `code`.
    fn generates(&self, args: &[&str], code: i32) -> Run {
        let run = self.generate(args);
        assert_eq!(run.code, code, "{run}");
        run
    }

    /// `generate ARGS`, which must be refused and leave every file as it was; its stderr is
    /// the snapshot `generate_layouts__<name>`.
    fn refuses(&self, name: &str, args: &[&str]) -> Run {
        let before = self.tree();
        let run = self.generate(args);
        assert_eq!(run.code, 2, "{run}");
        assert!(!run.stderr.contains("panicked"), "{run}");
        assert_eq!(before, self.tree(), "{args:?} changed the folder\n{run}");
        insta::with_settings!({
            snapshot_path => "../snapshots/errors",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("unmigrate generate . {}", args.join(" ")).trim_end().to_string(),
        }, {
            insta::assert_snapshot!(format!("generate_layouts__{name}"), run.stderr);
        });
        run
    }

    /// The folder as its tool reads it (layout detected).
    fn read(&self) -> History {
        layouts::read(self.path(), None).unwrap().0
    }

    fn text(&self, name: &str) -> String {
        fs::read_to_string(self.path().join(name)).unwrap()
    }

    /// Every file under the folder, by relative path.
    fn tree(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        let mut dirs = vec![self.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let relative = path.strip_prefix(self.path()).unwrap().to_path_buf();
                    files.insert(relative, fs::read(&path).unwrap());
                }
            }
        }
        files
    }
}

fn names(history: &History) -> Vec<&str> {
    history.migrations.iter().map(|m| m.name.as_str()).collect()
}

fn migration<'h>(history: &'h History, name: &str) -> &'h Migration {
    history
        .find(name)
        .unwrap_or_else(|| panic!("{name} not read"))
}

/// The down of `name` as its tool reads it, without the empty lines a dbmate section keeps
/// its line numbers with.
fn down<'h>(history: &'h History, name: &str) -> &'h str {
    let down = migration(history, name).down.as_ref().unwrap();
    down.sql.trim_start_matches('\n')
}

// dbmate: the `-- migrate:down` section.

const DBMATE_INIT: &str =
    "-- written by hand\n-- migrate:up\nCREATE TABLE t (a int);\n\n-- migrate:down\n";
const DBMATE_ADD_B: &str =
    "-- migrate:up transaction:false\r\nALTER TABLE t ADD COLUMN b text;\r\n\
                            -- migrate:down transaction:false\n-- no way back\n";

/// An empty and a comment-only down section get the undo; everything before the section's
/// text (comments, the up section in CRLF, the marker line and its option) stays byte for
/// byte, and dbmate reads the undo as each migration's down, sent as the marker says.
#[test]
fn dbmate_undo_goes_into_the_down_section_and_the_rest_stays_byte_for_byte() {
    let folder = Folder::new(&[
        ("20240101000000_init.sql", DBMATE_INIT),
        ("20240102000000_add_b.sql", DBMATE_ADD_B),
    ]);
    let before = folder.read();
    let run = folder.generates(&["--all"], 0);
    assert!(run.stderr.contains("read as a dbmate history"), "{run}");
    assert!(run.stdout.contains("dbmate rollback"), "{run}");
    for (name, original) in [
        ("20240101000000_init.sql", DBMATE_INIT),
        ("20240102000000_add_b.sql", DBMATE_ADD_B),
    ] {
        let text = folder.text(name);
        let head_end = original.rfind("-- migrate:down").unwrap();
        let head_end = head_end + original[head_end..].find('\n').unwrap() + 1;
        assert_eq!(text.as_bytes()[..head_end], original.as_bytes()[..head_end]);
        let stem = name.strip_suffix(".sql").unwrap();
        assert!(
            text[head_end..].starts_with(&format!("{HEADER}{stem}\n")),
            "{text}"
        );
    }
    let after = folder.read();
    assert_eq!(after.layout, Layout::Dbmate);
    assert_eq!(names(&after), names(&before));
    for (old, new) in before.migrations.iter().zip(&after.migrations) {
        assert_eq!(
            (&old.sql, old.checksum),
            (&new.sql, new.checksum),
            "{}",
            new.name
        );
    }
    let init = down(&after, "20240101000000_init");
    assert!(init.starts_with("-- migrate:down\n"), "{init}");
    assert!(init.contains("\nDROP TABLE t;\n"), "{init}");
    let add_b = down(&after, "20240102000000_add_b");
    assert!(
        add_b.starts_with("-- migrate:down transaction:false\n"),
        "{add_b}"
    );
    assert!(
        add_b.contains("\nALTER TABLE t DROP COLUMN b;\n"),
        "{add_b}"
    );
    let sent = |name: &str| migration(&after, name).down.as_ref().unwrap().transaction;
    assert_eq!(sent("20240101000000_init"), Transaction::Wrapped);
    assert_eq!(sent("20240102000000_add_b"), Transaction::AsIs);
}

/// A down section with statements is the team's: refused unless its text is to be discarded;
/// a dry run shows how it would change and writes nothing. Once unmigrate's, `--force`
/// replaces it, unless edited since.
#[test]
fn dbmate_replaces_a_hand_written_down_section_only_when_told_to_discard_it() {
    let hand = "-- migrate:up\nCREATE TABLE t (a int);\n-- migrate:down\nDROP TABLE t CASCADE;\n";
    let folder = Folder::new(&[("20240101000000_init.sql", hand)]);
    folder.refuses("dbmate_hand_written_down", &[]);
    folder.refuses("dbmate_hand_written_down_with_force", &["--force"]);

    let before = folder.tree();
    let run = folder.generates(&["--dry-run"], 0);
    assert_eq!(before, folder.tree());
    let diff = run.stdout;
    assert!(
        diff.starts_with("--- ./20240101000000_init.sql\n+++ ./20240101000000_init.sql\n"),
        "{diff}"
    );
    assert!(
        diff.contains("\n -- migrate:down\n-DROP TABLE t CASCADE;\n"),
        "{diff}"
    );
    assert!(
        diff.contains(&format!("\n+{HEADER}20240101000000_init\n")),
        "{diff}"
    );
    assert!(!diff.contains("\n-CREATE TABLE"), "{diff}");

    folder.generates(&["--force", "--discard-edits"], 0);
    let written = folder.text("20240101000000_init.sql");
    assert!(written.starts_with("-- migrate:up\nCREATE TABLE t (a int);\n-- migrate:down\n-- unmigrate: undo of 20240101000000_init\n"), "{written}");
    assert!(!written.contains("CASCADE"), "{written}");
    assert!(down(&folder.read(), "20240101000000_init").contains(HEADER));

    // As written: unchanged without --force; edited: only with --discard-edits.
    let run = folder.generates(&[], 0);
    assert_eq!(folder.text("20240101000000_init.sql"), written, "{run}");
    fs::write(
        folder.path().join("20240101000000_init.sql"),
        written.replace("DROP TABLE t;", "DROP TABLE IF EXISTS t;"),
    )
    .unwrap();
    let run = folder.generate(&["--force"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("or that was edited since"), "{run}");
    assert!(folder
        .text("20240101000000_init.sql")
        .contains("DROP TABLE IF EXISTS t;"));
}

/// dbmate runs a down section in a transaction unless its marker says otherwise: an undo
/// that needs `DROP INDEX CONCURRENTLY` is refused there with the option to add, and written
/// once it is added.
#[test]
fn dbmate_refuses_concurrently_in_a_down_section_it_wraps() {
    let folder = Folder::new(&[
        (
            "1_t.sql",
            "-- migrate:up\nCREATE TABLE t (a int);\n-- migrate:down\n",
        ),
        (
            "2_i.sql",
            "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\n",
        ),
    ]);
    let run = folder.refuses("dbmate_concurrently_in_a_wrapped_down", &[]);
    assert!(run.stderr.contains("transaction:false"), "{run}");

    let marked = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\
                  -- migrate:down transaction:false\n";
    fs::write(folder.path().join("2_i.sql"), marked).unwrap();
    folder.generates(&[], 0);
    let history = folder.read();
    let down = migration(&history, "2_i").down.as_ref().unwrap();
    assert_eq!(down.transaction, Transaction::AsIs);
    assert!(
        down.sql.contains("\nDROP INDEX CONCURRENTLY i;\n"),
        "{}",
        down.sql
    );
    assert!(folder.text("2_i.sql").starts_with(marked));
}

// Flyway: a `U…` file beside the migration, or new versioned migrations (`--forward`).

/// Each undo is a `U` file of its migration's version and description, in the migration's
/// folder; Flyway reads it as that migration's undo. Repeatable migrations have none and are
/// not counted by `--last`.
#[test]
fn flyway_undo_goes_into_a_u_file_beside_its_migration() {
    let folder = Folder::new(&[
        ("V1__init.sql", "CREATE TABLE t (a int);\n"),
        ("sub/V1.1__add_b.sql", "ALTER TABLE t ADD COLUMN b text;\n"),
        (
            "R__view.sql",
            "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n",
        ),
    ]);
    let before = folder.tree();
    let run = folder.generates(&["--last", "2"], 0);
    assert!(run.stdout.contains("flyway undo"), "{run}");
    let after = folder.tree();
    let added: Vec<&PathBuf> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    assert_eq!(
        added,
        [Path::new("U1__init.sql"), Path::new("sub/U1.1__add_b.sql")]
    );
    for (path, bytes) in &before {
        assert_eq!(&after[path], bytes, "{}", path.display());
    }
    let history = folder.read();
    assert_eq!(names(&history), ["V1__init", "V1.1__add_b", "R__view"]);
    let u = |name: &str| migration(&history, name).down.as_deref().unwrap();
    assert!(u("V1__init").path.ends_with("U1__init.sql"));
    assert!(u("V1__init")
        .sql
        .starts_with(&format!("{HEADER}V1__init\n")));
    assert!(u("V1__init").sql.contains("\nDROP TABLE t;\n"));
    // The header speaks of the file as Flyway runs it, not of Prisma's apply modes.
    let header = &u("V1__init").sql;
    assert!(
        header.contains("-- explain (as Flyway runs the file) finds"),
        "{header}"
    );
    assert!(
        header.contains("later migrations its tool runs"),
        "{header}"
    );
    assert!(!header.contains("batch mode"), "{header}");
    assert!(u("V1.1__add_b").path.ends_with("sub/U1.1__add_b.sql"));
    assert!(u("V1.1__add_b")
        .sql
        .contains("\nALTER TABLE t DROP COLUMN b;\n"));
    assert_eq!(migration(&history, "R__view").down, None);

    folder.refuses("flyway_repeatable", &["--migration", "R__view"]);
}

/// A repeatable migration that builds on what an undo drops stays deployed (Flyway never
/// undoes it), so no `--last` helps: the refusal says what to do instead.
#[test]
fn flyway_refuses_an_undo_a_repeatable_migration_builds_on() {
    let folder = Folder::new(&[
        ("V1__init.sql", "CREATE TABLE t (a int);\n"),
        ("V2__add_b.sql", "ALTER TABLE t ADD COLUMN b text;\n"),
        (
            "R__view.sql",
            "CREATE OR REPLACE VIEW v AS SELECT a, b FROM t;\n",
        ),
    ]);
    let run = folder.refuses("flyway_repeatable_builds_on_the_undo", &[]);
    assert!(!run.stderr.contains("--last"), "{run}");
}

/// Flyway refuses a migration mixing statements that can and cannot run in a transaction: a
/// U file would have to, so it is refused, pointing to `--forward`.
#[test]
fn flyway_refuses_a_u_file_mixing_concurrently_with_other_statements() {
    let folder = Folder::new(&[
        ("V1__init.sql", "CREATE TABLE t (a int);\n"),
        (
            "V2__add_b.sql",
            "ALTER TABLE t ADD COLUMN b text;\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        ),
    ]);
    let run = folder.refuses("flyway_mixed_u_file", &[]);
    assert!(run.stderr.contains("--forward"), "{run}");
}

/// A U file the team wrote is replaced only when its text is to be discarded; a dry run
/// shows the difference.
#[test]
fn flyway_replaces_a_hand_written_u_file_only_when_told_to_discard_it() {
    let folder = Folder::new(&[
        ("V1__init.sql", "CREATE TABLE t (a int);\n"),
        ("U1__init.sql", "DROP TABLE t CASCADE;\n"),
    ]);
    folder.refuses("flyway_hand_written_u_file", &[]);
    let diff = folder.generates(&["--dry-run"], 0).stdout;
    assert!(diff.contains("\n-DROP TABLE t CASCADE;\n"), "{diff}");
    assert!(diff.contains(&format!("\n+{HEADER}V1__init\n")), "{diff}");
    assert_eq!(folder.text("U1__init.sql"), "DROP TABLE t CASCADE;\n");
    folder.generates(&["--force", "--discard-edits"], 0);
    assert!(folder.text("U1__init.sql").starts_with(HEADER));
}

/// `--forward`: new versioned migrations one above the highest version's first part, newest
/// source first, each `CONCURRENTLY` statement in one of its own (which Flyway then runs
/// without a transaction); Flyway applies them after every other versioned migration. A rerun
/// finds them: refused without `--force`, replaced in place with it.
#[test]
fn flyway_forward_writes_new_versioned_migrations_after_the_highest() {
    let folder = Folder::new(&[
        ("V1__init.sql", "CREATE TABLE t (a int);\n"),
        (
            "V2.1__add_b.sql",
            "ALTER TABLE t ADD COLUMN b text;\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        ),
        (
            "R__view.sql",
            "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n",
        ),
    ]);
    let run = folder.generates(&["--forward", "--last", "2"], 0);
    assert!(run.stderr.contains("new versioned migrations"), "{run}");
    let history = folder.read();
    assert_eq!(
        names(&history),
        [
            "V1__init",
            "V2.1__add_b",
            "V3__undo_add_b",
            "V4__undo_add_b_part2",
            "V5__undo_init",
            "R__view"
        ]
    );
    let new: Vec<(Option<&str>, Transaction)> = history.migrations[2..5]
        .iter()
        .map(|m| (m.undo_of.as_deref(), m.transaction))
        .collect();
    assert_eq!(
        new,
        [
            (Some("V2.1__add_b"), Transaction::EachStatement),
            (Some("V2.1__add_b"), Transaction::Wrapped),
            (Some("V1__init"), Transaction::Wrapped),
        ]
    );
    assert!(migration(&history, "V3__undo_add_b")
        .sql
        .contains("\nDROP INDEX CONCURRENTLY i;\n"));
    assert!(migration(&history, "V5__undo_init")
        .sql
        .contains("\nDROP TABLE t;\n"));

    let run = folder.generate(&["--forward", "--last", "2"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("already has an undo migration (V3__undo_add_b, V4__undo_add_b_part2)"),
        "{run}"
    );
    let before = folder.tree();
    folder.generates(&["--forward", "--last", "2", "--force"], 0);
    assert_eq!(before, folder.tree());
}

/// `--forward` is Flyway's; elsewhere it is refused, saying where the undo goes there.
#[test]
fn forward_outside_flyway_is_refused() {
    let folder = Folder::new(&[(
        "1_t.sql",
        "-- migrate:up\nCREATE TABLE t (a int);\n-- migrate:down\n",
    )]);
    folder.refuses("forward_outside_flyway", &["--forward"]);
}

// sqlx (simple): new forward migrations.

/// Each undo is new migrations after the newest version, newest source first; the part that
/// needs `CONCURRENTLY` starts with `-- no-transaction`, so sqlx runs it as it is. A dry run
/// shows them and writes nothing; the JSON report keeps its `format_version`.
#[test]
fn sqlx_simple_undo_is_new_migrations_after_the_newest() {
    let folder = Folder::new(&[
        ("20240101000000_init.sql", "CREATE TABLE t (a int);\n"),
        (
            "20240102000000_add-b.sql",
            "ALTER TABLE t ADD COLUMN b text;\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        ),
    ]);
    let args = ["--all", "--timestamp", "20250101000000"];
    let before = folder.tree();
    let diff = folder
        .generates(&[&args[..], &["--dry-run"]].concat(), 0)
        .stdout;
    assert_eq!(before, folder.tree());
    assert!(
        diff.starts_with("--- /dev/null\n+++ ./20250101000000_undo_add-b.sql\n@@ -0,0 +1,"),
        "{diff}"
    );
    assert!(
        diff.contains("\n+++ ./20250101000002_undo_init.sql\n"),
        "{diff}"
    );
    let json = folder
        .generates(&[&args[..], &["--dry-run", "--format", "json"]].concat(), 0)
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["format_version"], 1, "{json}");
    assert_eq!(json["layout"], "sqlx-simple", "{json}");
    assert_eq!(json["down_sql"][0]["place"], "new_migration", "{json}");
    assert_eq!(json["down_sql"].as_array().unwrap().len(), 3, "{json}");

    folder.generates(&args, 0);
    let history = folder.read();
    assert_eq!(history.layout, Layout::SqlxSimple);
    assert_eq!(
        names(&history),
        [
            "20240101000000_init",
            "20240102000000_add-b",
            "20250101000000_undo_add-b",
            "20250101000001_undo_add-b_part2",
            "20250101000002_undo_init",
        ]
    );
    let new: Vec<(Option<&str>, Transaction)> = history.migrations[2..]
        .iter()
        .map(|m| (m.undo_of.as_deref(), m.transaction))
        .collect();
    assert_eq!(
        new,
        [
            (Some("20240102000000_add-b"), Transaction::AsIs),
            (Some("20240102000000_add-b"), Transaction::Wrapped),
            (Some("20240101000000_init"), Transaction::Wrapped),
        ]
    );
    let concurrent = &history.migrations[2].sql;
    assert!(
        concurrent.starts_with(&format!(
            "-- no-transaction\n{HEADER}20240102000000_add-b\n"
        )),
        "{concurrent}"
    );
    assert!(concurrent.contains("\nDROP INDEX CONCURRENTLY i;\n"));
}

/// A rerun finds the undo: refused without `--force`; with it, the same files are replaced
/// while as written (the `-- no-transaction` line does not count as an edit), an edited one
/// only with `--discard-edits`.
#[test]
fn sqlx_simple_rerun_replaces_only_what_unmigrate_wrote() {
    let folder = Folder::new(&[
        ("1_t.sql", "CREATE TABLE t (a int);\n"),
        (
            "2_i.sql",
            "ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        ),
    ]);
    folder.generates(
        &["--timestamp", "20250101000000", "--layout", "sqlx-simple"],
        0,
    );
    let written = folder.tree();
    assert_eq!(written.len(), 4, "{:?}", written.keys());
    folder.refuses("sqlx_simple_already_undone", &["--layout", "sqlx-simple"]);
    folder.generates(&["--force", "--layout", "sqlx-simple"], 0);
    assert_eq!(written, folder.tree());

    let part = folder.path().join("20250101000000_undo_i.sql");
    let edited = fs::read_to_string(&part).unwrap() + "-- by hand\n";
    fs::write(&part, &edited).unwrap();
    let run = folder.generate(&["--force", "--layout", "sqlx-simple"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("--discard-edits"), "{run}");
    assert_eq!(fs::read_to_string(&part).unwrap(), edited);
    folder.generates(
        &["--force", "--discard-edits", "--layout", "sqlx-simple"],
        0,
    );
    assert_eq!(written, folder.tree());
}

/// The new version comes after the newest even when that is ahead of the clock, and a
/// requested one must.
#[test]
fn sqlx_simple_versions_come_after_the_newest() {
    let folder = Folder::new(&[("99990101000000_init.sql", "CREATE TABLE t (a int);\n")]);
    folder.refuses(
        "sqlx_simple_timestamp_not_after_the_newest",
        &["--layout", "sqlx-simple", "--timestamp", "20250101000000"],
    );
    folder.generates(&["--layout", "sqlx-simple"], 0);
    let history = folder.read();
    assert_eq!(
        names(&history),
        ["99990101000000_init", "99990101000001_undo_init"]
    );
}
