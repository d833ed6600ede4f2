//! Drills of other tools' histories, end to end through the binary on the embedded
//! PostgreSQL: the undo `generate` writes where each tool keeps it is applied by that tool's
//! rules and restores the schema; hand-written downs get their verdicts (an empty one is
//! declared irreversible, a failing one fails and the drill goes on from a rebuilt database);
//! `--rollback-all` stops at the first failing down and says what it leaves.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use common::{arg, array, text, write_files, Sandbox};
use serde_json::Value;

const CREATE: &str = "CREATE TABLE t (id int PRIMARY KEY, a text);\n";
const ADD: &str = "ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX t_b ON t (b);\n";

/// The two migrations in each layout's files.
fn history(layout: &str) -> Vec<(String, String)> {
    let files: Vec<(&str, String)> = match layout {
        "diesel" => vec![
            ("2024-01-01-000000_create_t/up.sql", CREATE.into()),
            ("2024-01-02-000000_add_b/up.sql", ADD.into()),
        ],
        "golang-migrate" => vec![
            ("1_create_t.up.sql", CREATE.into()),
            ("2_add_b.up.sql", ADD.into()),
        ],
        "sqlx-reversible" => vec![
            ("20240101000000_create_t.up.sql", CREATE.into()),
            ("20240102000000_add_b.up.sql", ADD.into()),
        ],
        "sqlx-simple" => vec![
            ("20240101000000_create_t.sql", CREATE.into()),
            ("20240102000000_add_b.sql", ADD.into()),
        ],
        "dbmate" => vec![
            (
                "20240101000000_create_t.sql",
                format!("-- migrate:up\n{CREATE}\n-- migrate:down\n"),
            ),
            (
                "20240102000000_add_b.sql",
                format!("-- migrate:up\n{ADD}\n-- migrate:down\n"),
            ),
        ],
        "flyway" => vec![
            ("V1__create_t.sql", CREATE.into()),
            ("V2__add_b.sql", ADD.into()),
        ],
        other => panic!("no history for {other}"),
    };
    files.into_iter().map(|(p, t)| (p.to_string(), t)).collect()
}

fn write(dir: &std::path::Path, files: &[(String, String)]) {
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    write_files(dir, &borrowed);
}

/// A seeded drill (3 rows per table) of the generated undos of the history `files`, in a
/// sandbox of its own: its exit code and JSON report.
fn seeded_generated_drill(files: &[(&str, &str)]) -> (i32, Value) {
    let sandbox = Sandbox::new();
    let dir = sandbox.project().join("migrations");
    write_files(&dir, files);
    drill_json(
        &sandbox,
        &[arg(&dir), "--undo", "generated", "--seed-rows", "3"],
    )
}

fn drill_json(sandbox: &Sandbox, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["drill"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json", "--jobs", "1"]);
    let run = sandbox.output(&all);
    (run.code, run.json())
}

#[test]
fn the_undo_generate_writes_in_each_layout_is_applied_by_its_tool_and_restores_the_schema() {
    for layout in [
        "diesel",
        "golang-migrate",
        "sqlx-reversible",
        "sqlx-simple",
        "dbmate",
        "flyway",
    ] {
        let sandbox = Sandbox::new();
        let dir = sandbox.project().join("migrations");
        write(&dir, &history(layout));
        let generated = sandbox.output(&["generate", arg(&dir), "--all"]);
        assert_eq!(generated.code, 0, "{layout}: {generated}");

        let (code, json) = drill_json(&sandbox, &[arg(&dir)]);
        assert_eq!(code, 0, "{layout}: {json:#}");
        let report = &json["report"];
        assert_eq!(report["layout"], layout, "{layout}");
        let migrations = array(&report["migrations"]);
        assert_eq!(migrations.len(), 2, "{layout}: {json:#}");
        for m in migrations {
            assert_eq!(m["result"], "passed", "{layout}: {m:#}");
            // What generate wrote is what was drilled, as the tool runs it: the down file
            // (or section, or U file), or for sqlx's simple layout a new migration.
            let expected = if layout == "sqlx-simple" {
                "committed"
            } else {
                "down_sql"
            };
            assert_eq!(m["undo_source"]["kind"], expected, "{layout}: {m:#}");
            if expected == "down_sql" {
                assert_eq!(m["undo_source"]["by_unmigrate"], true, "{layout}: {m:#}");
            }
        }
    }
}

#[test]
fn hand_written_downs_get_verdicts_and_a_failing_one_does_not_end_the_drill() {
    let sandbox = Sandbox::new();
    let dir = sandbox.project().join("migrations");
    write_files(
        &dir,
        &[
            ("1_create_t.up.sql", CREATE),
            ("1_create_t.down.sql", "DROP TABLE t;\n"),
            ("2_add_b.up.sql", ADD),
            // Comments only: the team declares it irreversible.
            ("2_add_b.down.sql", "-- no way back\n"),
            ("3_add_c.up.sql", "ALTER TABLE t ADD COLUMN c int;\n"),
            // Fails half-way: its own BEGIN/COMMIT commit the first part.
            (
                "3_add_c.down.sql",
                "BEGIN;\nALTER TABLE t DROP COLUMN c;\nCOMMIT;\nSELECT 1/0;\n",
            ),
            ("4_add_d.up.sql", "ALTER TABLE t ADD COLUMN d int;\n"),
            // Leaves the column behind.
            ("4_add_d.down.sql", "SELECT 1;\n"),
            ("5_add_e.up.sql", "ALTER TABLE t ADD COLUMN e int;\n"),
            ("5_add_e.down.sql", "ALTER TABLE t DROP COLUMN e;\n"),
        ],
    );
    let (code, json) = drill_json(&sandbox, &[arg(&dir)]);
    assert_eq!(code, 1, "{json:#}");
    let verdicts: Vec<(&str, &str)> = array(&json["report"]["migrations"])
        .iter()
        .map(|m| (text(&m["name"]), m["down_verdict"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("1_create_t", "restores_exactly"),
            ("2_add_b", "declared_irreversible"),
            ("3_add_c", "fails"),
            ("4_add_d", "leaves_differences"),
            ("5_add_e", "restores_exactly"),
        ],
        "{json:#}"
    );
    assert_eq!(json["counts"]["declared_irreversible"], 1, "{json:#}");
    // The half-applied down left no known state: the database was rebuilt from the history,
    // and the drill went on to the end.
    assert!(json["report"]["stopped"].is_null(), "{json:#}");
    // So does the down that left column d behind: the migration could not be applied again.
    let rebuilt: Vec<&str> = array(&json["report"]["rebuilt"])
        .iter()
        .map(|r| text(&r["after"]))
        .collect();
    assert_eq!(rebuilt, ["3_add_c", "4_add_d"], "{json:#}");
}

#[test]
fn rollback_all_stops_at_the_first_failing_down_and_shows_what_it_leaves() {
    let sandbox = Sandbox::new();
    let dir = sandbox.project().join("migrations");
    write_files(
        &dir,
        &[
            ("2024-01-01-000000_create_t/up.sql", CREATE),
            ("2024-01-01-000000_create_t/down.sql", "DROP TABLE t;\n"),
            (
                "2024-01-02-000000_add_b/up.sql",
                "ALTER TABLE t ADD COLUMN b int;\n",
            ),
            // Not paired with its own up: undoes a column the next migration adds.
            (
                "2024-01-02-000000_add_b/down.sql",
                "ALTER TABLE t DROP COLUMN c;\n",
            ),
            (
                "2024-01-03-000000_add_c/up.sql",
                "ALTER TABLE t ADD COLUMN c int;\n",
            ),
            (
                "2024-01-03-000000_add_c/down.sql",
                "ALTER TABLE t DROP COLUMN b;\n",
            ),
        ],
    );
    let (code, json) = drill_json(&sandbox, &[arg(&dir), "--rollback-all"]);
    assert_eq!(code, 1, "{json:#}");
    let report = &json["report"];
    assert_eq!(report["applied"], 3, "{json:#}");
    let steps: Vec<(&str, &str)> = array(&report["steps"])
        .iter()
        .map(|s| (text(&s["migration"]), text(&s["result"])))
        .collect();
    // Each down undoes the wrong migration: the chain still reaches the first one, whose
    // down finds the table it drops and restores the empty schema.
    assert_eq!(
        steps,
        [
            ("2024-01-03-000000_add_c", "leaves_differences"),
            ("2024-01-02-000000_add_b", "restores"),
            ("2024-01-01-000000_create_t", "restores"),
        ],
        "{json:#}"
    );
    assert!(report["left_at_end"].is_null(), "{json:#}");

    // A down that fails stops the chain there, with PostgreSQL's error and the state left.
    write_files(
        &dir,
        &[(
            "2024-01-02-000000_add_b/down.sql",
            "ALTER TABLE t DROP COLUMN missing;\n",
        )],
    );
    let (code, json) = drill_json(&sandbox, &[arg(&dir), "--rollback-all"]);
    assert_eq!(code, 1, "{json:#}");
    let steps = array(&json["report"]["steps"]);
    assert_eq!(steps.len(), 2, "{json:#}");
    assert_eq!(steps[1]["result"], "fails", "{json:#}");
    assert_eq!(steps[1]["failure"]["code"], "42703", "{json:#}");
    // After add_c's down dropped b, the database differs from the schema before add_b.
    assert!(!steps[1]["diff"].is_null(), "{json:#}");

    let run = sandbox.output(&["drill", arg(&dir), "--rollback-all"]);
    assert!(
        run.stdout
            .contains("Rollback stops at down 2 of 3, 2024-01-02-000000_add_b: it fails"),
        "{run}"
    );
}

/// A down that leaves something behind does not make every later down look wrong: each is
/// judged on what its own migration changed, and the end says what is left.
#[test]
fn rollback_all_judges_each_down_on_its_own_migration() {
    let sandbox = Sandbox::new();
    let dir = sandbox.project().join("migrations");
    write_files(
        &dir,
        &[
            ("1_create_t.up.sql", CREATE),
            ("1_create_t.down.sql", "DROP TABLE t;\n"),
            ("2_create_u.up.sql", "CREATE TABLE u (id int);\n"),
            // Leaves table u behind.
            ("2_create_u.down.sql", "SELECT 1;\n"),
            ("3_add_b.up.sql", "ALTER TABLE t ADD COLUMN b int;\n"),
            ("3_add_b.down.sql", "ALTER TABLE t DROP COLUMN b;\n"),
            ("4_create_v.up.sql", "CREATE TABLE v (id int);\n"),
            // Leaves table v behind.
            ("4_create_v.down.sql", "SELECT 1;\n"),
        ],
    );
    // Newest first: 4's leaves v; 3's undoes its column with v still there; 2's leaves u;
    // 1's drops t with u and v still there.
    let (code, json) = drill_json(&sandbox, &[arg(&dir), "--rollback-all"]);
    assert_eq!(code, 1, "{json:#}");
    let steps: Vec<(&str, &str)> = array(&json["report"]["steps"])
        .iter()
        .map(|s| (text(&s["migration"]), text(&s["result"])))
        .collect();
    assert_eq!(
        steps,
        [
            ("4_create_v", "leaves_differences"),
            ("3_add_b", "undoes_its_migration"),
            ("2_create_u", "leaves_differences"),
            ("1_create_t", "undoes_its_migration"),
        ],
        "{json:#}"
    );
    let left = serde_json::to_string(&json["report"]["left_at_end"]).unwrap();
    assert!(
        left.contains("table public.u") && left.contains("table public.v"),
        "{left}"
    );
}

/// The corpus README's oddities that only a drill shows: Flyway sends a lone `CREATE INDEX
/// CONCURRENTLY` outside a transaction (marquez V47); diesel wraps a down with one unless
/// `metadata.toml` says not to, so such a down can never succeed (crates.io); and a table
/// named like another tool's bookkeeping table is the user's, compared like any other
/// (crates.io drops an older tool's `schema_migrations`).
#[test]
fn each_tool_sends_files_its_own_way_and_only_its_own_table_is_left_out() {
    let sandbox = Sandbox::new();
    let flyway = sandbox.project().join("flyway");
    write_files(
        &flyway,
        &[
            ("V1__create_t.sql", CREATE),
            (
                "V2__index_a.sql",
                "CREATE INDEX CONCURRENTLY t_a ON t (a);\n",
            ),
        ],
    );
    let (code, json) = drill_json(&sandbox, &[arg(&flyway), "--undo", "generated"]);
    assert_eq!(code, 0, "{json:#}");

    let diesel = sandbox.project().join("diesel");
    write_files(
        &diesel,
        &[
            ("2024-01-01-000000_create_t/up.sql", CREATE),
            ("2024-01-01-000000_create_t/down.sql", "DROP TABLE t;\n"),
            // An older tool's table, made and kept by the history.
            (
                "2024-01-02-000000_old_tool/up.sql",
                "CREATE TABLE schema_migrations (version bigint PRIMARY KEY);\n",
            ),
            // Leaves it behind: the drill must see that.
            ("2024-01-02-000000_old_tool/down.sql", "SELECT 1;\n"),
            (
                "2024-01-03-000000_index_a/up.sql",
                "CREATE INDEX t_a ON t (a);\n",
            ),
            (
                "2024-01-03-000000_index_a/down.sql",
                "DROP INDEX CONCURRENTLY t_a;\n",
            ),
        ],
    );
    let (code, json) = drill_json(&sandbox, &[arg(&diesel)]);
    assert_eq!(code, 1, "{json:#}");
    let migrations = array(&json["report"]["migrations"]);
    assert_eq!(
        migrations[1]["down_verdict"], "leaves_differences",
        "{json:#}"
    );
    let diff = serde_json::to_string(&migrations[1]["phases"]).unwrap();
    assert!(diff.contains("schema_migrations"), "{json:#}");
    assert_eq!(migrations[2]["down_verdict"], "fails", "{json:#}");
    let undo = common::failed_phase(&migrations[2], "undo", "25001");
    assert!(undo.to_string().contains("transaction block"), "{undo:#}");

    // With metadata.toml's opt-out, diesel sends both files as they are, and the down works.
    write_files(
        &diesel,
        &[
            (
                "2024-01-02-000000_old_tool/down.sql",
                "DROP TABLE schema_migrations;\n",
            ),
            (
                "2024-01-03-000000_index_a/metadata.toml",
                "run_in_transaction = false\n",
            ),
        ],
    );
    let (code, json) = drill_json(&sandbox, &[arg(&diesel)]);
    assert_eq!(code, 0, "{json:#}");
}

/// A loss is announced with the names its statement saw and compared after the undo under
/// the names from before the migration: an `UPDATE` of a column the same migration renamed
/// (openmeter's `rename-custominvoicing-settings`) loses its values as announced, under the
/// column's old name, over seeded rows.
#[test]
fn a_loss_announced_after_a_rename_is_matched_under_the_old_name() {
    let (code, json) = seeded_generated_drill(&[
        (
            "1_create_t.up.sql",
            "CREATE TABLE t (id int PRIMARY KEY, skip_hook boolean NOT NULL DEFAULT false);\n",
        ),
        (
            "2_invert.up.sql",
            "ALTER TABLE t RENAME COLUMN skip_hook TO enable_hook;\n\
             UPDATE t SET enable_hook = NOT enable_hook;\n",
        ),
    ]);
    assert_eq!(code, 0, "{json:#}");
    let invert = &array(&json["report"]["migrations"])[1];
    assert_eq!(invert["result"], "passed", "{invert:#}");
    let announced = serde_json::to_string(&invert["data"]["announced"]).unwrap();
    assert!(announced.contains("skip_hook"), "{invert:#}");
    assert!(
        array(&invert["data"]["unannounced"]).is_empty(),
        "{invert:#}"
    );
}

/// A migration that sets the session's time zone (crates.io's `timezones`: `SET timezone =
/// 'UTC'`, the drill runs under America/St_Johns) changes how every `timestamptz` reads as
/// text, not the data: a seeded drill must not report it as data the migration changed.
#[test]
fn a_session_time_zone_set_by_a_migration_is_not_a_data_change() {
    let (code, json) = seeded_generated_drill(&[
        (
            "2024-01-01-000000_create_t/up.sql",
            "CREATE TABLE t (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), n int);\n",
        ),
        (
            "2024-01-02-000000_utc/up.sql",
            "SET timezone = 'UTC';\nALTER TABLE t ALTER n TYPE bigint;\n",
        ),
    ]);
    assert_eq!(code, 0, "{json:#}");
    let utc = &array(&json["report"]["migrations"])[1];
    assert!(array(&utc["data"]["unannounced"]).is_empty(), "{utc:#}");
}

/// The undo of `decode(col, 'escape')` to `bytea` encodes the bytes back the same way, so
/// the migration applies again over populated rows (crates.io's change_api_token_to_bytea: a
/// plain cast back gave hex text, `\x…`, which `decode(…, 'escape')` then rejected).
#[test]
fn a_decoded_column_comes_back_as_text_the_forward_decodes_again() {
    let (code, json) = seeded_generated_drill(&[
        (
            "2020-01-01-000000_create_t/up.sql",
            "CREATE TABLE api_tokens (id int PRIMARY KEY, token varchar NOT NULL);\n",
        ),
        (
            "2020-07-14-113112_token_bytea/up.sql",
            "ALTER TABLE api_tokens ALTER COLUMN token TYPE bytea USING decode(token, 'escape');\n",
        ),
    ]);
    assert_eq!(code, 0, "{json:#}");
    let bytea = &array(&json["report"]["migrations"])[1];
    assert_eq!(bytea["result"], "passed", "{bytea:#}");
    assert_eq!(bytea["claimed"], "lossy", "{bytea:#}");
}

/// The undo of a boolean mapped to an enum with `CASE WHEN col THEN 'a' ELSE 'b' END`
/// compares with `'a'`, so it applies over populated rows (docs.rs's
/// multi_stage_build_status: casting 'success' back to boolean failed on every row).
#[test]
fn a_boolean_mapped_to_an_enum_comes_back_by_its_true_value() {
    let (code, json) = seeded_generated_drill(&[
        (
            "20240101000000_create_builds.up.sql",
            "CREATE TABLE builds (id int PRIMARY KEY, build_status boolean NOT NULL);\n",
        ),
        (
            "20240221124844_multi_stage_build_status.up.sql",
            "CREATE TYPE build_status AS ENUM ('in_progress', 'success', 'failure');\n\
             ALTER TABLE builds ALTER build_status TYPE build_status USING CASE \
             WHEN build_status THEN 'success'::build_status ELSE 'failure'::build_status END;\n",
        ),
    ]);
    assert_eq!(code, 0, "{json:#}");
    let status = &array(&json["report"]["migrations"])[1];
    assert_eq!(status["result"], "passed", "{status:#}");
    assert_eq!(status["claimed"], "lossy", "{status:#}");
}
