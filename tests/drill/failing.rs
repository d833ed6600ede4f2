//! Drills that fail, and why: committed undos that are wrong or rejected, `CONCURRENTLY` in
//! batch mode, and drill-script checks.

use super::*;

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
    let report = failed_report(&[WRONG_UNDO]);
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

// ---------------------------------------------------------------------------------------------
// A committed undo that PostgreSQL rejects

#[test]
fn a_committed_undo_that_fails_to_apply_is_rolled_back_and_the_drill_goes_on() {
    let report = failed_report(&[
        "tests/drills/undo_fails/migrations",
        "--undo-dir",
        "tests/drills/undo_fails/undo",
    ]);

    let migration = migration(&report, ADD_USER_AGE);
    assert_eq!(migration["result"], "failed");
    assert_eq!(
        migration["undo_source"]["folders"],
        serde_json::json!(["20260303090000_undo_add_user_age"])
    );
    let undo = failed_phase(migration, "undo", "42703");
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
    let report = passed_report(&[HISTORY, "--apply-mode", "batch"]);
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
    let report = failed_report(&[CONCURRENTLY_IN_BATCH]);
    assert_eq!(report["report"]["apply_mode"], "batch");
    let migration = migration(&report, ADD_TAG);
    assert_eq!(migration["result"], "failed");
    let forward = failed_phase(migration, "forward", "25001");
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
    let report = passed_report(&[CONCURRENTLY_IN_BATCH, "--apply-mode", "split"]);
    assert_eq!(report["report"]["apply_mode"], "split");
    for (name, result) in results(&report) {
        assert_eq!(result, "passed", "{name}");
    }
    // The difference is still reported: it is about the migration, not this run.
    assert!(!array(&migration(&report, ADD_TAG)["mode_differences"]).is_empty());
    assert_eq!(report["report"]["final_check"]["passed"], true);
}
// ---------------------------------------------------------------------------------------------
// Checks

#[test]
fn a_check_expected_to_fail_that_succeeds_fails_the_drill() {
    let sandbox = Sandbox::new();
    sandbox.history(&[
        ("20260301090000_init", USER_TABLE),
        (
            "20260302090000_add_user_age",
            r#"ALTER TABLE "User" ADD COLUMN "age" INTEGER NOT NULL DEFAULT 0;"#,
        ),
    ]);
    let script = sandbox.script(
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
    );

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
    sandbox.history(&[
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
    ]);
    let script = sandbox.script(
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
    );

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
