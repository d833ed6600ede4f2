//! `unmigrate drill` end to end: the real binary drills real histories on a real PostgreSQL,
//! and the tests read its reports (JSON mostly; the human text where the text is the point).
//!
//! Histories are committed fixtures under `tests/drills/<case>/` when a case reads better as
//! files, or written into a temp dir by the test. Nothing is mocked or skipped: without
//! PostgreSQL every test fails with the binary's own install hint.
//!
//! Every run gets a private `TMPDIR` (the embedded cluster lives there) and must leave it empty,
//! with no `postgres` process still serving from it: each test checks cleanup as well.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread::sleep;
use std::time::{Duration, Instant};

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;

use unmigrate::scratch::{ScratchOptions, ScratchServer, NAME_PREFIX};

mod common;
use common::process::{process_gone, wait_until};
use common::{arg, array, manifest_dir, phase, query_strings, text, write_history, Run, Sandbox};

const EXIT_PASSED: i32 = 0;
const EXIT_FAILED: i32 = 1;
const EXIT_ERROR: i32 = 2;
/// How a shell reports death by SIGTERM, which the binary's signal cleanup exits with.
const EXIT_SIGTERM: i32 = 128 + libc::SIGTERM;

const DEMO_SCRIPT: &str = "drills/demo.toml";
const DEMO_MIGRATIONS: &str = "drills/demo/migrations";
const NICKNAME_DROP: &str = "20260209150000_drop_user_nickname";

/// How long an embedded server may take to come up. Generous: the VM is slow and shared.
const START_WAIT: Duration = Duration::from_secs(120);
/// How long cleanup may take before a test calls it missing.
const CLEANUP_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting test looks again.
const POLL: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------------------------------------
// A passing drill

#[test]
fn demo_drill_passes_every_migration_and_runs_every_check_of_its_script() {
    let report = drill(&[DEMO_SCRIPT, "--format", "json"]).passed_json();

    assert_eq!(report["passed"], true);
    let results = results(&report);
    assert_eq!(results.len(), 7, "{results:?}");
    for (name, result) in &results {
        let expected = if name == NICKNAME_DROP {
            "passed_column_order_only"
        } else {
            "passed"
        };
        assert_eq!(result, expected, "{name}");
    }
    assert_eq!(
        report["counts"],
        serde_json::json!({
            "passed": 6,
            "column_order_only": 1,
            "manual": 0,
            "failed": 0,
            "not_run": 0,
        })
    );
    assert_eq!(report["report"]["final_check"]["passed"], true);
    assert_eq!(report["report"]["stopped"], Value::Null);

    // Every check the script declares ran after each of its phases, and passed.
    let expected = declared_checks(&manifest_dir().join(DEMO_SCRIPT));
    assert_eq!(expected.len(), 4, "the demo pins 3 checks to 4 phases");
    let mut ran = BTreeSet::new();
    for migration in migrations(&report) {
        for check in array(&migration["checks"]) {
            assert_eq!(check["passed"], true, "{check}");
            let key = (
                text(&migration["name"]).to_string(),
                text(&check["name"]).to_string(),
                text(&check["after"]).to_string(),
            );
            assert!(ran.insert(key), "ran twice: {check}");
        }
    }
    assert_eq!(ran, expected);
}

/// (migration, check name, phase) for every check of a drill script with `migration` pinned.
fn declared_checks(script: &Path) -> BTreeSet<(String, String, String)> {
    let text = fs::read_to_string(script).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let mut expected = BTreeSet::new();
    for check in table["check"].as_array().unwrap() {
        let migration = check["migration"].as_str().expect("demo checks are pinned");
        let phases = match check.get("after") {
            Some(after) => after
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect(),
            None => vec!["forward".into(), "undo".into(), "reapply".into()],
        };
        for phase in phases {
            let name = check["name"].as_str().unwrap().to_string();
            expected.insert((migration.to_string(), name, phase));
        }
    }
    expected
}

// ---------------------------------------------------------------------------------------------
// A committed undo that does not restore the schema

const WRONG_UNDO: &str = "tests/drills/wrong_undo/migrations";
const ADD_USER_AGE: &str = "20260302090000_add_user_age";

#[test]
fn a_wrong_committed_undo_fails_and_the_human_report_shows_the_diff() {
    let run = drill(&[WRONG_UNDO]);
    assert_eq!(run.code, EXIT_FAILED, "{run}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    let result_line = |name: &str| {
        lines
            .iter()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{}", run.stdout))
            .to_string()
    };
    assert!(result_line("20260301090000_init").starts_with("PASS "));
    let failed = result_line(ADD_USER_AGE);
    assert!(failed.starts_with("FAIL "), "{failed}");
    assert!(
        failed.contains("committed 20260303090000_undo_add_user_age"),
        "{failed}"
    );
    for expected in [
        "    undo: schema differs in 1 object: table public.\"User\"",
        "      --- expected (before 20260302090000_add_user_age)",
        "      +++ actual (after the undo of 20260302090000_add_user_age)",
        "      -  column email text not null",
        "      +  column email text",
        "Drill FAILED",
    ] {
        assert!(lines.contains(&expected), "no line {expected:?}:\n{run}");
    }
    assert!(!run.stdout.contains('\x1b'), "NO_COLOR output has escapes");
}

#[test]
fn a_wrong_committed_undo_is_a_mismatch_in_json_junit_and_markdown() {
    let report = drill(&[WRONG_UNDO, "--format", "json"]).failed_json();
    let migration = migration(&report, ADD_USER_AGE);
    assert_eq!(migration["result"], "failed");
    assert_eq!(migration["undo_source"]["kind"], "committed");
    let undo = phase(migration, "undo");
    assert_eq!(undo["status"], "mismatch", "{undo}");
    let objects = array(&undo["diff"]["objects"]);
    assert_eq!(objects.len(), 1, "{undo}");
    assert_eq!(objects[0]["key"], "table public.\"User\"");
    assert!(text(&objects[0]["expected"]).contains("  column email text not null\n"));
    assert!(text(&objects[0]["actual"]).contains("  column email text\n"));

    let sandbox = Sandbox::new();
    let xml_path = sandbox.project().join("drill.xml");
    let run = sandbox.drill(&[WRONG_UNDO, "--format", "junit", "--output", arg(&xml_path)]);
    assert_eq!(run.code, EXIT_FAILED, "{run}");
    assert!(
        run.stdout.is_empty(),
        "--output writes the file only:\n{run}"
    );
    let failures = junit_failures(&fs::read_to_string(&xml_path).unwrap());
    let undo_failure = failures
        .iter()
        .find(|(class, name, _)| class == ADD_USER_AGE && name == "undo")
        .unwrap_or_else(|| panic!("no failure for the undo of {ADD_USER_AGE}: {failures:?}"));
    assert!(
        undo_failure.2.contains("table public.\"User\""),
        "{failures:?}"
    );
    assert!(
        !failures
            .iter()
            .any(|(class, ..)| class == "20260301090000_init"),
        "{failures:?}"
    );

    let run = drill(&[WRONG_UNDO, "--format", "markdown"]);
    assert_eq!(run.code, EXIT_FAILED, "{run}");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("| `{ADD_USER_AGE}`")))
        .unwrap_or_else(|| panic!("no table row for {ADD_USER_AGE}:\n{run}"));
    assert!(row.contains("fail"), "{row}");
    assert!(run
        .stdout
        .contains("**undo**: schema differs in 1 object: table public.\"User\""));
    assert!(run.stdout.contains("\n-  column email text not null\n"));
}

/// (classname, name, failure message) of every JUnit test case with a failure, from the
/// parsed XML, so a malformed document fails the test too.
fn junit_failures(xml: &str) -> Vec<(String, String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut case = None;
    let mut failures = Vec::new();
    loop {
        let element = match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let attribute = |key: &str| -> String {
            element
                .try_get_attribute(key)
                .expect("attribute")
                .map(|a| {
                    a.normalized_value(XmlVersion::Explicit1_0)
                        .expect("unescaped")
                        .into_owned()
                })
                .unwrap_or_default()
        };
        match element.name().as_ref().to_string().as_str() {
            "testcase" => case = Some((attribute("classname"), attribute("name"))),
            "failure" => {
                let (class, name) = case.clone().expect("a failure inside a testcase");
                failures.push((class, name, attribute("message")));
            }
            _ => {}
        }
    }
    failures
}

// ---------------------------------------------------------------------------------------------
// A committed undo that PostgreSQL rejects

#[test]
fn a_committed_undo_that_fails_to_apply_is_rolled_back_and_the_drill_goes_on() {
    let report = drill(&[
        "tests/drills/undo_fails/migrations",
        "--undo-dir",
        "tests/drills/undo_fails/undo",
        "--format",
        "json",
    ])
    .failed_json();

    let migration = migration(&report, ADD_USER_AGE);
    assert_eq!(migration["result"], "failed");
    assert_eq!(
        migration["undo_source"]["folders"],
        serde_json::json!(["20260303090000_undo_add_user_age"])
    );
    let undo = phase(migration, "undo");
    assert_eq!(undo["status"], "error", "{undo}");
    assert_eq!(undo["code"], "42703", "{undo}");
    assert!(text(&undo["message"]).contains("\"years\""), "{undo}");
    assert!(text(&undo["effect"]).starts_with("rolled back"), "{undo}");
    assert!(
        text(&undo["file"]).starts_with("tests/drills/undo_fails/undo/"),
        "{undo}"
    );
    assert!(
        array(&migration["phases"])
            .iter()
            .all(|p| p["phase"] != "reapply"),
        "no re-apply after a failed undo: {migration}"
    );

    // Rolled back, so the database is at the forward state and the next migration is drilled.
    assert_eq!(
        migration_result(&report, "20260304090000_add_user_name"),
        "passed"
    );
    assert_eq!(report["report"]["stopped"], Value::Null);
    assert_eq!(report["report"]["final_check"]["passed"], true);
    assert_eq!(report["counts"]["failed"], 1);
}

// ---------------------------------------------------------------------------------------------
// CREATE INDEX CONCURRENTLY

#[test]
fn create_index_concurrently_alone_in_its_file_passes_in_batch_mode() {
    const HISTORY: &str = "tests/drills/concurrently_alone/migrations";
    const INDEX: &str = "20260302090000_add_post_title_idx";
    let report = drill(&[HISTORY, "--apply-mode", "batch", "--format", "json"]).passed_json();
    assert_eq!(report["report"]["apply_mode"], "batch");
    let migration = migration(&report, INDEX);
    assert_eq!(migration["result"], "passed");
    for p in array(&migration["phases"]) {
        assert_eq!(p["status"], "passed", "{p}");
    }
    assert_eq!(migration["mode_differences"], serde_json::json!([]));

    // What the drill applied as the undo: DROP INDEX CONCURRENTLY in a folder of its own (it
    // cannot run in a transaction either, and batch mode passing above proves it did not).
    let generated = Sandbox::new().run(&[
        "generate",
        HISTORY,
        "--dry-run",
        "--format",
        "json",
        "--timestamp",
        "20990101000000",
    ]);
    assert_eq!(generated.code, EXIT_PASSED, "{generated}");
    let plan: Value = serde_json::from_str(&generated.stdout).unwrap();
    let folders = array(&plan["undos"][0]["folders"]);
    assert_eq!(folders.len(), 1, "{plan}");
    let statements: Vec<&str> = text(&folders[0]["sql"])
        .lines()
        .filter(|l| !l.starts_with("--") && !l.trim().is_empty())
        .collect();
    assert_eq!(statements, [r#"DROP INDEX CONCURRENTLY "Post_title_idx";"#]);
}

const CONCURRENTLY_IN_BATCH: &str = "tests/drills/concurrently_in_batch/migrations";
const ADD_TAG: &str = "20260302090000_add_tag";

#[test]
fn create_index_concurrently_after_another_statement_fails_in_batch_mode() {
    let report = drill(&[CONCURRENTLY_IN_BATCH, "--format", "json"]).failed_json();
    assert_eq!(report["report"]["apply_mode"], "batch");
    let migration = migration(&report, ADD_TAG);
    assert_eq!(migration["result"], "failed");
    let forward = phase(migration, "forward");
    assert_eq!(forward["status"], "error", "{forward}");
    assert_eq!(forward["code"], "25001", "{forward}");
    assert!(
        text(&forward["effect"]).starts_with("rolled back"),
        "{forward}"
    );
    let differences = array(&migration["mode_differences"]);
    assert!(
        differences.iter().any(|d| text(d).contains("CONCURRENTLY")),
        "mode_differences must say why batch and split differ: {migration}"
    );

    let stopped = text(&report["report"]["stopped"]);
    assert!(stopped.contains(ADD_TAG), "{stopped}");
    assert!(stopped.contains("failed"), "{stopped}");
    assert_eq!(
        migration_result(&report, "20260303090000_add_post_body"),
        "not_run"
    );
    assert_eq!(report["report"]["final_check"], Value::Null);
}

#[test]
fn create_index_concurrently_after_another_statement_passes_in_split_mode() {
    let report = drill(&[
        CONCURRENTLY_IN_BATCH,
        "--apply-mode",
        "split",
        "--format",
        "json",
    ])
    .passed_json();
    assert_eq!(report["report"]["apply_mode"], "split");
    for (name, result) in results(&report) {
        assert_eq!(result, "passed", "{name}");
    }
    // The difference is still reported: it is about the migration, not this run.
    assert!(!array(&migration(&report, ADD_TAG)["mode_differences"]).is_empty());
    assert_eq!(report["report"]["final_check"]["passed"], true);
}

// ---------------------------------------------------------------------------------------------
// Results that pass with a remark

#[test]
fn a_data_migration_is_manual_and_the_drill_goes_on_and_passes() {
    let report = drill(&["tests/drills/manual_data/migrations", "--format", "json"]).passed_json();
    assert_eq!(
        results(&report),
        [
            ("20260301090000_init".to_string(), "passed".to_string()),
            ("20260302090000_seed_admin".into(), "manual".into()),
            ("20260303090000_add_user_name".into(), "passed".into()),
        ]
    );
    let manual = migration(&report, "20260302090000_seed_admin");
    assert_eq!(manual["claimed"], "manual");
    assert!(
        array(&manual["reasons"])
            .iter()
            .any(|r| text(r).contains("INSERT")),
        "{manual}"
    );
    let phases: Vec<&str> = array(&manual["phases"])
        .iter()
        .map(|p| text(&p["phase"]))
        .collect();
    assert_eq!(phases, ["forward"], "a manual undo is not applied");
    assert_eq!(report["counts"]["manual"], 1);
    assert_eq!(report["report"]["final_check"]["passed"], true);
}

#[test]
fn dropping_a_column_passes_with_the_column_order_only_difference_it_announced() {
    const DROP: &str = "20260302090000_drop_user_nickname";
    let report = drill(&["tests/drills/drop_column/migrations", "--format", "json"]).passed_json();
    let migration = migration(&report, DROP);
    assert_eq!(migration["result"], "passed_column_order_only");
    let undo = phase(migration, "undo");
    assert_eq!(undo["status"], "column_order_only", "{undo}");
    assert_eq!(undo["announced"], true, "{undo}");
    let object = &undo["diff"]["objects"][0];
    assert_eq!(object["key"], "table public.\"User\"");
    let columns = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("column "))
            .map(|c| c.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        columns(text(&object["expected"])),
        ["id", "email", "nickname", "name"]
    );
    assert_eq!(
        columns(text(&object["actual"])),
        ["id", "email", "name", "nickname"]
    );
    assert_eq!(phase(migration, "reapply")["status"], "passed");
    assert_eq!(report["counts"]["column_order_only"], 1);
}

// ---------------------------------------------------------------------------------------------
// Constraints that take over an index

/// `ADD PRIMARY KEY USING INDEX` (the constraint takes the index's name, the key becomes NOT
/// NULL), `ADD CONSTRAINT c … USING INDEX` (the index is renamed to `c`), UNIQUE of both kinds,
/// `DROP CONSTRAINT` of one, then `DROP TABLE` of both tables: every undo restores the exact earlier schema (index names
/// and definitions, NOT NULL, constraints) and the forward applies again, as each verdict claims.
#[test]
fn constraints_using_an_index_are_undone_exactly_and_their_tables_recreated() {
    let report = drill(&["tests/drills/using_index/migrations", "--format", "json"]).passed_json();
    let expected = [
        ("20260301090000_init", "lossy"),
        ("20260302090000_t_primary_key", "exact"),
        ("20260303090000_u_primary_key", "exact"),
        ("20260304090000_t_unique_keys", "exact"),
        ("20260305090000_drop_t_unique_key", "lossy"),
        ("20260306090000_drop_tables", "lossy"),
    ];
    assert_eq!(
        results(&report),
        expected.map(|(name, _)| (name.to_string(), "passed".to_string()))
    );
    for (name, claimed) in expected {
        let migration = migration(&report, name);
        assert_eq!(migration["claimed"], claimed, "{name}");
        for step in ["forward", "undo", "reapply"] {
            assert_eq!(phase(migration, step)["status"], "passed", "{name}: {step}");
        }
    }
    assert_eq!(report["report"]["final_check"]["passed"], true);
}

/// Over seeded rows, the exact undo of the UNIQUE `USING INDEX` constraints (drop them,
/// rebuild their indexes) keeps every row and value.
#[test]
fn a_unique_using_index_undo_keeps_every_seeded_row() {
    const UNIQUE: &str = "20260304090000_t_unique_keys";
    let report = drill(&[
        "tests/drills/using_index/migrations",
        "--from",
        UNIQUE,
        "--to",
        UNIQUE,
        "--seed-rows",
        "20",
        "--format",
        "json",
    ])
    .passed_json();
    let unique = migration(&report, UNIQUE);
    assert_eq!(unique["claimed"], "exact");
    assert_eq!(unique["result"], "passed");
    let data = data_of(unique);
    assert_eq!(
        data["seeded"],
        serde_json::json!([{"table": "\"t\"", "rows": 20}, {"table": "\"u\"", "rows": 20}])
    );
    assert_eq!(array(&data["unannounced"]).len(), 0, "{data}");
    assert_eq!(array(&data["announced"]).len(), 0, "{data}");
}

// ---------------------------------------------------------------------------------------------
// Scope

#[test]
fn last_1_drills_only_the_last_migration_after_applying_the_others() {
    let report = drill(&[DEMO_MIGRATIONS, "--last", "1", "--format", "json"]).passed_json();
    let names: Vec<String> = results(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["20260216094500_add_post_status_published_at_index"]);
    assert_eq!(report["report"]["prefix"]["migrations"], 6);
    assert_eq!(report["report"]["final_check"]["passed"], true);
}

#[test]
fn from_and_to_drill_the_migrations_between_them_both_included() {
    let report = drill(&[
        DEMO_MIGRATIONS,
        "--from",
        "20260112",
        "--to",
        "20260126160000_add_moderator_role",
        "--format",
        "json",
    ])
    .passed_json();
    let names: Vec<String> = results(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "20260112141500_add_comments",
            "20260119101000_add_post_status",
            "20260126160000_add_moderator_role"
        ]
    );
    assert_eq!(report["report"]["prefix"]["migrations"], 1);
    assert_eq!(report["report"]["final_check"]["passed"], true);
}

// ---------------------------------------------------------------------------------------------
// Checks

#[test]
fn a_check_expected_to_fail_that_succeeds_fails_the_drill() {
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("migrations"),
        &[
            ("20260301090000_init", USER_TABLE),
            (
                "20260302090000_add_user_age",
                r#"ALTER TABLE "User" ADD COLUMN "age" INTEGER NOT NULL DEFAULT 0;"#,
            ),
        ],
    );
    let script = sandbox.project().join("drill.toml");
    fs::write(
        &script,
        r#"migrations = "migrations"

[[check]]
name = "age is gone after the undo"
sql = 'SELECT "age" FROM "User"'
after = ["undo"]
migration = "20260302090000"
expect = "fail"

[[check]]
name = "email is gone after the undo"
sql = 'SELECT "email" FROM "User"'
after = ["undo"]
migration = "20260302090000"
expect = "fail"
"#,
    )
    .unwrap();

    let report = sandbox
        .drill(&[arg(&script), "--format", "json"])
        .failed_json();
    let migration = migration(&report, ADD_USER_AGE);
    assert_eq!(migration["result"], "failed");
    for p in array(&migration["phases"]) {
        assert_ne!(p["status"], "mismatch", "only the check fails: {p}");
    }
    let checks = array(&migration["checks"]);
    assert_eq!(checks.len(), 2, "{migration}");
    let check = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("check {name:?} did not run: {migration}"))
    };
    let right = check("age is gone after the undo");
    assert_eq!(right["passed"], true, "{right}");
    assert!(text(&right["detail"]).contains("42703"), "{right}");
    let wrong = check("email is gone after the undo");
    assert_eq!(wrong["passed"], false, "{wrong}");
    assert_eq!(wrong["after"], "undo");
    assert_eq!(wrong["expect"], "fail");
    assert!(
        text(&wrong["detail"]).contains("succeeded, but it must fail"),
        "{wrong}"
    );
    assert_eq!(
        migration_result(&report, "20260301090000_init"),
        "passed",
        "a check pinned to one migration runs at that one only"
    );
}

/// Data statements are lossy, and the drill proves what their undo does to the rows: the
/// seeded rows are gone after the undo and back after the re-apply, while the UPDATE's and
/// the DELETE's undo change nothing.
#[test]
fn keyed_seed_rows_are_deleted_by_the_undo_and_updates_and_deletes_are_lossy() {
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("migrations"),
        &[
            ("20260301090000_init", USER_TABLE),
            (
                "20260302090000_seed_users",
                r#"INSERT INTO "User" ("id", "email") VALUES ('admin', 'Admin@Example.com'), ('bot', 'bot@example.com');"#,
            ),
            (
                "20260303090000_lowercase_emails",
                r#"UPDATE "User" SET "email" = lower("email");
DELETE FROM "User" WHERE "id" = 'bot';"#,
            ),
        ],
    );
    let script = sandbox.project().join("drill.toml");
    fs::write(
        &script,
        r#"migrations = "migrations"

[[check]]
name = "both seeded users exist"
sql = 'SELECT 1 / (count(*) = 2)::int FROM "User"'
after = ["forward", "reapply"]
migration = "20260302090000"

[[check]]
name = "the undo deleted the seeded users"
sql = 'SELECT 1 / (count(*) = 0)::int FROM "User"'
after = ["undo"]
migration = "20260302090000"

[[check]]
name = "the undo keeps the updated email"
sql = "SELECT 1 / (count(*) = 1)::int FROM \"User\" WHERE \"email\" = 'admin@example.com'"
after = ["undo"]
migration = "20260303090000"

[[check]]
name = "the undo does not bring the deleted user back"
sql = "SELECT 1 / (count(*) = 0)::int FROM \"User\" WHERE \"id\" = 'bot'"
after = ["undo"]
migration = "20260303090000"
"#,
    )
    .unwrap();

    let report = sandbox
        .drill(&[arg(&script), "--format", "json"])
        .passed_json();
    for name in [
        "20260302090000_seed_users",
        "20260303090000_lowercase_emails",
    ] {
        let m = migration(&report, name);
        assert_eq!(m["claimed"], "lossy", "{m}");
        assert_eq!(m["result"], "passed", "{m}");
        let checks = array(&m["checks"]);
        assert!(!checks.is_empty(), "{m}");
        assert!(checks.iter().all(|c| c["passed"] == true), "{m}");
    }
    let seed = migration(&report, "20260302090000_seed_users");
    assert!(
        array(&seed["reasons"])
            .iter()
            .any(|r| text(r).contains("deletes the 2 rows this INSERT added")),
        "{seed}"
    );
}

// ---------------------------------------------------------------------------------------------
// Statement trace

/// Tables with a row each, so constraint checks and rewrites have something to read.
const TRACED_TABLES: &str = r#"CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT, "age" INTEGER);
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT);
INSERT INTO "User" VALUES ('u1', 'a@example.com', 30);
INSERT INTO "Post" VALUES ('p1', 'u1');
"#;

/// One statement of each kind whose lock level PostgreSQL documents, in split mode so each
/// runs in a transaction of its own and no earlier statement's lock hides its own.
const TRACED_STATEMENTS: &str = r#"ALTER TABLE "User" ALTER COLUMN "age" TYPE BIGINT;
ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;
CREATE INDEX "User_age_idx" ON "User"("age");
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;
ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey";
"#;

/// The strongest lock per existing table of one traced statement, from the JSON report.
fn strongest_locks(trace: &Value) -> Vec<(String, String)> {
    let rank = |m: &str| {
        unmigrate::drill::apply::LOCK_MODES
            .iter()
            .position(|x| *x == m)
            .expect("a table lock mode")
    };
    let mut strongest: std::collections::BTreeMap<String, String> = Default::default();
    let tables = array(&trace["locks"])
        .iter()
        .filter(|l| l["created"] == false && l["kind"] == "table");
    for lock in tables {
        let (relation, mode) = (text(&lock["relation"]), text(&lock["mode"]));
        let entry = strongest.entry(relation.into()).or_insert(mode.into());
        if rank(mode) > rank(entry) {
            *entry = mode.into();
        }
    }
    strongest.into_iter().collect()
}

fn traced_forward(report: &Value, name: &str) -> Vec<Value> {
    array(&phase(migration(report, name), "forward")["statements"]).clone()
}

#[test]
fn the_trace_reports_documented_locks_rewrites_and_scans_per_statement() {
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("migrations"),
        &[
            ("20260301090000_init", TRACED_TABLES),
            ("20260302090000_alter", TRACED_STATEMENTS),
        ],
    );
    let history = sandbox.project().join("migrations");
    let report = sandbox
        .drill(&[
            arg(&history),
            "--apply-mode",
            "split",
            "--trace",
            "--format",
            "json",
        ])
        .passed_json();
    let traces = traced_forward(&report, "20260302090000_alter");
    assert_eq!(traces.len(), 5, "{traces:?}");
    let pair = |relation: &str, mode: &str| (format!("\"{relation}\""), mode.to_string());
    // ALTER COLUMN TYPE: ACCESS EXCLUSIVE, and the table and its indexes get new files.
    assert_eq!(
        strongest_locks(&traces[0]),
        [pair("User", "AccessExclusiveLock")]
    );
    let rewrote: Vec<&str> = array(&traces[0]["rewrote"]).iter().map(text).collect();
    assert!(rewrote.contains(&"\"User\""), "{rewrote:?}");
    assert!(rewrote.contains(&"\"User_pkey\""), "{rewrote:?}");
    // SET NOT NULL: ACCESS EXCLUSIVE, and a full scan to check the rows, but no rewrite.
    assert_eq!(
        strongest_locks(&traces[1]),
        [pair("User", "AccessExclusiveLock")]
    );
    assert_eq!(traces[1]["scanned"], serde_json::json!(["\"User\""]));
    assert_eq!(traces[1]["rewrote"], serde_json::json!([]));
    // CREATE INDEX: SHARE on the table (writes wait, reads go on), and a scan.
    assert_eq!(strongest_locks(&traces[2]), [pair("User", "ShareLock")]);
    assert_eq!(traces[2]["scanned"], serde_json::json!(["\"User\""]));
    // ADD FOREIGN KEY … NOT VALID: SHARE ROW EXCLUSIVE on both tables, no scan.
    assert_eq!(
        strongest_locks(&traces[3]),
        [
            pair("Post", "ShareRowExclusiveLock"),
            pair("User", "ShareRowExclusiveLock")
        ]
    );
    assert_eq!(traces[3]["scanned"], serde_json::json!([]));
    // VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE on the table, ROW SHARE on the referenced one.
    assert_eq!(
        strongest_locks(&traces[4]),
        [
            pair("Post", "ShareUpdateExclusiveLock"),
            pair("User", "RowShareLock")
        ]
    );
    // (The check query joins the referenced table too; at one row the planner scans it.)
    let scanned: Vec<&str> = array(&traces[4]["scanned"]).iter().map(text).collect();
    assert!(scanned.contains(&"\"Post\""), "{scanned:?}");
    for trace in &traces {
        assert_eq!(trace["in_transaction"], true, "{trace}");
        assert_eq!(trace["failed"], false, "{trace}");
        assert!(trace["duration"].as_f64().is_some(), "{trace}");
    }
}

/// The blocking probe: a rewrite of a big table makes another session's read and write wait
/// about as long as the rewrite takes; `CREATE INDEX CONCURRENTLY` lets writes through.
#[test]
fn the_probe_measures_how_long_reads_and_writes_wait_on_the_table() {
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("migrations"),
        &[
            (
                "20260301090000_init",
                r#"CREATE TABLE "Big" ("id" INTEGER PRIMARY KEY, "n" INTEGER, "v" TEXT);
INSERT INTO "Big" SELECT g, g, md5(g::text) FROM generate_series(1, 300000) g;"#,
            ),
            (
                "20260302090000_widen",
                r#"ALTER TABLE "Big" ALTER COLUMN "n" TYPE BIGINT;"#,
            ),
            (
                "20260303090000_index",
                r#"CREATE INDEX CONCURRENTLY "Big_v_idx" ON "Big"("v");"#,
            ),
        ],
    );
    let history = sandbox.project().join("migrations");
    let report = sandbox
        .drill(&[arg(&history), "--probe", "--format", "json"])
        .passed_json();
    let ms = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));

    let widen = &traced_forward(&report, "20260302090000_widen")[0];
    assert_eq!(widen["rewrote"][0], "\"Big\"", "{widen}");
    let probe = &widen["probe"];
    assert_eq!(probe["table"], "\"Big\"", "{widen}");
    let took = ms(&widen["duration"]);
    assert!(
        took > 50.0,
        "the rewrite of 300k rows took only {took} ms: {widen}"
    );
    for kind in ["read", "write"] {
        let waited = ms(&probe[kind]["waited"]);
        assert!(
            waited > took / 2.0,
            "a {kind} waited {waited} ms on a {took} ms rewrite under ACCESS EXCLUSIVE: {widen}"
        );
        assert_eq!(probe[kind]["error"], Value::Null, "{widen}");
    }

    let index = &traced_forward(&report, "20260303090000_index")[0];
    assert_eq!(index["in_transaction"], false, "{index}");
    let took = ms(&index["duration"]);
    let write_waited = ms(&index["probe"]["write"]["waited"]);
    assert!(
        write_waited < took / 2.0,
        "CONCURRENTLY must let writes through, yet a write waited {write_waited} of {took} ms: {index}"
    );
}

#[test]
fn in_batch_mode_a_lock_is_reported_once_where_the_file_first_takes_it() {
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("migrations"),
        &[
            ("20260301090000_init", TRACED_TABLES),
            ("20260302090000_alter", TRACED_STATEMENTS),
        ],
    );
    let history = sandbox.project().join("migrations");
    let report = sandbox
        .drill(&[arg(&history), "--trace", "--format", "json"])
        .passed_json();
    let traces = traced_forward(&report, "20260302090000_alter");
    assert_eq!(
        strongest_locks(&traces[0]),
        [("\"User\"".to_string(), "AccessExclusiveLock".to_string())]
    );
    // The file's transaction holds ACCESS EXCLUSIVE on "User" until it commits: later
    // statements on "User" take nothing new there.
    for trace in &traces[1..3] {
        assert!(strongest_locks(trace).is_empty(), "{trace}");
    }
}

#[test]
fn a_concurrent_index_runs_outside_a_transaction_and_a_failing_statement_is_marked() {
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("migrations"),
        &[
            ("20260301090000_init", TRACED_TABLES),
            (
                "20260302090000_index",
                r#"CREATE INDEX CONCURRENTLY "User_email_idx" ON "User"("email");"#,
            ),
            (
                "20260303090000_broken",
                r#"ALTER TABLE "User" ADD COLUMN "nick" TEXT;
ALTER TABLE "User" ALTER COLUMN "missing" SET NOT NULL;"#,
            ),
        ],
    );
    let history = sandbox.project().join("migrations");
    let report = sandbox
        .drill(&[arg(&history), "--trace", "--format", "json"])
        .failed_json();
    let index = traced_forward(&report, "20260302090000_index");
    assert_eq!(index.len(), 1);
    assert_eq!(index[0]["in_transaction"], false, "{index:?}");
    let broken = migration(&report, "20260303090000_broken");
    let forward = phase(broken, "forward");
    assert_eq!(forward["status"], "error", "{forward}");
    assert_eq!(forward["code"], "42703", "{forward}");
    assert_eq!(forward["line"], 2, "{forward}");
    let traces = array(&forward["statements"]);
    assert_eq!(traces.len(), 2, "{traces:?}");
    assert_eq!(traces[0]["failed"], false);
    assert_eq!(traces[1]["failed"], true);
}

// ---------------------------------------------------------------------------------------------
// Seeded data

const SEEDED_USERS: &str = r#"CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "nickname" TEXT,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
"#;

/// The `data` section of a migration in a seeded drill's JSON report.
fn data_of(migration: &Value) -> &Value {
    let data = &migration["data"];
    assert!(data.is_object(), "no data section: {migration}");
    data
}

#[test]
fn a_drop_column_undo_loses_exactly_the_column_it_announced() {
    const DROP: &str = "20260302090000_drop_user_nickname";
    let report = drill(&[
        "tests/drills/drop_column/migrations",
        "--seed-rows",
        "30",
        "--format",
        "json",
    ])
    .passed_json();
    let dropped = migration(&report, DROP);
    assert_eq!(dropped["result"], "passed_column_order_only", "{dropped}");
    let data = data_of(dropped);
    assert_eq!(array(&data["unannounced"]).len(), 0, "{data}");
    let announced = array(&data["announced"]);
    assert_eq!(announced.len(), 1, "{data}");
    assert_eq!(announced[0]["after"], "undo");
    assert_eq!(announced[0]["table"], "\"User\"");
    assert_eq!(announced[0]["column"], "nickname");
    // Seeded once, before the first migration in scope, when "User" did not exist yet; the
    // drop's round of seeding then filled it.
    let init = data_of(migration(&report, "20260301090000_init"));
    assert_eq!(array(&init["seeded"]).len(), 0, "{init}");
    assert_eq!(
        data["seeded"],
        serde_json::json!([{"table": "\"User\"", "rows": 30}])
    );
}

#[test]
fn a_committed_undo_that_loses_rows_it_does_not_announce_fails_in_every_format() {
    let sandbox = Sandbox::new();
    let dir = sandbox.project().join("migrations");
    write_history(
        &dir,
        &[
            ("20260301090000_init", SEEDED_USERS),
            (
                "20260302090000_add_user_age",
                r#"ALTER TABLE "User" ADD COLUMN "age" INTEGER;"#,
            ),
            (
                "20260303090000_undo_add_user_age",
                "-- unmigrate: undo of 20260302090000_add_user_age\n\
                 -- Wrong on purpose: it deletes users as well as the column.\n\
                 DELETE FROM \"User\" WHERE \"id\" LIKE '%5';\n\
                 ALTER TABLE \"User\" DROP COLUMN \"age\";\n",
            ),
        ],
    );
    let args = |format: &'static str| [arg(&dir), "--seed-rows", "30", "--format", format];

    let report = sandbox.drill(&args("json")).failed_json();
    let added = migration(&report, "20260302090000_add_user_age");
    assert_eq!(added["result"], "failed", "{added}");
    // The schema came back exactly: only the data check fails it.
    assert_eq!(phase(added, "undo")["status"], "passed", "{added}");
    let unannounced = array(&data_of(added)["unannounced"]);
    assert!(
        unannounced.iter().any(|c| c["after"] == "undo"
            && c["column"].is_null()
            && c["change"] == "rows 30 → 27"),
        "{added}"
    );

    let human = sandbox.drill(&args("human"));
    assert_eq!(human.code, EXIT_FAILED, "{human}");
    assert!(
        human
            .stdout
            .contains("undo lost data it did not announce: \"User\": rows 30 → 27"),
        "{human}"
    );
    let junit = sandbox.drill(&args("junit"));
    assert!(
        junit_failures(&junit.stdout)
            .iter()
            .any(|(class, name, message)| {
                class == "20260302090000_add_user_age"
                    && name == "data survival"
                    && message.starts_with("undo lost data it did not announce")
            }),
        "{junit}"
    );
    let markdown = sandbox.drill(&args("markdown"));
    assert!(
        markdown
            .stdout
            .contains("**undo lost data it did not announce: \"User\": rows 30 → 27"),
        "{markdown}"
    );
}

#[test]
fn set_not_null_over_null_rows_fails_only_when_seeded() {
    let sandbox = Sandbox::new();
    let dir = sandbox.project().join("migrations");
    write_history(
        &dir,
        &[
            ("20260301090000_init", SEEDED_USERS),
            (
                "20260302090000_require_nickname",
                r#"ALTER TABLE "User" ALTER COLUMN "nickname" SET NOT NULL;"#,
            ),
        ],
    );
    let empty = sandbox
        .drill(&[arg(&dir), "--format", "json"])
        .passed_json();
    let required = migration(&empty, "20260302090000_require_nickname");
    assert_eq!(required["result"], "passed");
    assert!(required.get("data").is_none(), "{required}");

    let seeded = sandbox
        .drill(&[arg(&dir), "--seed-rows", "10", "--format", "json"])
        .failed_json();
    let required = migration(&seeded, "20260302090000_require_nickname");
    assert_eq!(required["result"], "failed");
    let forward = phase(required, "forward");
    assert_eq!(forward["status"], "error", "{forward}");
    assert_eq!(forward["code"], "23502", "{forward}");
    assert_eq!(data_of(required)["forward_failure"], "only_with_data");

    let human = sandbox.drill(&[arg(&dir), "--seed-rows", "10"]);
    assert!(
        human.stdout.contains("forward fails only with data"),
        "{human}"
    );
}

#[test]
fn a_unique_index_over_duplicates_fails_when_seeded() {
    let sandbox = Sandbox::new();
    let dir = sandbox.project().join("migrations");
    write_history(
        &dir,
        &[
            ("20260301090000_init", SEEDED_USERS),
            (
                "20260302090000_unique_nickname",
                r#"CREATE UNIQUE INDEX "User_nickname_key" ON "User"("nickname");"#,
            ),
        ],
    );
    let report = sandbox
        .drill(&[arg(&dir), "--seed-rows", "10", "--format", "json"])
        .failed_json();
    let unique = migration(&report, "20260302090000_unique_nickname");
    assert_eq!(phase(unique, "forward")["code"], "23505", "{unique}");
    assert_eq!(data_of(unique)["forward_failure"], "only_with_data");
}

/// Parents are seeded before children, a NOT NULL foreign key points at existing rows, a
/// nullable self-reference is NULL, a CHECK the values miss is retried with NULL, and a CHECK
/// no generated value meets leaves its table empty with PostgreSQL's error in the report.
#[test]
fn seeding_follows_foreign_keys_and_reports_tables_it_cannot_fill() {
    let sandbox = Sandbox::new();
    let dir = sandbox.project().join("migrations");
    write_history(
        &dir,
        &[
            (
                "20260301090000_init",
                r#"CREATE TYPE "Mood" AS ENUM ('HAPPY', 'SAD');
CREATE TABLE "Post" (
    "id" SERIAL PRIMARY KEY,
    "authorId" TEXT NOT NULL,
    "parentId" INTEGER REFERENCES "Post" ("id"),
    "rating" INTEGER CHECK ("rating" BETWEEN 1 AND 5),
    "mood" "Mood" NOT NULL,
    "tags" TEXT[],
    "meta" JSONB,
    "price" DECIMAL(6, 2) NOT NULL,
    "slug" VARCHAR(8) NOT NULL UNIQUE,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "key" UUID NOT NULL
);
CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "active" BOOLEAN NOT NULL,
    "born" DATE
);
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");
CREATE TABLE "Code" ("code" TEXT NOT NULL CHECK ("code" = 'X'));
"#,
            ),
            (
                "20260302090000_index_posts",
                r#"CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");"#,
            ),
        ],
    );
    let script = sandbox.project().join("drill.toml");
    fs::write(
        &script,
        r#"migrations = "migrations"
seed = { rows = 40 }

[[check]]
name = "every post has an author"
sql = 'SELECT 1 / (count(*) = 40)::int FROM "Post" p JOIN "User" u ON u."id" = p."authorId"'
migration = "20260302090000"

[[check]]
name = "self-references are NULL"
sql = 'SELECT 1 / (count(*) = 0)::int FROM "Post" WHERE "parentId" IS NOT NULL'
migration = "20260302090000"
"#,
    )
    .unwrap();
    let report = sandbox
        .drill(&[arg(&script), "--last", "1", "--format", "json"])
        .passed_json();
    let indexed = migration(&report, "20260302090000_index_posts");
    assert!(
        array(&indexed["checks"])
            .iter()
            .all(|c| c["passed"] == true),
        "{indexed}"
    );
    let data = data_of(indexed);
    let seeded: Vec<&str> = array(&data["seeded"])
        .iter()
        .map(|s| text(&s["table"]))
        .collect();
    assert_eq!(seeded, ["\"User\"", "\"Post\""], "parents first: {data}");
    let not_seeded = array(&data["not_seeded"]);
    assert_eq!(not_seeded.len(), 1, "{data}");
    assert_eq!(not_seeded[0]["table"], "\"Code\"");
    assert_eq!(not_seeded[0]["code"], "23514");
}

// ---------------------------------------------------------------------------------------------
// Snapshot modes

#[test]
fn incremental_and_full_snapshots_give_the_same_results() {
    let incremental =
        drill(&[DEMO_SCRIPT, "--snapshot", "incremental", "--format", "json"]).passed_json();
    let full = drill(&[DEMO_SCRIPT, "--snapshot", "full", "--format", "json"]).passed_json();
    assert_eq!(incremental["report"]["tracking"], "incremental");
    assert_eq!(full["report"]["tracking"], "full");
    assert_eq!(outcomes(&incremental), outcomes(&full));
    assert_eq!(outcomes(&full).len(), 7);
    assert_eq!(incremental["counts"], full["counts"]);
    assert_eq!(full["report"]["final_check"]["passed"], true);
}

/// Everything a drill decided about each migration, without timings.
fn outcomes(report: &Value) -> Vec<Value> {
    migrations(report)
        .iter()
        .map(|m| {
            let phases: Vec<Value> = array(&m["phases"])
                .iter()
                .map(|p| serde_json::json!([p["phase"], p["status"], p["diff"]]))
                .collect();
            let checks: Vec<Value> = array(&m["checks"])
                .iter()
                .map(|c| serde_json::json!([c["name"], c["after"], c["passed"]]))
                .collect();
            serde_json::json!({
                "name": m["name"],
                "result": m["result"],
                "phases": phases,
                "checks": checks,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Several databases at once

/// Sixty migrations, each adding a table with a foreign key to the one before; migration 50
/// adds a column, and its committed undo drops that column but adds another, so its undo and
/// its re-apply both differ and the drill goes on. Cut into two ranges, the drill must find
/// exactly what one database finds.
#[test]
fn a_drill_in_two_databases_at_once_finds_what_one_database_finds() {
    let sandbox = Sandbox::new();
    let history = sandbox.project().join("migrations");
    let undo_dir = sandbox.project().join("undos");
    let folder = |i: usize| format!("202601{:02}{:02}0000_step_{i}", 1 + i / 24, i % 24);
    let mut migrations = Vec::new();
    for i in 0..60 {
        let sql = match i {
            0 => "CREATE TABLE \"t0\" (id int PRIMARY KEY);".to_string(),
            50 => "ALTER TABLE \"t49\" ADD COLUMN extra int;".to_string(),
            _ => {
                let previous = if i == 51 { 49 } else { i - 1 };
                format!(
                    "CREATE TABLE \"t{i}\" (id int PRIMARY KEY, prev int REFERENCES \"t{previous}\"(id));\n\
                     CREATE INDEX \"t{i}_prev_idx\" ON \"t{i}\" (prev);"
                )
            }
        };
        migrations.push((folder(i), sql));
    }
    let borrowed: Vec<(&str, &str)> = migrations
        .iter()
        .map(|(f, s)| (f.as_str(), s.as_str()))
        .collect();
    write_history(&history, &borrowed);
    write_history(
        &undo_dir,
        &[(
            "20260301000000_undo_step_50",
            &format!("-- unmigrate: undo of {}\nALTER TABLE \"t49\" DROP COLUMN extra;\nALTER TABLE \"t49\" ADD COLUMN junk int;", folder(50)),
        )],
    );
    let history = history.to_str().unwrap();
    let undo_dir = undo_dir.to_str().unwrap();
    let args = |jobs: &'static str| {
        [
            history,
            "--undo-dir",
            undo_dir,
            "--jobs",
            jobs,
            "--format",
            "json",
        ]
    };
    let one = sandbox.drill(&args("1")).failed_json();
    let two = sandbox.drill(&args("2")).failed_json();

    assert_eq!(outcomes(&one).len(), 60);
    assert_eq!(outcomes(&two), outcomes(&one));
    assert_eq!(two["counts"], one["counts"]);
    assert_eq!(one["counts"]["failed"], 1, "{}", one["counts"]);
    let failed = migration(&two, &folder(50));
    assert_eq!(failed["result"], "failed");
    assert_eq!(phase(failed, "undo")["status"], "mismatch");
    assert_eq!(phase(failed, "reapply")["status"], "mismatch");
    assert_eq!(two["report"]["final_check"]["passed"], true);
    assert!(
        text(&two["report"]["database"]).ends_with(", 2 databases at once"),
        "{}",
        two["report"]["database"]
    );
    assert!(
        !text(&one["report"]["database"]).contains("at once"),
        "{}",
        one["report"]["database"]
    );
}

// ---------------------------------------------------------------------------------------------
// A server given by URL

#[test]
fn database_url_drills_in_a_database_of_its_own_and_leaves_the_others_untouched() {
    let server = ScratchServer::start_embedded(ScratchOptions {
        start_timeout: START_WAIT,
        ..ScratchOptions::default()
    })
    .unwrap_or_else(|e| panic!("the test's own PostgreSQL did not start: {e}"));
    let mut admin = server.connect("postgres").unwrap();
    admin.batch_execute("CREATE DATABASE keepme").unwrap();
    // Same table name as the demo's, so a drill that strayed into this database would show.
    let mut keep = server.connect("keepme").unwrap();
    keep.batch_execute(
        r#"CREATE TABLE "User" (id text PRIMARY KEY, email text NOT NULL);
           INSERT INTO "User" VALUES ('keep', 'keep@example.com');"#,
    )
    .unwrap();
    let databases_before = query_strings(&mut admin, "SELECT datname::text FROM pg_database");
    let keep_before = database_state(&mut keep);
    let postgres_before = database_state(&mut admin);

    let url = server.url();
    let report = drill(&[DEMO_SCRIPT, "--database-url", &url, "--format", "json"]).passed_json();
    let database = text(&report["report"]["database"]);
    assert!(
        database.starts_with(&format!("database {NAME_PREFIX}")),
        "{database}"
    );
    assert_eq!(
        report["report"]["startup"],
        Value::Null,
        "no embedded server"
    );
    assert_eq!(report["report"]["final_check"]["passed"], true);

    assert_eq!(database_state(&mut keep), keep_before);
    assert_eq!(
        query_strings(&mut keep, r#"SELECT id || ' ' || email FROM "User""#),
        ["keep keep@example.com"]
    );
    assert_eq!(database_state(&mut admin), postgres_before);
    assert_eq!(
        query_strings(&mut admin, "SELECT datname::text FROM pg_database"),
        databases_before
    );
    let leftovers = query_strings(
        &mut admin,
        &format!("SELECT datname::text FROM pg_database WHERE datname LIKE '{NAME_PREFIX}%'"),
    );
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The tables, columns and event triggers of a database, as text to compare.
fn database_state(client: &mut postgres::Client) -> Vec<String> {
    query_strings(
        client,
        "SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name
           FROM information_schema.columns
          WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
         UNION ALL
         SELECT 'event trigger ' || evtname FROM pg_event_trigger
         ORDER BY 1",
    )
}

// ---------------------------------------------------------------------------------------------
// Cleanup after an error and after SIGTERM

const USER_TABLE: &str = r#"CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
"#;

#[test]
fn a_syntax_error_in_a_forward_migration_exits_2_naming_file_line_and_column() {
    let sandbox = Sandbox::new();
    let history = sandbox.project().join("migrations");
    write_history(
        &history,
        &[
            ("20260301090000_init", USER_TABLE),
            (
                "20260302090000_add_tag",
                "-- CreateTable\n\nCREATE TABEL \"Tag\" (\"id\" TEXT NOT NULL);\n",
            ),
        ],
    );
    let run = sandbox.drill(&[arg(&history), "--format", "json"]);
    assert_eq!(run.code, EXIT_ERROR, "{run}");
    let location = history.join("20260302090000_add_tag/migration.sql:3:8");
    assert!(
        run.stderr.contains(&format!(
            "{}: syntax error at or near \"TABEL\"",
            location.display()
        )),
        "{run}"
    );
    assert!(
        run.stdout.is_empty(),
        "no report after an input error:\n{run}"
    );
}

#[test]
fn an_error_after_the_server_started_exits_2_and_removes_the_server() {
    // PostgreSQL itself rejects the setting, so the embedded server is up when it fails.
    let run = drill(&[
        "tests/drills/drop_column/migrations",
        "--statement-timeout",
        "banana",
    ]);
    assert_eq!(run.code, EXIT_ERROR, "{run}");
    assert!(run.stderr.contains("invalid statement_timeout"), "{run}");
    assert!(
        run.stderr
            .contains("invalid value for parameter \"statement_timeout\""),
        "PostgreSQL itself must have rejected it: {run}"
    );
    // `drill` has checked that no postgres serves from its TMPDIR and the TMPDIR is empty.
}

#[test]
fn sigterm_during_a_migration_stops_the_server_and_removes_its_dir() {
    let sandbox = Sandbox::new();
    let history = sandbox.project().join("migrations");
    write_history(
        &history,
        &[
            ("20260301090000_init", USER_TABLE),
            ("20260302090000_slow", "SELECT pg_sleep(30);\n"),
        ],
    );
    let mut running = sandbox.spawn(&["drill", arg(&history), "--format", "json"]);
    let unmigrate = running.child.id();

    let postmaster = wait_for("the drill's postgres server", START_WAIT, || {
        children(unmigrate)
            .into_iter()
            .find(|(_, comm)| comm == "postgres")
            .map(|(pid, _)| pid)
    });
    let server = ServerArgs::of(postmaster);
    assert!(
        server.data_dir.starts_with(sandbox.tmp()),
        "{} is not in the run's TMPDIR {}",
        server.data_dir.display(),
        sandbox.tmp().display()
    );
    wait_for("the drill to run pg_sleep", START_WAIT, || {
        server.sessions_running("pg_sleep").then_some(())
    });

    running.signal(libc::SIGTERM);
    let code = running.wait(CLEANUP_WAIT);
    let stderr = fs::read_to_string(sandbox.stderr_path()).unwrap_or_default();
    assert_eq!(code, Some(EXIT_SIGTERM), "stderr:\n{stderr}");
    wait_until("postgres to stop", CLEANUP_WAIT, || {
        process_gone(postmaster)
    });
    assert!(
        !server.data_dir.exists(),
        "the data dir {} is still there",
        server.data_dir.display()
    );
    sandbox.assert_nothing_left();
}

/// What a postmaster's command line says about where it lives.
struct ServerArgs {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    port: u16,
}

impl ServerArgs {
    fn of(pid: u32) -> ServerArgs {
        let args = cmdline(pid);
        let after = |flag: &str| {
            let at = args.iter().position(|a| a == flag);
            at.and_then(|i| args.get(i + 1))
                .unwrap_or_else(|| panic!("no {flag} in the postgres command line {args:?}"))
                .clone()
        };
        ServerArgs {
            data_dir: PathBuf::from(after("-D")),
            socket_dir: PathBuf::from(after("-k")),
            port: after("-p").parse().unwrap(),
        }
    }

    /// Whether another session is running a statement containing `text`.
    fn sessions_running(&self, text: &str) -> bool {
        let connected = postgres::Config::new()
            .host_path(&self.socket_dir)
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(5))
            .connect(postgres::NoTls);
        let Ok(mut client) = connected else {
            return false;
        };
        let sql = "SELECT count(*) FROM pg_stat_activity \
                   WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, $1) > 0";
        client
            .query_one(sql, &[&text])
            .is_ok_and(|row| row.get::<_, i64>(0) > 0)
    }
}

// ---------------------------------------------------------------------------------------------
// Bad usage

#[test]
fn a_missing_migrations_dir_exits_2_and_says_which() {
    let sandbox = Sandbox::new();
    let missing = sandbox.project().join("prisma/migrations");
    let run = sandbox.drill(&[arg(&missing)]);
    assert_eq!(run.code, EXIT_ERROR, "{run}");
    assert!(
        run.stderr.contains(&format!(
            "migrations directory {} not found",
            missing.display()
        )),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn an_unknown_key_in_a_drill_script_exits_2_naming_file_and_line() {
    let sandbox = Sandbox::new();
    let script = sandbox.project().join("drill.toml");
    let history = manifest_dir().join(DEMO_MIGRATIONS);
    fs::write(
        &script,
        format!(
            "migrations = {:?}\n\n[scope]\nlast = 1\nlats = 2\n",
            history.display().to_string()
        ),
    )
    .unwrap();
    let run = sandbox.drill(&[arg(&script)]);
    assert_eq!(run.code, EXIT_ERROR, "{run}");
    assert!(
        run.stderr
            .contains(&format!("{}:5:1: unknown field `lats`", script.display())),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "{run}");
}

// ---------------------------------------------------------------------------------------------
// Running the binary

/// `unmigrate drill ARGS` in a sandbox of its own.
fn drill(args: &[&str]) -> Run {
    Sandbox::new().drill(args)
}

/// What drills add to the shared sandbox: every finished run must leave it empty.
impl Sandbox {
    fn stderr_path(&self) -> PathBuf {
        self.root.path().join("stderr.txt")
    }

    /// Runs `unmigrate drill ARGS` to the end and checks it left nothing behind.
    fn drill(&self, args: &[&str]) -> Run {
        let mut all = vec!["drill"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Runs `unmigrate ARGS` to the end and checks it left nothing behind.
    fn run(&self, args: &[&str]) -> Run {
        let run = self.output(args);
        self.assert_nothing_left();
        run
    }

    /// Starts `unmigrate ARGS` in the background, its output going to files.
    fn spawn(&self, args: &[&str]) -> Running {
        let stdout = fs::File::create(self.root.path().join("stdout.txt")).unwrap();
        let stderr = fs::File::create(self.stderr_path()).unwrap();
        let child = self
            .command(args)
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start the unmigrate binary");
        Running { child }
    }

    /// No postgres still serves from this sandbox's TMPDIR, and the TMPDIR is empty.
    fn assert_nothing_left(&self) {
        let tmp = self.tmp();
        wait_until("the run's postgres to stop", CLEANUP_WAIT, || {
            processes_mentioning(&tmp).is_empty()
        });
        let left: Vec<PathBuf> = fs::read_dir(&tmp)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
    }
}

impl Run {
    /// The JSON report of a drill that passed.
    fn passed_json(&self) -> Value {
        assert_eq!(self.code, EXIT_PASSED, "{self}");
        self.json()
    }

    /// The JSON report of a drill that failed.
    fn failed_json(&self) -> Value {
        assert_eq!(self.code, EXIT_FAILED, "{self}");
        let report = self.json();
        assert_eq!(report["passed"], false);
        report
    }
}

/// A binary still running; killed if the test fails before it ends.
struct Running {
    child: Child,
}

impl Running {
    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions.
        let result = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(result, 0, "cannot signal unmigrate");
    }

    /// The exit code once it exits (`None` if a signal killed it), within `timeout`.
    fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let status = wait_for("unmigrate to exit", timeout, || {
            self.child.try_wait().unwrap()
        });
        status.code()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Reading JSON reports

fn migrations(report: &Value) -> &Vec<Value> {
    array(&report["report"]["migrations"])
}

/// (name, result) of every migration in scope, in order.
fn results(report: &Value) -> Vec<(String, String)> {
    migrations(report)
        .iter()
        .map(|m| (text(&m["name"]).to_string(), text(&m["result"]).to_string()))
        .collect()
}

fn migration<'a>(report: &'a Value, name: &str) -> &'a Value {
    migrations(report)
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the report: {:?}", results(report)))
}

fn migration_result<'a>(report: &'a Value, name: &str) -> &'a str {
    text(&migration(report, name)["result"])
}

// ---------------------------------------------------------------------------------------------
// Processes, through /proc

/// Polls `probe` until it gives a value, or fails the test after `timeout`.
fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "still waiting after {timeout:?}: {what}"
        );
        sleep(POLL);
    }
}

/// Pids of live processes, with their `/proc/<pid>/stat` after the pid.
fn processes() -> Vec<(u32, String)> {
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, stat))
        })
        .collect()
}

/// (pid, command name) of the live children of `parent`.
fn children(parent: u32) -> Vec<(u32, String)> {
    processes()
        .into_iter()
        .filter_map(|(pid, stat)| {
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            let (head, rest) = stat.rsplit_once(") ")?;
            let comm = head.split_once(" (")?.1.to_string();
            let mut fields = rest.split_whitespace();
            let state = fields.next()?;
            let ppid: u32 = fields.next()?.parse().ok()?;
            (ppid == parent && state != "Z").then_some((pid, comm))
        })
        .collect()
}

fn cmdline(pid: u32) -> Vec<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|&b| b == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

/// Live processes with an argument under `dir`, such as a postmaster's `-D`.
fn processes_mentioning(dir: &Path) -> Vec<u32> {
    let dir = arg(dir);
    processes()
        .into_iter()
        .map(|(pid, _)| pid)
        .filter(|&pid| !process_gone(pid) && cmdline(pid).iter().any(|a| a.starts_with(dir)))
        .collect()
}
