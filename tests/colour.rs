//! Colour and width of the human reports (issue 15), through the binary with its standard
//! output a pipe: one policy for every command (anstream's, as clap's own): `CLICOLOR_FORCE`
//! colours a pipe, `NO_COLOR` wins over it, `TERM=dumb` and a pipe get none, `--color`
//! overrides the environment. Prose wraps at `COLUMNS` only when the output is for a terminal
//! (here: colour forced); SQL, diffs, tables and paths are never broken.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{arg, Run, Sandbox};

/// Every variable the policy reads, removed so the caller's terminal settings do not leak in.
const POLICY_VARS: [&str; 6] = [
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "TERM",
    "COLUMNS",
    "CI",
];

/// `command` with the policy's variables unset, then `env` set.
fn with_env(mut command: Command, env: &[(&str, &str)]) -> Run {
    for var in POLICY_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    Run::from_output(command.output().unwrap())
}

fn unmigrate(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_unmigrate"));
    command.args(args).current_dir(cwd);
    with_env(command, env)
}

const ESCAPE: &str = "\x1b[";

/// `text` without its SGR escape sequences (`ESC [ … m`), as a terminal shows it.
fn visible(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(ESCAPE) {
        out.push_str(&rest[..start]);
        let after = &rest[start + ESCAPE.len()..];
        let end = after.find('m').expect("an SGR sequence ends in m");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// A migrations folder whose explain has long hazard and undo lines, and whose undo is lossy
/// with a long note.
fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    common::write_history(
        &tmp.path().join("migrations"),
        &[
            (
                "20240101000000_init",
                "CREATE TABLE \"User\" (\"id\" TEXT PRIMARY KEY, \"email\" TEXT, \"nickname\" TEXT);\n",
            ),
            (
                "20240102000000_change",
                "CREATE INDEX \"User_email_idx\" ON \"User\"(\"email\");\n\
                 ALTER TABLE \"User\" DROP COLUMN \"nickname\";\n",
            ),
        ],
    );
    tmp
}

/// The commands that print a human report without a database: explain, and generate writing
/// to a folder of its own (so the project stays as it is).
fn reports(dir: &Path) -> [Vec<String>; 2] {
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    [
        vec!["explain".into(), "--dir".into(), "migrations".into()],
        vec![
            "generate".into(),
            "migrations".into(),
            "--out".into(),
            arg(&out).into(),
            "--timestamp".into(),
            "20990101000000".into(),
            "--force".into(),
        ],
    ]
}

fn run_each(dir: &Path, env: &[(&str, &str)]) -> Vec<Run> {
    reports(dir)
        .iter()
        .map(|args| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = unmigrate(dir, &args, env);
            assert_eq!(run.code, 0, "{args:?}: {run}");
            run
        })
        .collect()
}

#[test]
fn clicolor_force_colours_a_pipe_and_no_color_wins_over_it() {
    let tmp = project();
    for run in run_each(tmp.path(), &[("CLICOLOR_FORCE", "1")]) {
        assert!(run.stdout.contains(ESCAPE), "{run}");
    }
    // no-color.org: NO_COLOR set and not empty turns colour off whatever else says so.
    for run in run_each(tmp.path(), &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]) {
        assert!(!run.stdout.contains('\x1b'), "{run}");
    }
    for env in [
        &[("TERM", "dumb")][..],
        &[("TERM", "xterm-256color"), ("CLICOLOR", "1")][..],
        &[
            ("CLICOLOR_FORCE", "1"),
            ("CLICOLOR", "0"),
            ("NO_COLOR", "x"),
        ][..],
        &[][..],
    ] {
        for run in run_each(tmp.path(), env) {
            assert!(!run.stdout.contains('\x1b'), "{env:?}: {run}");
        }
    }
}

#[test]
fn the_color_flag_overrides_the_environment_for_every_command() {
    let tmp = project();
    let explain = |flag: &str, env: &[(&str, &str)]| {
        unmigrate(
            tmp.path(),
            &["explain", "--dir", "migrations", "--color", flag],
            env,
        )
    };
    assert!(explain("always", &[("NO_COLOR", "1")])
        .stdout
        .contains(ESCAPE));
    assert!(!explain("never", &[("CLICOLOR_FORCE", "1")])
        .stdout
        .contains('\x1b'));
    let plain = explain("auto", &[]);
    assert!(!plain.stdout.contains('\x1b'));
    // Errors too: the flag is global, and `error:` is coloured by the same policy.
    let error = unmigrate(tmp.path(), &["--color", "always", "generate", "nope"], &[]);
    assert_eq!(error.code, 2, "{error}");
    assert!(error.stderr.starts_with("\x1b["), "{error}");
    assert_eq!(
        visible(&error.stderr)
            .lines()
            .next()
            .unwrap()
            .split(' ')
            .next(),
        Some("error:")
    );
}

/// Colour adds escape codes and nothing else: the visible text is the plain report, and on a
/// pipe the plain report is not wrapped (snapshots and scripts read it as before).
#[test]
fn colour_changes_nothing_but_escape_codes() {
    let tmp = project();
    let plain = run_each(tmp.path(), &[]);
    let coloured = run_each(tmp.path(), &[("CLICOLOR_FORCE", "1")]);
    for (plain, coloured) in plain.iter().zip(&coloured) {
        assert_eq!(visible(&coloured.stdout), plain.stdout);
    }
    assert!(
        plain
            .iter()
            .any(|r| r.stdout.lines().any(|l| l.len() > 100)),
        "a pipe is not wrapped"
    );
}

/// Lines a width does not apply to: SQL (a statement, an undo statement), paths, `see` lines
/// (a command or a URL) and headings
/// with names in them.
fn unbreakable(line: &str) -> bool {
    let text = line.trim_start();
    text.starts_with("line ")
        || text.ends_with(';')
        || text.starts_with("see ")
        || text.starts_with("wrote ")
        || text.starts_with("undo of ")
        || text.starts_with("== ")
        || !text.contains(' ')
}

#[test]
fn columns_wraps_prose_when_the_output_is_for_a_terminal() {
    let tmp = project();
    let plain = run_each(tmp.path(), &[]);
    let wrapped = run_each(tmp.path(), &[("CLICOLOR_FORCE", "1"), ("COLUMNS", "60")]);
    for (plain, wrapped) in plain.iter().zip(&wrapped) {
        let text = visible(&wrapped.stdout);
        assert_ne!(text, plain.stdout, "wrapped");
        // Nothing lost, nothing split: the same words in the same order.
        assert_eq!(words(&text), words(&plain.stdout));
        for line in text.lines().filter(|l| l.chars().count() > 60) {
            assert!(unbreakable(line), "{line:?} is longer than 60:\n{text}");
        }
        // Every SQL line of the plain report is there, whole.
        for line in plain.stdout.lines().filter(|l| l.trim_end().ends_with(';')) {
            assert!(text.lines().any(|l| l == line), "{line:?} broken:\n{text}");
        }
    }
    // Without colour forced, a pipe is not for a terminal: COLUMNS alone changes nothing.
    let columns_only = run_each(tmp.path(), &[("COLUMNS", "60")]);
    for (plain, run) in plain.iter().zip(&columns_only) {
        assert_eq!(run.stdout, plain.stdout);
    }
}

/// The drill report on the embedded PostgreSQL: coloured when forced, its failure's diff and
/// its table of migrations never wrapped.
#[test]
fn the_drill_report_follows_the_same_policy() {
    let sandbox = Sandbox::new();
    let dir = sandbox.history(&[
        (
            "20260301090000_init",
            "CREATE TABLE \"User\" (\"id\" TEXT NOT NULL, \"email\" TEXT NOT NULL, \"a\" TEXT, \
             CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\"));\n",
        ),
        (
            "20260302090000_drop_a_and_seed_an_administrator",
            "ALTER TABLE \"User\" DROP COLUMN \"a\";\nINSERT INTO \"User\" (\"id\", \"email\") \
             VALUES ('admin', 'admin@example.com') ON CONFLICT (\"id\") DO NOTHING;\n",
        ),
        (
            "20260304090000_add_age",
            "ALTER TABLE \"User\" ADD COLUMN \"age\" INTEGER NOT NULL DEFAULT 0;\n",
        ),
        (
            "20260305090000_undo_add_age",
            "-- unmigrate: undo of 20260304090000_add_age\nALTER TABLE \"User\" DROP COLUMN \
             \"age\";\nALTER TABLE \"User\" ALTER COLUMN \"email\" DROP NOT NULL;\n",
        ),
    ]);
    let drill = |env: &[(&str, &str)]| {
        let run = with_env(
            sandbox.command(&["drill", arg(&dir), "--jobs", "1", "--verbose"]),
            env,
        );
        assert_eq!(run.code, 1, "the wrong undo fails the drill: {run}");
        run
    };
    let plain = drill(&[]);
    assert!(!plain.stdout.contains('\x1b'), "{plain}");
    assert!(!drill(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        .stdout
        .contains('\x1b'));
    let coloured = drill(&[("CLICOLOR_FORCE", "1"), ("COLUMNS", "60")]);
    assert!(coloured.stdout.contains(ESCAPE), "{coloured}");
    let text = visible(&coloured.stdout);
    // Timings differ from run to run; the words around them do not.
    let untimed = |text: &str| -> Vec<String> {
        words(text)
            .into_iter()
            .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(untimed(&text), untimed(&plain.stdout));
    for line in text.lines().filter(|l| l.chars().count() > 60) {
        let table = ["PASS", "MANUAL", "FAIL"]
            .iter()
            .any(|label| line.starts_with(label));
        // A diff line under its failure: indented, then its marker.
        let diff = line.starts_with("      ") && line[6..].starts_with([' ', '-', '+', '@']);
        assert!(
            table || diff || unbreakable(line),
            "{line:?} is longer than 60:\n{text}"
        );
    }
    for line in plain
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(['-', '+', '@']))
    {
        assert!(
            text.lines().any(|l| l == line),
            "diff line {line:?} broken:\n{text}"
        );
    }
}
