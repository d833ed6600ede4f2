//! Tests of drill scripts: the TOML layer, scopes and checks against a history.

use std::fs;

use super::*;
use crate::migrations::{read_history, NameError};

fn parse(text: &str) -> Result<DrillScript, ScriptError> {
    DrillScript::parse(Path::new("/repo/drills/demo.toml"), text, |_| None)
}

fn parse_err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

/// The message a script of `migrations = "m"` and `rest` is refused with, which must say
/// `says`.
fn refused(rest: &str, says: &str) -> String {
    let err = parse_err(&format!("migrations = \"m\"\n{rest}"));
    assert!(err.contains(says), "{err}");
    err
}

/// The message `text` is refused with, which must point at `location` (`line:column: ` or a
/// start of it) in the script.
fn refused_at(text: &str, location: &str) -> String {
    let err = parse_err(text);
    let at = format!("/repo/drills/demo.toml:{location}");
    assert!(err.starts_with(&at), "{err}");
    err
}

fn demo_history() -> (tempfile::TempDir, History) {
    crate::migrations::test_history(&[
        "20240101000000_a",
        "20240101000001_b",
        "20240101000002_c",
        "20240101000003_undo undoes 20240101000002_c",
        "20240201000000_d",
    ])
}

fn scope(text: &str) -> Scope {
    parse(&format!("migrations = \"m\"\n[scope]\n{text}"))
        .unwrap()
        .scope
}

#[test]
fn full_script() {
    let text = r#"
migrations = "demo/migrations"
undo_dir = "demo/undo"
apply_mode = "split"
trace = true
seed = { rows = 50 }
time_zone = "Asia/Kolkata"

[scope]
last = 3

[database]
url_env = "SHADOW_DATABASE_URL"

[timeouts]
statement = "30s"
lock = "5s"

[[check]]
name = "old app lists posts"
sql = 'SELECT id, title, body FROM "Post"'
after = ["forward", "undo"]
migration = "20260202113000_rename_post_body_to_content"
expect = "fail"

[[check]]
name = "users"
sql = 'SELECT 1 FROM "User"'
"#;
    let env = |var: &str| (var == "SHADOW_DATABASE_URL").then(|| "postgres://x/y".into());
    let script = DrillScript::parse(Path::new("/repo/drills/demo.toml"), text, env).unwrap();
    assert_eq!(
        script,
        DrillScript {
            path: "/repo/drills/demo.toml".into(),
            migrations: "/repo/drills/demo/migrations".into(),
            undo_dir: Some("/repo/drills/demo/undo".into()),
            apply_mode: Some(ApplyMode::Split),
            trace: true,
            probe: false,
            scope: Scope::Last(3),
            database_url: Some(crate::scratch::GivenUrl {
                text: "postgres://x/y".into(),
                origin: crate::scratch::Origin::Shadow("SHADOW_DATABASE_URL".into()),
            }),
            timeouts: Timeouts {
                statement: Some("30s".into()),
                lock: Some("5s".into()),
            },
            time_zone: Some("Asia/Kolkata".into()),
            seed: Some(Seed { rows: 50 }),
            checks: vec![
                Check {
                    name: "old app lists posts".into(),
                    sql: r#"SELECT id, title, body FROM "Post""#.into(),
                    after: vec![Phase::Forward, Phase::Undo],
                    migration: Some("20260202113000_rename_post_body_to_content".into()),
                    expect: Expectation::Fail,
                },
                Check {
                    name: "users".into(),
                    sql: r#"SELECT 1 FROM "User""#.into(),
                    after: Phase::ALL.to_vec(),
                    migration: None,
                    expect: Expectation::Succeed,
                },
            ],
        }
    );
}

#[test]
fn defaults() {
    let script = parse("migrations = \"/abs/migrations\"\n").unwrap();
    assert_eq!(script.migrations, Path::new("/abs/migrations"));
    assert_eq!(script.undo_dir, None);
    assert_eq!(script.apply_mode, None);
    assert!(!script.trace);
    assert_eq!(script.scope, Scope::All);
    assert_eq!(script.database_url, None);
    assert_eq!(script.timeouts, Timeouts::default());
    assert_eq!(script.seed, None);
    assert!(script.checks.is_empty());
}

#[test]
fn scope_forms() {
    assert_eq!(scope("all = true"), Scope::All);
    assert_eq!(scope("last = 2"), Scope::Last(2));
    assert_eq!(
        scope("from = \"2024\""),
        Scope::Range {
            from: Some("2024".into()),
            to: None
        }
    );
    assert_eq!(
        scope("to = \"2024\""),
        Scope::Range {
            from: None,
            to: Some("2024".into())
        }
    );
}

#[test]
fn relative_paths_resolve_against_the_script_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let script_path = tmp.path().join("demo.toml");
    fs::write(&script_path, "migrations = \"demo/migrations\"\n").unwrap();
    let script = DrillScript::load(&script_path).unwrap();
    assert_eq!(script.migrations, tmp.path().join("demo/migrations"));

    let bare = parse_in(Path::new("demo.toml"), "migrations = \"m\"\n");
    assert_eq!(bare.migrations, Path::new("m"));
}

fn parse_in(path: &Path, text: &str) -> DrillScript {
    DrillScript::parse(path, text, |_| None).unwrap()
}

#[test]
fn unreadable_file_names_it() {
    let err = DrillScript::load(Path::new("/nonexistent/drill.toml")).unwrap_err();
    assert!(matches!(err, ScriptError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/drill.toml"), "{err}");
}

#[test]
fn unknown_key_reports_file_line_and_column() {
    let err = refused_at("migrations = \"m\"\n\n[scope]\nlats = 3\n", "4:1: ");
    assert!(err.contains("unknown field `lats`"), "{err}");
    assert!(err.contains("`last`"), "lists the keys it expected: {err}");

    refused_at(
        "migrations = \"m\"\n[[check]]\nname = \"a\"\nsql = \"x\"\nafterr = []\n",
        "5:1: ",
    );
}

#[test]
fn malformed_toml_and_bad_values_report_lines() {
    let err = refused_at("migrations = \"m\"\napply_mode = \"batched\"\n", "2:");
    assert!(err.contains("split"), "{err}");

    refused_at("migrations = \"m\"\n[scope\n", "2:");

    refused_at(
        "migrations = \"m\"\n[[check]]\nname = \"a\"\nsql = \"x\"\nafter = [\"backward\"]\n",
        "5:",
    );
}

#[test]
fn missing_or_empty_migrations() {
    let err = parse("undo_dir = \"u\"\n").unwrap_err();
    assert!(
        matches!(err, ScriptError::MissingMigrations { .. }),
        "{err}"
    );
    let err = parse_err("migrations = \"\"\n");
    assert!(err.contains(":1:") && err.contains("empty path"), "{err}");
}

#[test]
fn seed_needs_rows() {
    refused("seed = { rows = 0 }\n", "rows = 0 seeds nothing");
    refused("seed = {}\n", "seed = { rows = N }");
    refused("seed = { row = 3 }\n", "unknown field `row`");
}

#[test]
fn two_scope_forms_are_an_error() {
    let err = refused(
        "[scope]\nlast = 3\nfrom = \"2024\"\n",
        "mixes last and from/to",
    );
    assert!(err.contains("write exactly one of"), "{err}");
    assert!(err.starts_with("/repo/drills/demo.toml:"), "{err}");
    refused("[scope]\nall = true\nlast = 1\n", "mixes all and last");
}

#[test]
fn empty_or_pointless_scope_is_an_error() {
    refused("[scope]\nlast = 0\n", "last = 0 selects nothing");
    refused("[scope]\nall = false\n", "all = false");
    refused("[scope]\n", "[scope] is empty");
    refused("[scope]\nfrom = \"\"\n", "empty migration name");
    refused_at("migrations = \"m\"\n[scope]\nlast = -1\n", "3:");
}

#[test]
fn resolve_counts_forward_migrations_only() {
    let (_tmp, h) = demo_history();
    assert_eq!(h.forward().len(), 4);
    assert_eq!(Scope::All.resolve(&h).unwrap(), 0..4);
    assert_eq!(Scope::Last(2).resolve(&h).unwrap(), 2..4);
    assert_eq!(Scope::Last(10).resolve(&h).unwrap(), 0..4, "clamped");
    let range = |from: Option<&str>, to: Option<&str>| Scope::Range {
        from: from.map(Into::into),
        to: to.map(Into::into),
    };
    assert_eq!(
        range(Some("20240101000001"), None).resolve(&h).unwrap(),
        1..4
    );
    assert_eq!(
        range(None, Some("20240101000001_b")).resolve(&h).unwrap(),
        0..2
    );
    assert_eq!(
        range(Some("20240101000002"), Some("2024020"))
            .resolve(&h)
            .unwrap(),
        2..4,
        "prefixes; the undo folder between them is not counted"
    );
    assert_eq!(
        range(Some("20240101000001_b"), Some("20240101000001_b"))
            .resolve(&h)
            .unwrap(),
        1..2
    );
}

/// Names follow [`History::resolve`]; its tests cover the rules, these the way into a scope.
#[test]
fn scope_names_are_forward_migrations() {
    let (_tmp, h) = demo_history();
    let from = |name: &str| {
        Scope::Range {
            from: Some(name.into()),
            to: None,
        }
        .resolve(&h)
    };
    assert_eq!(from("d").unwrap(), 3..4, "the name after the timestamp");
    let err = from("2099").unwrap_err();
    assert!(
        matches!(err, ScriptError::Name(NameError::Unknown { .. })),
        "{err}"
    );
    // An undo folder is not a forward migration.
    let err = from("20240101000003_undo").unwrap_err();
    assert!(
        matches!(err, ScriptError::Name(NameError::Unknown { .. })),
        "{err}"
    );
    let err = from("20240101").unwrap_err();
    assert!(
        matches!(err, ScriptError::Name(NameError::Ambiguous { ref matches, .. }) if matches.len() == 3),
        "{err}"
    );
}

#[test]
fn from_after_to() {
    let (_tmp, h) = demo_history();
    let scope = Scope::Range {
        from: Some("20240201".into()),
        to: Some("20240101000001".into()),
    };
    let err = scope.resolve(&h).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ScriptError::FromAfterTo { .. }), "{msg}");
    assert!(
        msg.contains("20240201000000_d") && msg.contains("20240101000001_b"),
        "{msg}"
    );
    assert!(msg.contains("swap"), "{msg}");
}

#[test]
fn scope_errors_in_a_script_name_the_script() {
    let (_tmp, h) = demo_history();
    let script = parse("migrations = \"m\"\n[scope]\nfrom = \"2099\"\n").unwrap();
    let err = script.resolve_scope(&h).unwrap_err().to_string();
    assert!(
        err.starts_with("/repo/drills/demo.toml: [scope]: no forward migration"),
        "{err}"
    );
}

#[test]
fn database_url_and_env() {
    let script = parse("migrations = \"m\"\n[database]\nurl = \"postgres://h/d\"\n").unwrap();
    let given = script.database_url.unwrap();
    assert_eq!(given.text, "postgres://h/d");
    assert!(matches!(given.origin, crate::scratch::Origin::Server(_)));

    let err =
        parse_err("migrations = \"m\"\n[database]\nurl = \"postgres://h/d\"\nurl_env = \"X\"\n");
    assert!(err.contains("both url and url_env"), "{err}");
    refused("[database]\n", "[database] is empty");
}

#[test]
fn unset_url_env_names_the_variable() {
    let text = "migrations = \"m\"\n[database]\nurl_env = \"DRILL_DB_URL\"\n";
    let err = parse(text).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            ScriptError::DatabaseEnv {
                problem: "is not set",
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.contains("DRILL_DB_URL, which is not set"), "{msg}");
    assert!(msg.starts_with("/repo/drills/demo.toml: "), "{msg}");

    let err = DrillScript::parse(Path::new("d.toml"), text, |_| Some("".into())).unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
}

#[test]
fn timeouts_must_be_postgres_durations_with_a_unit() {
    let parse = |statement: &str| {
        let text =
            format!("migrations = \"m\"\n[timeouts]\nstatement = \"{statement}\"\nlock = \"5s\"\n");
        DrillScript::parse(Path::new("d.toml"), &text, |_| Some("".into()))
    };
    for ok in ["30s", "1.5min", "0", "250 ms"] {
        let script = parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(script.timeouts.statement.as_deref(), Some(ok), "{ok}");
    }
    // A bare number is milliseconds to PostgreSQL: the script says so instead of guessing.
    let err = parse("100").unwrap_err().to_string();
    assert!(
        err.contains("[timeouts] statement: \"100\" has no unit"),
        "{err}"
    );
    for bad in ["30 seconds", "-1s", "5S", "1s'; DROP TABLE x; --"] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn check_errors() {
    let check = |body: &str| parse_err(&format!("migrations = \"m\"\n[[check]]\n{body}"));
    let err = check("name = \"a\"\nsql = \"SELECT 1\"\nafter = []\n");
    assert!(
        err.contains("check \"a\" has after = [], so it never runs"),
        "{err}"
    );
    assert!(err.starts_with("/repo/drills/demo.toml:"), "{err}");
    let err = check("name = \"a\"\nsql = \"  \"\n");
    assert!(err.contains("check \"a\" has empty sql"), "{err}");
    let err = check("name = \"\"\nsql = \"SELECT 1\"\n");
    assert!(err.contains("empty name"), "{err}");
    let err = check("sql = \"SELECT 1\"\n");
    assert!(err.contains("missing field `name`"), "{err}");
    let err = check("name = \"a\"\nsql = \"SELECT 1\"\nexpect = \"pass\"\n");
    assert!(err.contains("succeed"), "{err}");

    let two = "migrations = \"m\"\n[[check]]\nname = \"a\"\nsql = \"SELECT 1\"\n\
               [[check]]\nname = \"a\"\nsql = \"SELECT 2\"\n";
    let err = parse(two).unwrap_err();
    assert!(matches!(err, ScriptError::DuplicateCheck { .. }), "{err}");
}

#[test]
fn repeated_phases_run_once() {
    let script = parse(
        "migrations = \"m\"\n[[check]]\nname = \"a\"\nsql = \"SELECT 1\"\n\
         after = [\"undo\", \"forward\", \"undo\"]\n",
    )
    .unwrap();
    assert_eq!(script.checks[0].after, [Phase::Undo, Phase::Forward]);
}

#[test]
fn check_migrations_must_be_in_scope() {
    let (_tmp, h) = demo_history();
    let script = |scope: &str, migration: &str| {
        parse(&format!(
            "migrations = \"m\"\n[scope]\n{scope}\n[[check]]\nname = \"c\"\n\
             sql = \"SELECT 1\"\nmigration = \"{migration}\"\n"
        ))
        .unwrap()
    };
    let resolve = |script: DrillScript| {
        let scope = script.resolve_scope(&h).unwrap();
        resolve_checks(Some(&script.path), &script.checks, &h, &scope)
    };
    let resolved = resolve(script("last = 2", "20240201")).unwrap();
    assert_eq!(
        resolved[0].migration.as_deref(),
        Some("20240201000000_d"),
        "resolved to the folder name"
    );
    assert!(resolve(script("last = 2", "20240101000002_c")).is_ok());

    let err = resolve(script("last = 2", "20240101000001")).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, ScriptError::CheckOutsideScope { .. }),
        "{msg}"
    );
    assert_eq!(
        msg,
        "/repo/drills/demo.toml: check \"c\" runs only at 20240101000001_b, which is outside \
         the drill's scope (20240101000002_c … 20240201000000_d); widen the scope ([scope] in \
         the script, or --last, --from, --to or --all) or name a migration inside it"
    );

    let err = resolve(script("all = true", "2099")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "/repo/drills/demo.toml: check \"c\" migration: no forward migration named \"2099\""
        ),
        "{msg}"
    );

    let plain = script("all = true", "2099").checks;
    let err = resolve_checks(None, &plain, &h, &(0..4)).unwrap_err();
    assert!(
        err.to_string().starts_with("check \"c\" migration: "),
        "{err}"
    );
}

/// The example script in `drills/` parses and fits the demo history it names.
#[test]
fn demo_script_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("drills/demo.toml");
    let script = DrillScript::load(&path).unwrap();
    let history = read_history(&script.migrations).unwrap();
    assert_eq!(script.resolve_scope(&history).unwrap(), 0..7);
    let scope = script.resolve_scope(&history).unwrap();
    resolve_checks(Some(&script.path), &script.checks, &history, &scope).unwrap();
    assert!(script.checks.len() >= 2);
}
