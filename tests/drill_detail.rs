//! How much the human drill report says (issue 15): by default failures and manual steps in
//! full and each migration's lossy notes counted on one line; `--verbose` every note;
//! `--quiet` only failures, the summary line and the verdict. The other formats keep every
//! note whatever the level. On the embedded PostgreSQL, through the binary.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::{arg, Run, Sandbox};

const DROP: &str = "20260302090000_drop_abc";
const SEED: &str = "20260303090000_seed_admin";
const AGE: &str = "20260304090000_add_age";

/// Three lossy notes (three dropped columns), a manual step (a data change), and a failure
/// (a committed undo that also drops NOT NULL from "email").
fn history(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.history(&[
        (
            "20260301090000_init",
            "CREATE TABLE \"User\" (\"id\" TEXT NOT NULL, \"email\" TEXT NOT NULL, \"a\" TEXT, \
             \"b\" TEXT, \"c\" TEXT, CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\"));\n",
        ),
        (
            DROP,
            "ALTER TABLE \"User\" DROP COLUMN \"a\";\nALTER TABLE \"User\" DROP COLUMN \"b\";\n\
             ALTER TABLE \"User\" DROP COLUMN \"c\";\n",
        ),
        (
            SEED,
            "INSERT INTO \"User\" (\"id\", \"email\") VALUES ('admin', 'admin@example.com') \
             ON CONFLICT (\"id\") DO NOTHING;\n",
        ),
        (
            AGE,
            "ALTER TABLE \"User\" ADD COLUMN \"age\" INTEGER NOT NULL DEFAULT 0;\n",
        ),
        (
            "20260305090000_undo_add_age",
            "-- unmigrate: undo of 20260304090000_add_age\nALTER TABLE \"User\" DROP COLUMN \
             \"age\";\nALTER TABLE \"User\" ALTER COLUMN \"email\" DROP NOT NULL;\n",
        ),
    ])
}

fn drill(sandbox: &Sandbox, dir: &std::path::Path, flags: &[&str]) -> Run {
    let args = [&["drill", arg(dir), "--jobs", "1"], flags].concat();
    let run = sandbox.output(&args);
    assert_eq!(
        run.code, 1,
        "{args:?}: the wrong undo fails the drill: {run}"
    );
    run
}

/// The lines of `text` that start with `prefix` once indented.
fn lines_with<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with(prefix))
        .collect()
}

#[test]
fn human_drill_report_at_three_levels_of_detail() {
    let sandbox = Sandbox::new();
    let dir = history(&sandbox);

    // JSON, even under --quiet, has every note: the three of DROP, SEED's manual step.
    let json = drill(&sandbox, &dir, &["--format", "json", "--quiet"]).json();
    let migrations = json["report"]["migrations"].as_array().unwrap();
    let reasons_of = |m: &serde_json::Value| -> Vec<String> {
        m["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect()
    };
    let reasons = |name: &str| reasons_of(migrations.iter().find(|m| m["name"] == name).unwrap());
    let dropped = reasons(DROP);
    assert_eq!(dropped.len(), 3, "{json:#}");
    assert!(
        dropped.iter().all(|r| r.contains(" lossy: ")),
        "{dropped:?}"
    );
    let manual = reasons(SEED);
    assert!(
        !manual.is_empty() && manual.iter().any(|r| r.contains(" manual: ")),
        "{json:#}"
    );

    let verbose = drill(&sandbox, &dir, &["-v"]).stdout;
    let default = drill(&sandbox, &dir, &[]).stdout;
    let quiet = drill(&sandbox, &dir, &["--quiet"]).stdout;

    // --verbose: every note, as JSON has them.
    for reason in dropped.iter().chain(&manual) {
        assert!(verbose.contains(reason.as_str()), "{reason}:\n{verbose}");
    }
    assert!(lines_with(&verbose, "lossy note").is_empty(), "{verbose}");

    // Default: the manual step in full, the lossy notes of DROP on one line.
    for reason in &dropped {
        assert!(!default.contains(reason.as_str()), "{reason}:\n{default}");
    }
    for reason in manual.iter().filter(|r| r.contains(" manual: ")) {
        assert!(default.contains(reason.as_str()), "{reason}:\n{default}");
    }
    assert!(
        default.contains("\n    3 lossy notes; --verbose shows them\n"),
        "{default}"
    );

    // --quiet: the failure with its diff, the summary line and the verdict; nothing else.
    assert!(!quiet.contains(DROP) && !quiet.contains(SEED), "{quiet}");
    assert!(
        !quiet.contains("Drill of") && !quiet.contains("Total:"),
        "{quiet}"
    );
    let failed = lines_with(&quiet, "FAIL ");
    assert!(
        failed.len() == 1 && failed[0].contains(AGE),
        "the failure still shows: {quiet}"
    );
    assert!(quiet.contains("undo: schema differs in"), "{quiet}");
    assert!(
        quiet.contains("-  column email text not null\n")
            && quiet.contains("+  column email text\n"),
        "the diff: {quiet}"
    );
    assert_eq!(lines_with(&quiet, "Summary: ").len(), 1, "{quiet}");
    assert!(quiet.ends_with("Drill FAILED\n"), "{quiet}");

    for level in [&default, &verbose] {
        for expected in [
            "Drill of",
            "Summary: ",
            "undo: schema differs",
            "Drill FAILED",
        ] {
            assert!(level.contains(expected), "{expected}:\n{level}");
        }
    }
    let (q, d, v) = (
        quiet.lines().count(),
        default.lines().count(),
        verbose.lines().count(),
    );
    assert!(q < d && d < v, "lines: quiet {q}, default {d}, verbose {v}");
    // Each migration's lossy notes become one line.
    let folded: usize = migrations
        .iter()
        .filter(|m| m["claimed"] != "exact")
        .map(|m| {
            reasons_of(m)
                .iter()
                .filter(|r| r.contains(" lossy: "))
                .count()
        })
        .map(|lossy| lossy.saturating_sub(1))
        .sum();
    assert!(folded >= 2, "{json:#}");
    assert_eq!(v - d, folded, "default:\n{default}\nverbose:\n{verbose}");
}

#[test]
fn quiet_and_verbose_cannot_go_together() {
    let sandbox = Sandbox::new();
    let run = sandbox.output(&["drill", "-q", "-v"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("'--quiet' cannot be used with '--verbose'"),
        "{run}"
    );
}
