//! `unmigrate check` as a pull-request job runs it: the migrations a branch adds (by git base
//! or by name), each with a current undo or declared irreversible, the undos drilled on the
//! embedded PostgreSQL, and the report in every format, with GitHub's annotations and step
//! summary.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{Run, Sandbox};

const INIT: (&str, &str) = (
    "20260101000000_init",
    "CREATE TABLE \"User\" (\"id\" TEXT PRIMARY KEY, \"email\" TEXT NOT NULL);\n",
);
const ADD_NAME: (&str, &str) = (
    "20260102000000_add_name",
    "ALTER TABLE \"User\" ADD COLUMN \"name\" TEXT;\n",
);
const DROP_EMAIL: (&str, &str) = (
    "20260103000000_drop_email",
    "ALTER TABLE \"User\" DROP COLUMN \"email\";\n",
);

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.email=ci@example.com", "-c", "user.name=ci"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// Makes `project` a repository whose `main` holds what is there now.
fn commit_main(project: &Path) {
    git(project, &["init", "-q", "-b", "main"]);
    git(project, &["add", "-A"]);
    git(project, &["commit", "-qm", "init"]);
}

/// [`commit_main`], then a `feature` branch checked out for what the test adds.
fn main_then_branch(project: &Path) {
    commit_main(project);
    git(project, &["checkout", "-qb", "feature"]);
}

/// A project whose `main` has the first migration and whose branch adds the other two, with
/// undo folders `generate` wrote for both.
fn branch_with_undos(sandbox: &Sandbox) -> std::path::PathBuf {
    let project = sandbox.project();
    let dir = sandbox.history(&[INIT]);
    main_then_branch(&project);
    for (name, sql) in [ADD_NAME, DROP_EMAIL] {
        add_migration(&dir, name, sql);
    }
    let run = sandbox.output(&["generate", dir.to_str().unwrap(), "--last", "2"]);
    assert_eq!(run.code, 0, "{run}");
    dir
}

fn add_migration(dir: &Path, name: &str, sql: &str) {
    fs::create_dir(dir.join(name)).unwrap();
    fs::write(dir.join(name).join("migration.sql"), sql).unwrap();
}

fn check(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = sandbox.command(&["check"]);
    command
        .args(args)
        .current_dir(sandbox.project())
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_BASE_REF");
    for (key, value) in env {
        command.env(key, value);
    }
    Run::from_output(command.output().unwrap())
}

fn undo_folder(dir: &Path, of: &str) -> std::path::PathBuf {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().unwrap().ends_with(&format!("_undo_{of}")))
        .unwrap()
}

#[test]
fn a_branch_whose_new_migrations_have_current_undos_that_drill_passes() {
    let sandbox = Sandbox::new();
    branch_with_undos(&sandbox);
    let run = check(&sandbox, &["migrations", "--base", "main"], &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("OK    20260102000000_add_name"),
        "{run}"
    );
    assert!(
        run.stdout.contains("20260103000000_drop_email  undo "),
        "{run}"
    );
    assert!(
        run.stdout.contains("drill passed (column order only)"),
        "{run}"
    );
    // The migration main already has is not new.
    assert!(!run.stdout.contains("20260101000000_init"), "{run}");
    assert!(
        run.stdout
            .contains("2 new migration(s) since the merge base of main"),
        "{run}"
    );
}

#[test]
fn missing_stale_and_edited_undos_without_a_drill() {
    let sandbox = Sandbox::new();
    let dir = branch_with_undos(&sandbox);
    // The forward changes after its undo was generated; the other undo is edited by hand.
    fs::write(
        dir.join("20260103000000_drop_email/migration.sql"),
        "ALTER TABLE \"User\" DROP COLUMN \"email\";\nALTER TABLE \"User\" ADD COLUMN \"x\" int;\n",
    )
    .unwrap();
    let edited = undo_folder(&dir, "add_name").join("migration.sql");
    let mut text = fs::read_to_string(&edited).unwrap();
    text.push_str("-- reviewed by the on-call DBA\n");
    fs::write(&edited, text).unwrap();
    // And a migration with no undo at all.
    add_migration(
        &dir,
        "20270101000000_more",
        "ALTER TABLE \"User\" ADD COLUMN \"y\" int;\n",
    );

    let run = check(
        &sandbox,
        &[
            "migrations",
            "--since",
            "init",
            "--no-drill",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run}");
    let report = run.json();
    assert_eq!(report["format_version"], 1);
    let states: Vec<(&str, &str)> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap(),
                m["undo"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("20260102000000_add_name", "current"),
            ("20260103000000_drop_email", "stale"),
            ("20270101000000_more", "missing"),
        ]
    );
    let migrations = report["migrations"].as_array().unwrap();
    assert_eq!(migrations[0]["undo"]["edited"], true);
    assert!(migrations[0]["findings"].as_array().unwrap().is_empty());
    assert_eq!(migrations[1]["findings"][0]["id"], "stale-undo");
    assert_eq!(migrations[2]["findings"][0]["id"], "missing-undo");
}

#[test]
fn an_irreversible_migration_is_declared_in_the_configuration_with_a_reason() {
    let sandbox = Sandbox::new();
    let dir = sandbox.history(&[INIT, DROP_EMAIL]);
    let config = sandbox.project().join("unmigrate.toml");
    fs::write(
        &config,
        "migrations = \"migrations\"\n[irreversible]\ndrop_email = \"emails moved to the CRM\"\n",
    )
    .unwrap();
    let run = check(&sandbox, &["--since", "init", "--no-drill"], &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("declared irreversible: emails moved to the CRM"),
        "{run}"
    );
    let _ = dir;

    // A typo in a key is an error with its line and column, never a setting turned off.
    fs::write(&config, "migrations = \"migrations\"\nirreversable = {}\n").unwrap();
    let run = check(&sandbox, &["--since", "init", "--no-drill"], &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("line 2, column 1"), "{run}");
    // A name that names no migration is an error too.
    fs::write(
        &config,
        "migrations = \"migrations\"\n[irreversible]\ndrop_emial = \"typo\"\n",
    )
    .unwrap();
    let run = check(&sandbox, &["--since", "init", "--no-drill"], &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("did you mean"), "{run}");
}

#[test]
fn an_undo_that_fails_its_drill_is_a_finding_annotated_on_github() {
    let sandbox = Sandbox::new();
    let dir = branch_with_undos(&sandbox);
    // A hand edit that breaks the undo: it no longer drops the column the forward added.
    let undo = undo_folder(&dir, "add_name").join("migration.sql");
    let text = fs::read_to_string(&undo)
        .unwrap()
        .replace("ALTER TABLE \"User\" DROP COLUMN name;", "SELECT 1;");
    assert!(text.contains("SELECT 1;"), "{text}");
    fs::write(&undo, text).unwrap();
    let summary = sandbox.project().join("summary.md");
    let run = check(
        &sandbox,
        &["migrations", "--base", "main"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.contains(
            "::error file=migrations/20260102000000_add_name/migration.sql,line=1,title=unmigrate drill-failed::"
        ),
        "{run}"
    );
    assert!(run.stdout.contains("drill-failed: the undo of 20260102000000_add_name failed its drill: undo: schema differs"), "{run}");
    let markdown = fs::read_to_string(&summary).unwrap();
    assert!(markdown.contains("## unmigrate check"), "{markdown}");
    assert!(
        markdown.contains("| ❌ | `20260102000000_add_name` |"),
        "{markdown}"
    );
}

#[test]
fn without_git_history_the_error_says_how_to_get_it_or_do_without() {
    let sandbox = Sandbox::new();
    sandbox.history(&[INIT, ADD_NAME]);
    let run = check(
        &sandbox,
        &["migrations", "--base", "main", "--no-drill"],
        &[],
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("git merge-base main HEAD failed"),
        "{run}"
    );
    assert!(run.stderr.contains("fetch-depth: 0"), "{run}");
    assert!(run.stderr.contains("--since NAME"), "{run}");
    // --since needs no git at all.
    let run = check(
        &sandbox,
        &["migrations", "--since", "init", "--no-drill"],
        &[],
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("missing-undo"), "{run}");
    // A report folder that does not exist is refused before the drill, as `drill` does.
    let run = check(
        &sandbox,
        &[
            "migrations",
            "--since",
            "init",
            "--output",
            "reports/check.txt",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("folder reports does not exist"),
        "{run}"
    );
}

#[test]
fn hazards_of_the_rules_the_configuration_fails_on_are_findings() {
    let sandbox = Sandbox::new();
    branch_with_undos(&sandbox);
    fs::write(
        sandbox.project().join("unmigrate.toml"),
        "migrations = \"migrations\"\n[check]\nfail_on = [\"drop-column\"]\ndrill = false\n",
    )
    .unwrap();
    let run = check(&sandbox, &["--base", "main", "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{run}");
    let report = run.json();
    let migrations = report["migrations"].as_array().unwrap();
    // The forward that drops a column: a finding on its line.
    let drop_email = &migrations[1];
    assert_eq!(drop_email["findings"][0]["id"], "drop-column", "{report:#}");
    assert!(
        drop_email["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("20260103000000_drop_email line 1: column \"User\".email is dropped"),
        "{report:#}"
    );
    // The undo of an added column drops it by design: a note, as its header says, not a finding.
    let add_name = &migrations[0];
    assert!(
        add_name["findings"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    assert!(
        add_name["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("its undo keeps drop-column:"),
        "{report:#}"
    );
    // `drill = false` in the configuration turns the drill off.
    assert!(add_name.get("drill").is_none(), "{report:#}");
}

#[test]
fn generate_missing_writes_what_check_reports_missing_and_nothing_twice() {
    let sandbox = Sandbox::new();
    let project = sandbox.project();
    let dir = sandbox.history(&[INIT]);
    main_then_branch(&project);
    for (name, sql) in [ADD_NAME, DROP_EMAIL] {
        add_migration(&dir, name, sql);
    }
    let run = check(
        &sandbox,
        &["migrations", "--base", "main", "--no-drill"],
        &[],
    );
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stdout.matches("missing-undo").count(), 2, "{run}");

    let generate = |args: &[&str]| {
        let mut command = sandbox.command(&["generate", "migrations", "--missing"]);
        command.args(args).current_dir(&project);
        Run::from_output(command.output().unwrap())
    };
    let run = generate(&["--base", "main"]);
    assert_eq!(run.code, 0, "{run}");
    undo_folder(&dir, "add_name");
    undo_folder(&dir, "drop_email");
    let run = generate(&["--base", "main"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("nothing to write"), "{run}");

    let run = check(&sandbox, &["migrations", "--base", "main"], &[]);
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn a_new_forward_that_fails_on_postgresql_is_a_finding_whatever_its_undo() {
    let sandbox = Sandbox::new();
    let dir = sandbox.history(&[INIT]);
    add_migration(
        &dir,
        "20260102000000_typo",
        "ALTER TABLE \"Users\" ADD COLUMN \"name\" TEXT;\n",
    );
    fs::write(
        sandbox.project().join("unmigrate.toml"),
        "migrations = \"migrations\"\n[irreversible]\ntypo = \"a one-off, see the runbook\"\n",
    )
    .unwrap();
    let run = check(&sandbox, &["--since", "init"], &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .contains("forward-failed: 20260102000000_typo fails on a scratch database: forward: "),
        "{run}"
    );
    assert!(
        run.stdout.contains("relation \"Users\" does not exist"),
        "{run}"
    );
}

/// `generate --dry-run` over an undo that exists (a stale one, say) shows how it differs from a
/// fresh one, and writes nothing.
#[test]
fn a_dry_run_over_an_existing_undo_shows_how_it_differs() {
    let sandbox = Sandbox::new();
    let dir = branch_with_undos(&sandbox);
    let folders = || fs::read_dir(&dir).unwrap().count();
    let dry_run = || {
        sandbox.output(&[
            "generate",
            dir.to_str().unwrap(),
            "--last",
            "1",
            "--dry-run",
        ])
    };
    let before = folders();
    let run = dry_run();
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("(dry run): the committed undo is what generate writes today"),
        "{run}"
    );
    fs::write(
        dir.join("20260103000000_drop_email/migration.sql"),
        "ALTER TABLE \"User\" DROP COLUMN \"email\";\nALTER TABLE \"User\" ADD COLUMN \"x\" int;\n",
    )
    .unwrap();
    let run = dry_run();
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("(dry run): how the committed undo differs from a fresh one"),
        "{run}"
    );
    assert!(
        run.stdout.contains("+ALTER TABLE \"User\" DROP COLUMN x;"),
        "{run}"
    );
    assert_eq!(folders(), before, "a dry run writes nothing");
}

/// `-- unmigrate-ignore RULE: reason` right above a statement of a new migration silences
/// that hazard there, with its reason as a note; without a reason, or naming no rule, it does
/// not.
#[test]
fn an_inline_ignore_with_a_reason_silences_one_hazard() {
    let sandbox = Sandbox::new();
    let dir = sandbox.history(&[INIT]);
    fs::write(
        sandbox.project().join("unmigrate.toml"),
        "migrations = \"migrations\"\n[check]\nfail_on = [\"drop-column\"]\ndrill = false\n[irreversible]\ndrop_email = \"emails live in the CRM\"\n",
    )
    .unwrap();
    let forward = |comment: &str| {
        let folder = dir.join("20260103000000_drop_email");
        let _ = fs::remove_dir_all(&folder);
        add_migration(
            &dir,
            "20260103000000_drop_email",
            &format!(
                "-- emails moved out\n{comment}\nALTER TABLE \"User\" DROP COLUMN \"email\";\n"
            ),
        );
        check(&sandbox, &["--since", "init", "--format", "json"], &[])
    };

    let run = forward("-- unmigrate-ignore drop-column: the app stopped reading it in v42");
    assert_eq!(run.code, 0, "{run}");
    let report = run.json();
    let m = &report["migrations"][0];
    assert!(m["findings"].as_array().unwrap().is_empty(), "{report:#}");
    assert!(
        m["notes"][0]
            .as_str()
            .unwrap()
            .ends_with("ignored by unmigrate-ignore (the app stopped reading it in v42)"),
        "{report:#}"
    );

    let run = forward("-- unmigrate-ignore drop-column");
    assert_eq!(run.code, 1, "{run}");
    let report = run.json();
    let finding = report["migrations"][0]["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(finding.contains("gives no reason"), "{finding}");

    let run = forward("-- unmigrate-ignore drop-colum: typo");
    assert_eq!(run.code, 1, "{run}");
    let report = run.json();
    let ids: Vec<&str> = report["migrations"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["unmigrate-ignore", "drop-column"], "{report:#}");
    assert!(
        report["migrations"][0]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean drop-column?"),
        "{report:#}"
    );
}

/// Teams that follow Prisma's guide on down migrations keep a down.sql beside migration.sql:
/// it is the undo check judges and drills, `generate --down-sql` writes it, and a hand-written
/// one is replaced only when asked explicitly.
#[test]
fn a_down_sql_is_the_undo_of_its_migration() {
    let sandbox = Sandbox::new();
    let project = sandbox.project();
    let dir = sandbox.history(&[INIT]);
    commit_main(&project);
    add_migration(&dir, ADD_NAME.0, ADD_NAME.1);
    let down = dir.join(ADD_NAME.0).join("down.sql");
    let hand = "-- by hand\nALTER TABLE \"User\" DROP COLUMN \"name\";\n";
    fs::write(&down, hand).unwrap();

    // Hand-written: judged by its drill, reported as such, exit 0.
    let run = check(&sandbox, &["migrations", "--base", "main"], &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("down.sql (hand-written)"), "{run}");
    assert!(run.stdout.contains("drill passed"), "{run}");

    // generate --down-sql does not replace it unless told to discard it.
    let generate = |extra: &[&str]| {
        let mut args = vec![
            "generate",
            "migrations",
            "--migration",
            "add_name",
            "--down-sql",
        ];
        args.extend_from_slice(extra);
        let mut command = sandbox.command(&args);
        Run::from_output(command.current_dir(&project).output().unwrap())
    };
    for extra in [&[][..], &["--force"][..]] {
        let run = generate(extra);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains("unmigrate did not write it"), "{run}");
        assert_eq!(fs::read_to_string(&down).unwrap(), hand);
    }
    // A dry run shows what would replace it, and writes nothing.
    let dry = generate(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{dry}");
    assert!(
        dry.stdout
            .contains("--- migrations/20260102000000_add_name/down.sql"),
        "{dry}"
    );
    assert!(dry.stdout.contains("\n--- by hand\n"), "{dry}");
    assert_eq!(fs::read_to_string(&down).unwrap(), hand);
    let run = generate(&["--force", "--discard-edits"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("down.sql (lossy"), "{run}");
    let written = fs::read_to_string(&down).unwrap();
    assert!(written.contains("DROP COLUMN"), "{written}");
    // No undo folder was written beside it.
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        3,
        "init, add_name and the lock file"
    );

    // Generated: current, and drilled; a second run leaves it as it is.
    let run = check(&sandbox, &["migrations", "--base", "main"], &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("undo 20260102000000_add_name/down.sql"),
        "{run}"
    );
    let run = generate(&[]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(fs::read_to_string(&down).unwrap(), written);

    // The forward changes: stale, and the fix it names writes the down.sql again.
    fs::write(
        dir.join(ADD_NAME.0).join("migration.sql"),
        "ALTER TABLE \"User\" ADD COLUMN \"name\" TEXT;\nALTER TABLE \"User\" ADD COLUMN \"nick\" TEXT;\n",
    )
    .unwrap();
    let run = check(
        &sandbox,
        &["migrations", "--base", "main", "--no-drill"],
        &[],
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("--down-sql --force"), "{run}");
    let run = generate(&["--force"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(fs::read_to_string(&down).unwrap().contains("\"nick\""));

    // An empty down.sql undoes nothing: a finding.
    fs::write(&down, "-- nothing to undo\n").unwrap();
    let run = check(
        &sandbox,
        &["migrations", "--base", "main", "--no-drill"],
        &[],
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .contains("down.sql of 20260102000000_add_name is empty"),
        "{run}"
    );
}

/// `check` in another tool's folder: what a branch adds is found by file, each migration's
/// down file is its undo, and it is drilled by golang-migrate's rules.
#[test]
fn check_judges_a_golang_migrate_branch_by_its_down_files() {
    let sandbox = Sandbox::new();
    let project = sandbox.project();
    let dir = project.join("migrations");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("atlas.sum"), "h1:x\n").unwrap();
    fs::write(dir.join("1_init.up.sql"), "CREATE TABLE t (a int);\n").unwrap();
    fs::write(dir.join("1_init.down.sql"), "DROP TABLE t;\n").unwrap();
    main_then_branch(&project);
    fs::write(
        dir.join("2_add_b.up.sql"),
        "ALTER TABLE t ADD COLUMN b text;\n",
    )
    .unwrap();

    let run = check(&sandbox, &["migrations", "--base", "main"], &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.contains("missing-undo: 2_add_b has no undo"),
        "{run}"
    );
    assert!(!run.stdout.contains("1_init"), "{run}");

    let mut generate = sandbox.command(&["generate", "migrations", "--migration", "add_b"]);
    let out = Run::from_output(generate.current_dir(&project).output().unwrap());
    assert_eq!(out.code, 0, "{out}");
    let run = check(&sandbox, &["migrations", "--base", "main"], &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("undo 2_add_b.down.sql"), "{run}");
    assert!(run.stdout.contains("drill passed"), "{run}");

    // A down that leaves the column behind fails the drill.
    fs::write(dir.join("2_add_b.down.sql"), "SELECT 1;\n").unwrap();
    let run = check(&sandbox, &["migrations", "--base", "main"], &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("drill failed"), "{run}");
}
