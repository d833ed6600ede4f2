//! `unmigrate.toml` as every command reads it: the migrations folder, the apply mode, the
//! undo's lock_timeout, explain's rules to fail on and to ignore, and drill defaults, each
//! below the command's own flags. Drills run on the embedded PostgreSQL.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use common::{write_history, Run, Sandbox};

const CONFIG: &str = "migrations = \"db/migrations\"\n\
    apply_mode = \"split\"\n\
    lock_timeout = \"3s\"\n\
    [explain]\n\
    fail_on = [\"drop-table\"]\n\
    ignore = [\"rename-column\"]\n\
    [drill]\n\
    time_zone = \"Asia/Kolkata\"\n\
    lock_timeout = \"20s\"\n";

fn project() -> Sandbox {
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("db/migrations"),
        &[
            (
                "20260101000000_init",
                "CREATE TABLE \"User\" (\"id\" INTEGER PRIMARY KEY, \"name\" TEXT);\n\
                 CREATE TABLE \"Old\" (\"id\" INTEGER);\n",
            ),
            (
                "20260102000000_rename",
                "ALTER TABLE \"User\" RENAME COLUMN \"name\" TO \"full_name\";\n",
            ),
        ],
    );
    fs::write(sandbox.project().join("unmigrate.toml"), CONFIG).unwrap();
    sandbox
}

fn run(sandbox: &Sandbox, args: &[&str]) -> Run {
    let mut command = sandbox.command(args);
    Run::from_output(command.current_dir(sandbox.project()).output().unwrap())
}

#[test]
fn drill_takes_the_folder_apply_mode_and_defaults_below_its_flags() {
    let sandbox = project();
    let out = run(&sandbox, &["drill", "--format", "json", "--jobs", "1"]);
    let json = out.json();
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(json["report"]["apply_mode"], "split", "{json}");
    assert_eq!(json["report"]["time_zone"], "Asia/Kolkata", "{json}");
    assert_eq!(json["report"]["migrations"].as_array().unwrap().len(), 2);

    // A flag wins.
    let out = run(
        &sandbox,
        &[
            "drill",
            "--format",
            "json",
            "--jobs",
            "1",
            "--apply-mode",
            "batch",
            "--time-zone",
            "UTC",
        ],
    );
    let json = out.json();
    assert_eq!(json["report"]["apply_mode"], "batch", "{json}");
    assert_eq!(json["report"]["time_zone"], "UTC", "{json}");
}

#[test]
fn explain_fails_on_and_ignores_the_configured_rules() {
    let sandbox = project();
    let out = run(&sandbox, &["explain", "--format", "json"]);
    // No drop-table hazard here: exit 0; and rename-column is never reported.
    assert_eq!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("\"rule\": \"rename-column\""), "{out}");
    let with_rename = run(
        &sandbox,
        &[
            "explain",
            "db/migrations",
            "--format",
            "json",
            "--config",
            "/dev/null",
        ],
    );
    assert!(
        with_rename.stdout.contains("\"rule\": \"rename-column\""),
        "{with_rename}"
    );

    fs::create_dir(
        sandbox
            .project()
            .join("db/migrations/20260103000000_drop_old"),
    )
    .unwrap();
    fs::write(
        sandbox
            .project()
            .join("db/migrations/20260103000000_drop_old/migration.sql"),
        "DROP TABLE \"Old\";\n",
    )
    .unwrap();
    let out = run(&sandbox, &["explain", "--last", "1"]);
    assert_eq!(out.code, 1, "{out}");
    // The flag replaces the configured list.
    let out = run(
        &sandbox,
        &["explain", "--last", "1", "--fail-on", "drop-column"],
    );
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn generate_sets_the_configured_lock_timeout_unless_told_otherwise() {
    let sandbox = project();
    let out = run(&sandbox, &["generate", "--dry-run"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("SET lock_timeout = '3s'"), "{out}");
    let out = run(
        &sandbox,
        &["generate", "--dry-run", "--lock-timeout", "off"],
    );
    assert!(!out.stdout.contains("SET lock_timeout"), "{out}");
}

#[test]
fn a_mistyped_key_stops_every_command_with_its_line() {
    let sandbox = project();
    fs::write(
        sandbox.project().join("unmigrate.toml"),
        "[drill]\ntime_zon = \"UTC\"\n",
    )
    .unwrap();
    for command in ["drill", "explain", "generate", "check"] {
        let out = run(&sandbox, &[command]);
        assert_eq!(out.code, 2, "{command}: {out}");
        assert!(out.stderr.contains("line 2, column 1"), "{command}: {out}");
        assert!(out.stderr.contains("time_zon"), "{command}: {out}");
    }
}
