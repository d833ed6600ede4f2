//! Where and how a drill runs: snapshot modes, several databases at once, a server given by
//! URL.

use super::*;

// ---------------------------------------------------------------------------------------------
// Snapshot modes

#[test]
fn incremental_and_full_snapshots_give_the_same_results() {
    let incremental = passed_report(&[DEMO_SCRIPT, "--snapshot", "incremental"]);
    let full = passed_report(&[DEMO_SCRIPT, "--snapshot", "full"]);
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
    let history = sandbox.history(&borrowed);
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
    let report = passed_report(&[DEMO_SCRIPT, "--database-url", &url]);
    let database = text(&report["report"]["database"]);
    assert!(
        database.starts_with(&format!("database {NAME_PREFIX}")),
        "{database}"
    );
    assert_eq!(
        report["report"]["startup_ms"],
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
