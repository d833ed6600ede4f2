//! The statement trace and the blocking probe.

use super::*;

// ---------------------------------------------------------------------------------------------
// Statement trace

/// Tables with a row each, so constraint checks and rewrites have something to read.
const TRACED_TABLES: &str = include_str!("fixtures/traced_tables.sql");

/// One statement of each kind whose lock level PostgreSQL documents, in split mode so each
/// runs in a transaction of its own and no earlier statement's lock hides its own.
const TRACED_STATEMENTS: &str = include_str!("fixtures/traced_statements.sql");

/// The strongest lock per existing table of one traced statement, from the JSON report.
fn strongest_locks(trace: &Value) -> Vec<(String, String)> {
    let rank = |m: &str| unmigrate::locks::LockMode::from_pg_locks(m).expect("a table lock mode");
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

/// A lock as [`strongest_locks`] lists it: `relation` quoted, and its mode.
fn pair(relation: &str, mode: &str) -> (String, String) {
    (format!("\"{relation}\""), mode.to_string())
}

fn traced_forward(report: &Value, name: &str) -> Vec<Value> {
    array(&phase(migration(report, name), "forward")["statements"]).clone()
}

/// The traces of `TRACED_STATEMENTS`, drilled after `TRACED_TABLES` with `--trace` and `args`;
/// the drill must pass.
fn traced_statements(args: &[&str]) -> Vec<Value> {
    let sandbox = Sandbox::new();
    let history = sandbox.history(&[
        ("20260301090000_init", TRACED_TABLES),
        ("20260302090000_alter", TRACED_STATEMENTS),
    ]);
    let mut all = vec![arg(&history), "--trace", "--format", "json"];
    all.extend_from_slice(args);
    let report = sandbox.drill(&all).passed_json();
    traced_forward(&report, "20260302090000_alter")
}

#[test]
fn the_trace_reports_documented_locks_rewrites_and_scans_per_statement() {
    let traces = traced_statements(&["--apply-mode", "split"]);
    assert_eq!(traces.len(), 5, "{traces:?}");
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
        assert!(trace["duration_ms"].as_f64().is_some(), "{trace}");
    }
}

/// The blocking probe: a rewrite of a big table makes another session's read and write wait
/// about as long as the rewrite takes; `CREATE INDEX CONCURRENTLY` lets writes through.
#[test]
fn the_probe_measures_how_long_reads_and_writes_wait_on_the_table() {
    let sandbox = Sandbox::new();
    let history = sandbox.history(&[
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
    ]);
    let report = sandbox
        .drill(&[arg(&history), "--probe", "--format", "json"])
        .passed_json();
    let ms = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));

    let widen = &traced_forward(&report, "20260302090000_widen")[0];
    assert_eq!(widen["rewrote"][0], "\"Big\"", "{widen}");
    let probe = &widen["probe"];
    assert_eq!(probe["table"], "\"Big\"", "{widen}");
    let took = ms(&widen["duration_ms"]);
    assert!(
        took > 50.0,
        "the rewrite of 300k rows took only {took} ms: {widen}"
    );
    for kind in ["read", "write"] {
        let waited = ms(&probe[kind]["waited_ms"]);
        assert!(
            waited > took / 2.0,
            "a {kind} waited {waited} ms on a {took} ms rewrite under ACCESS EXCLUSIVE: {widen}"
        );
        assert_eq!(probe[kind]["error"], Value::Null, "{widen}");
    }

    let index = &traced_forward(&report, "20260303090000_index")[0];
    assert_eq!(index["in_transaction"], false, "{index}");
    let took = ms(&index["duration_ms"]);
    let write_waited = ms(&index["probe"]["write"]["waited_ms"]);
    assert!(
        write_waited < took / 2.0,
        "CONCURRENTLY must let writes through, yet a write waited {write_waited} of {took} ms: {index}"
    );
}

#[test]
fn in_batch_mode_a_lock_is_reported_once_where_the_file_first_takes_it() {
    let traces = traced_statements(&[]);
    assert_eq!(
        strongest_locks(&traces[0]),
        [pair("User", "AccessExclusiveLock")]
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
    let history = sandbox.history(&[
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
    ]);
    let report = sandbox
        .drill(&[arg(&history), "--trace", "--format", "json"])
        .failed_json();
    let index = traced_forward(&report, "20260302090000_index");
    assert_eq!(index.len(), 1);
    assert_eq!(index[0]["in_transaction"], false, "{index:?}");
    let broken = migration(&report, "20260303090000_broken");
    let forward = failed_phase(broken, "forward", "42703");
    assert_eq!(forward["line"], 2, "{forward}");
    let traces = array(&forward["statements"]);
    assert_eq!(traces.len(), 2, "{traces:?}");
    assert_eq!(traces[0]["failed"], false);
    assert_eq!(traces[1]["failed"], true);
}
