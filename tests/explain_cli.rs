//! End-to-end tests of `unmigrate explain`: what it accepts, its formats, exit codes and
//! errors. It never writes: every run must leave the project byte for byte as it was.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use tempfile::TempDir;

mod common;
use common::run_in;

const INIT: &str = "20240101000000_init";
const ADD: &str = "20240102000000_add";

/// `<tmp>/prisma/migrations` with an init migration and one that adds an index and a
/// required column to the existing table.
fn project() -> TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("prisma/migrations");
    for (name, sql) in [
        (
            INIT,
            "CREATE TABLE \"User\" (\"id\" TEXT PRIMARY KEY, \"email\" TEXT);\n",
        ),
        (
            ADD,
            "-- add things\nCREATE INDEX \"User_email_idx\" ON \"User\"(\"email\");\nALTER TABLE \"User\" ADD COLUMN \"age\" INTEGER NOT NULL;\n",
        ),
    ] {
        fs::create_dir_all(dir.join(name)).expect("folder");
        fs::write(dir.join(name).join("migration.sql"), sql).expect("write");
    }
    fs::write(
        dir.join("migration_lock.toml"),
        "provider = \"postgresql\"\n",
    )
    .expect("lock");
    tmp
}

fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), fs::read(&path).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn explains_the_whole_default_history_read_only() {
    let tmp = project();
    let before = snapshot(tmp.path());
    let run = run_in(tmp.path(), &["explain"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(&format!("== {INIT}")), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("== {ADD}")), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("hazard   create-index-without-concurrently"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 migration(s), 3 statement(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(snapshot(tmp.path()), before, "explain must not write");
}

#[test]
fn a_migration_by_name_prefix_folder_or_file_folds_the_history_before_it() {
    let tmp = project();
    let folder = format!("prisma/migrations/{ADD}");
    let file = format!("{folder}/migration.sql");
    for target in ["20240102", ADD, folder.as_str(), file.as_str()] {
        let run = run_in(tmp.path(), &["explain", target]);
        assert_eq!(run.code, 0, "{target}: {}", run.stderr);
        assert!(
            !run.stdout.contains(INIT),
            "{target}: only the one migration"
        );
        // The model knows "User" from init, so the undo is generated, not manual.
        assert!(
            run.stdout
                .contains("undo     exact: drops index \"User_email_idx\" again"),
            "{target}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("line 2 "), "{target}: {}", run.stdout);
    }
}

#[test]
fn a_lone_file_is_explained_with_an_empty_model() {
    let tmp = tempfile::tempdir().expect("temp dir");
    fs::write(tmp.path().join("x.sql"), "DROP INDEX \"i\";\n").expect("write");
    let run = run_in(tmp.path(), &["explain", "x.sql"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("no history"), "{}", run.stdout);
    assert!(
        run.stdout.contains("drop-index-without-concurrently"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_and_markdown_carry_the_same_hazards() {
    let tmp = project();
    let run = run_in(tmp.path(), &["explain", ADD, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(json["apply_mode"], "batch");
    assert_eq!(json["format_version"], 1);
    assert_eq!(
        json["hazard_counts"]["add-column-not-null-without-default"],
        1
    );
    let statement = &json["migrations"][0]["statements"][0];
    assert_eq!(statement["location"]["line"], 2);
    assert_eq!(statement["impact"]["locks"][0]["mode"], "SHARE");
    // The relation's name unquoted, its schema beside it.
    assert_eq!(statement["impact"]["locks"][0]["on"]["name"], "User");
    assert_eq!(statement["impact"]["locks"][0]["on"]["schema"], "public");
    assert_eq!(statement["undo"]["verdict"], "exact");
    assert_eq!(
        statement["hazards"][0]["rule"],
        "create-index-without-concurrently"
    );
    // Help names the command that prints the rule's page: never a path into unmigrate's own
    // source tree, a broken link in a pull-request comment.
    assert_eq!(
        statement["hazards"][0]["doc"],
        "unmigrate rule create-index-without-concurrently"
    );

    let md = run_in(tmp.path(), &["explain", ADD, "--format", "markdown"]);
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(
        md.stdout.starts_with("## unmigrate explain\n"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("| `add-column-not-null-without-default` | 1 |"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("| 2 | `CREATE INDEX"), "{}", md.stdout);

    // With a documentation URL in unmigrate.toml, help links there, in every format.
    std::fs::write(
        tmp.path().join("unmigrate.toml"),
        "docs_url = \"https://docs.example/rules/{id}\"\n",
    )
    .unwrap();
    let md = run_in(tmp.path(), &["explain", ADD, "--format", "markdown"]);
    assert!(
        md.stdout.contains(
            "| [`add-column-not-null-without-default`](https://docs.example/rules/add-column-not-null-without-default) | 1 |"
        ),
        "{}",
        md.stdout
    );
    let human = run_in(tmp.path(), &["explain", ADD]);
    assert!(
        human
            .stdout
            .contains("see https://docs.example/rules/create-index-without-concurrently"),
        "{}",
        human.stdout
    );
}

#[test]
fn fail_on_turns_named_hazards_into_exit_1() {
    let tmp = project();
    let all = run_in(tmp.path(), &["explain", ADD, "--fail-on", "all"]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    let named = run_in(
        tmp.path(),
        &[
            "explain",
            ADD,
            "--fail-on",
            "drop-table,create-index-without-concurrently",
        ],
    );
    assert_eq!(named.code, 1);
    let other = run_in(tmp.path(), &["explain", ADD, "--fail-on", "drop-table"]);
    assert_eq!(other.code, 0, "no drop-table hazard here");
}

/// `--fail-on` ends with a line on standard error that says which rules failed, or that none
/// found a hazard; standard output keeps only the report (one JSON document).
#[test]
fn fail_on_ends_with_a_line_naming_the_rules_that_failed() {
    let tmp = project();
    let fail_on = "drop-table,create-index-without-concurrently";
    let failed = run_in(
        tmp.path(),
        &["explain", ADD, "--fail-on", fail_on, "--format", "json"],
    );
    assert_eq!(failed.code, 1, "{failed}");
    assert_eq!(
        failed.stderr.trim_end().lines().last(),
        Some("explain: failing on create-index-without-concurrently (1 hazard)"),
        "{failed}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&failed.stdout).expect("stdout is one JSON document");
    assert_eq!(report["hazards"], 3, "{failed}");

    let passed = run_in(
        tmp.path(),
        &["explain", ADD, "--fail-on", "drop-table,drop-column"],
    );
    assert_eq!(passed.code, 0, "{passed}");
    assert_eq!(
        passed.stderr.trim_end().lines().last(),
        Some("explain: no hazard of drop-table, drop-column"),
        "{passed}"
    );
    assert!(!passed.stdout.contains("explain: no hazard"), "{passed}");

    let quiet = run_in(tmp.path(), &["explain", ADD]);
    assert!(
        !quiet.stderr.contains("explain: "),
        "no line without --fail-on: {quiet}"
    );
}

#[test]
fn an_unknown_rule_is_a_usage_error_that_suggests_the_near_id() {
    let tmp = project();
    let run = run_in(tmp.path(), &["explain", "--fail-on", "no-such-rule"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--fail-on no-such-rule: no such rule")
            && run.stderr.contains("`unmigrate rule` lists them")
            && run.stderr.contains("`all` names every rule"),
        "{}",
        run.stderr
    );
    let run = run_in(tmp.path(), &["explain", "--fail-on", "drop-colum"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean drop-column?"),
        "{}",
        run.stderr
    );
}

#[test]
fn unparseable_sql_names_file_line_and_column() {
    let tmp = project();
    let bad = tmp.path().join("prisma/migrations/20240103000000_bad");
    fs::create_dir(&bad).expect("folder");
    fs::write(
        bad.join("migration.sql"),
        "SELECT 1;\nALTER TABLE \"User\" ADD COLUMN;\n",
    )
    .expect("write");
    let run = run_in(tmp.path(), &["explain"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("20240103000000_bad/migration.sql:2:30: syntax error at or near \";\""),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "no partial report: {}", run.stdout);
}

#[test]
fn unknown_and_ambiguous_names_are_input_errors() {
    let tmp = project();
    let unknown = run_in(tmp.path(), &["explain", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no migration named \"nope\""),
        "{}",
        unknown.stderr
    );
    let ambiguous = run_in(tmp.path(), &["explain", "2024"]);
    assert_eq!(ambiguous.code, 2);
    assert!(
        ambiguous.stderr.contains("names several migrations") && ambiguous.stderr.contains(INIT),
        "{}",
        ambiguous.stderr
    );
}

#[test]
fn split_mode_lets_concurrently_share_a_file() {
    let tmp = tempfile::tempdir().expect("temp dir");
    fs::write(
        tmp.path().join("m.sql"),
        "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
    )
    .expect("write");
    let batch = run_in(
        tmp.path(),
        &[
            "explain",
            "m.sql",
            "--fail-on",
            "non-transactional-in-transaction",
        ],
    );
    assert_eq!(batch.code, 1, "{}", batch.stdout);
    let split = run_in(
        tmp.path(),
        &[
            "explain",
            "m.sql",
            "--apply-mode",
            "split",
            "--fail-on",
            "non-transactional-in-transaction",
        ],
    );
    assert_eq!(split.code, 0, "{}", split.stdout);
}

/// Runs `unmigrate ARGS` in `cwd` with `input` on its standard input.
fn run_with_stdin(cwd: &Path, args: &[&str], input: &str) -> common::Run {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_unmigrate"))
        .env("NO_COLOR", "1") // the messages compared are plain
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the unmigrate binary");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    common::Run::from_output(child.wait_with_output().unwrap())
}

/// The names of the migrations a JSON report explains, in its order.
fn json_names(run: &common::Run) -> Vec<String> {
    assert_eq!(run.code, 0, "{run}");
    run.json()["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn several_targets_make_one_report_in_every_format_each_migration_once() {
    let tmp = project();
    fs::write(tmp.path().join("x.sql"), "DROP INDEX \"i\";\n").unwrap();
    let folder = format!("prisma/migrations/{ADD}");
    // ADD three times (name, prefix, folder), x.sql twice (two spellings of one file).
    let targets = [ADD, "x.sql", "20240102", folder.as_str(), "./x.sql"];
    let human = run_in(tmp.path(), &[&["explain"], &targets[..]].concat());
    assert_eq!(human.code, 0, "{human}");
    assert_eq!(
        human.stdout.matches(&format!("== {ADD} (")).count(),
        1,
        "{human}"
    );
    assert_eq!(human.stdout.matches("== x.sql").count(), 1, "{human}");
    assert!(!human.stdout.contains(&format!("== {INIT}")), "{human}");
    assert!(
        human.stdout.contains("2 migration(s), 3 statement(s)"),
        "{human}"
    );
    // ADD is explained with its history folded in (the undo knows "User"); x.sql without.
    assert!(
        human
            .stdout
            .contains("undo     exact: drops index \"User_email_idx\" again"),
        "{human}"
    );

    let json = run_in(
        tmp.path(),
        &[&["explain", "--format", "json"], &targets[..]].concat(),
    );
    assert_eq!(json_names(&json), [ADD, "x.sql"]);
    let report = json.json();
    assert_eq!(report["statements"], 3, "{report:#}");
    assert_eq!(report["migrations"][0]["with_history"], true);
    assert_eq!(report["migrations"][1]["with_history"], false);

    let md = run_in(
        tmp.path(),
        &[&["explain", "--format", "markdown"], &targets[..]].concat(),
    );
    assert_eq!(md.code, 0, "{md}");
    assert_eq!(md.stdout.matches("## unmigrate explain").count(), 1, "{md}");
    assert_eq!(md.stdout.matches("\n### `").count(), 2, "{md}");
    assert!(md.stdout.contains("2 migration(s), 3 statement(s)"), "{md}");
}

#[test]
fn last_n_explains_the_latest_forward_migrations_in_deploy_order() {
    let tmp = project();
    let dir = tmp.path().join("prisma/migrations");
    let third = "20240103000000_drop_index";
    let undo = "20240201000000_undo_drop_index";
    for (name, sql) in [
        (third, "DROP INDEX \"User_email_idx\";\n".to_string()),
        (undo, format!("-- unmigrate: undo of {third}\nSELECT 1;\n")),
    ] {
        fs::create_dir(dir.join(name)).unwrap();
        fs::write(dir.join(name).join("migration.sql"), sql).unwrap();
    }
    // Of --dir (the default), and of the one migrations folder named: not the undo folder.
    for args in [
        vec!["explain", "--last", "2", "--format", "json"],
        vec![
            "explain",
            "--format",
            "json",
            "prisma/migrations",
            "--last=2",
        ],
        vec![
            "explain",
            "--dir",
            "prisma/migrations",
            "--last",
            "2",
            "--format",
            "json",
        ],
    ] {
        let run = run_in(tmp.path(), &args);
        assert_eq!(json_names(&run), [ADD, third], "{args:?}");
        let report = run.json();
        // INIT is folded, not explained: the index's table is known, so its undo is exact.
        assert_eq!(
            report["migrations"][1]["statements"][0]["undo"]["verdict"], "exact",
            "{report:#}"
        );
    }
    let all = run_in(tmp.path(), &["explain", "--last", "9", "--format", "json"]);
    assert_eq!(
        json_names(&all),
        [INIT, ADD, third],
        "clamped to the history"
    );
}

#[test]
fn last_with_any_other_target_is_a_usage_error() {
    let tmp = project();
    fs::write(tmp.path().join("x.sql"), "SELECT 1;\n").unwrap();
    for (args, with) in [
        (
            vec!["explain", "--last", "1", "x.sql"],
            "x.sql (a lone SQL file)",
        ),
        (
            vec!["explain", "--last", "1", ADD],
            "20240102000000_add (one migration)",
        ),
        (vec!["explain", "--last", "1", "-"], "- (standard input)"),
        (
            vec!["explain", "--last", "1", "prisma/migrations", "x.sql"],
            "x.sql (a second target)",
        ),
    ] {
        let run = run_in(tmp.path(), &args);
        assert_eq!(run.code, 2, "{args:?}: {run}");
        assert!(
            run.stderr
                .starts_with(&format!("error: --last cannot be used with {with}")),
            "{args:?}: {run}"
        );
        assert!(
            run.stderr.contains("Usage: unmigrate explain"),
            "{args:?}: {run}"
        );
        assert!(run.stdout.is_empty(), "{args:?}: {run}");
    }
    let zero = run_in(tmp.path(), &["explain", "--last", "0"]);
    assert_eq!(zero.code, 2, "{zero}");
    assert!(zero.stderr.contains("--last <N>"), "{zero}");
}

#[test]
fn dash_reads_sql_from_standard_input_named_stdin() {
    let tmp = project();
    let run = run_with_stdin(tmp.path(), &["explain", "-"], "DROP INDEX \"i\";\n");
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with("== <stdin>\n"), "{run}");
    assert!(run.stdout.contains("no history"), "{run}");
    assert!(
        run.stdout
            .contains("hazard   drop-index-without-concurrently"),
        "{run}"
    );
    // With other targets, in the order given; named twice, read and explained once.
    let run = run_with_stdin(
        tmp.path(),
        &["explain", ADD, "-", "-", "--format", "json"],
        "DROP INDEX \"i\";\n",
    );
    assert_eq!(json_names(&run), [ADD, "<stdin>"]);
    assert_eq!(run.json()["migrations"][1]["path"], "<stdin>");

    let bad = run_with_stdin(
        tmp.path(),
        &["explain", ADD, "-"],
        "SELECT 1;\nALTER TABLE \"User\" ADD COLUMN;\n",
    );
    assert_eq!(bad.code, 2, "{bad}");
    assert!(
        bad.stderr
            .contains("<stdin>:2:30: syntax error at or near \";\""),
        "{bad}"
    );
    assert!(bad.stdout.is_empty(), "no partial report: {bad}");
}

#[test]
fn an_unknown_name_among_several_targets_suggests_the_near_one() {
    let tmp = project();
    let run = run_in(tmp.path(), &["explain", INIT, "ad"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains(&format!(
            "no migration named \"ad\" in prisma/migrations (did you mean \"{ADD}\"?)"
        )),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "no partial report: {run}");
}

/// JSON names relations as PostgreSQL stores them, unquoted, with the schema as a field of its
/// own (the undo's `loses` too); the human report writes them as SQL does.
#[test]
fn json_names_are_unquoted_with_their_schema_beside_them() {
    let tmp = tempfile::tempdir().unwrap();
    let sql = "CREATE TABLE \"audit\".\"PublishedDocs\" (\"id\" INTEGER);\n\
               ALTER TABLE \"audit\".\"PublishedDocs\" ADD COLUMN \"n\" INTEGER;\n";
    let run = run_with_stdin(tmp.path(), &["explain", "-", "--format", "json"], sql);
    assert_eq!(run.code, 0, "{run}");
    let json = run.json();
    let statement = &json["migrations"][0]["statements"][1];
    let on = &statement["impact"]["locks"][0]["on"];
    assert_eq!(
        (&on["name"], &on["schema"], &on["kind"]),
        (&"PublishedDocs".into(), &"audit".into(), &"table".into()),
        "{statement:#}"
    );
    let loses = &statement["undo"]["loses"][0];
    assert_eq!(
        (
            &loses["kind"],
            &loses["table"],
            &loses["schema"],
            &loses["column"]
        ),
        (
            &"column".into(),
            &"PublishedDocs".into(),
            &"audit".into(),
            &"n".into()
        ),
        "{statement:#}"
    );

    let human = run_with_stdin(tmp.path(), &["explain", "-"], sql);
    assert!(
        human.stdout.contains("on table audit.\"PublishedDocs\""),
        "{}",
        human.stdout
    );
}
