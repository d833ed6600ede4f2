//! Drills that pass: the demo, results with a remark, constraints that take over an index,
//! and the scope flags.

use super::*;

// ---------------------------------------------------------------------------------------------
// A passing drill

#[test]
fn demo_drill_passes_every_migration_and_runs_every_check_of_its_script() {
    let report = passed_report(&[DEMO_SCRIPT]);

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
// Results that pass with a remark

#[test]
fn a_data_migration_is_manual_and_the_drill_goes_on_and_passes() {
    let report = passed_report(&["tests/drills/manual_data/migrations"]);
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
    let report = passed_report(&["tests/drills/drop_column/migrations"]);
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
    let report = passed_report(&["tests/drills/using_index/migrations"]);
    let expected = [
        ("20260301090000_init", "lossy"),
        ("20260302090000_t_primary_key", "exact"),
        ("20260303090000_u_primary_key", "exact"),
        ("20260304090000_t_unique_keys", "exact"),
        ("20260305090000_drop_t_unique_key", "lossy"),
        ("20260306090000_drop_tables", "lossy"),
    ];
    for (name, migration) in passed_as_claimed(&report, &expected) {
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
    let report = passed_report(&[
        "tests/drills/using_index/migrations",
        "--from",
        UNIQUE,
        "--to",
        UNIQUE,
        "--seed-rows",
        "20",
    ]);
    let unique = migration(&report, UNIQUE);
    assert_eq!(unique["claimed"], "exact");
    assert_eq!(unique["result"], "passed");
    let data = data_of(unique);
    assert_eq!(
        data["seeded"],
        serde_json::json!([
            {"table": "t", "schema": "public", "rows": 20},
            {"table": "u", "schema": "public", "rows": 20}
        ])
    );
    assert_eq!(array(&data["unannounced"]).len(), 0, "{data}");
    assert_eq!(array(&data["announced"]).len(), 0, "{data}");
}
/// The shapes of diesel, sqlx, golang-migrate and Flyway histories (crates.io, docs.rs,
/// openmeter, marquez) that their undo rules handle, over seeded rows: composite types, a
/// pg_dump's sequences owned by their columns, views that follow a column rename and come back
/// after a `DROP … CASCADE`, a materialized view with its index and comments, checks in `DO`
/// blocks, a `CHECK` written before its column, indexes computed on a retyped column, a
/// function returning a table, and drops whose undo puts back comments, triggers, owned
/// sequences and a table made with `CREATE TABLE … AS`. Every undo restores the schema as its
/// verdict claims, and loses only the data it announces.
#[test]
fn undos_of_other_tools_shapes_restore_the_earlier_schema() {
    let report = passed_report(&["tests/drills/beyond_prisma/migrations", "--seed-rows", "20"]);
    let expected = [
        ("20260501090000_init", "lossy"),
        ("20260502090000_rename_job_name", "lossy"),
        ("20260503090000_timestamps_with_time_zone", "exact"),
        ("20260504090000_recent_downloads_30_days", "exact"),
        ("20260505090000_semver_numeric", "exact"),
        ("20260506090000_own_crates_sequence", "exact"),
        ("20260507090000_checks_and_a_repair", "lossy"),
        ("20260508090000_custom_currencies", "lossy"),
        ("20260509090000_crate_name_text", "lossy"),
        ("20260510090000_reverse_dependencies", "exact"),
        ("20260511090000_drops", "lossy"),
    ];
    for (name, migration) in passed_as_claimed(&report, &expected) {
        if let Some(data) = migration.get("data").filter(|d| !d.is_null()) {
            assert_eq!(array(&data["unannounced"]).len(), 0, "{name}: {data}");
        }
    }
    let drops = data_of(migration(&report, "20260511090000_drops"));
    assert_eq!(array(&drops["announced"]).len(), 3, "{drops}");
    assert_eq!(report["report"]["final_check"]["passed"], true);
}

/// Views that select `*` inside CTEs and `FROM` subqueries (LATERAL too), and `*` over those,
/// over a subquery with column aliases, a `UNION`, `VALUES` and a recursive CTE (langfuse's
/// `observations_view`):
/// the model expands every star to the columns of its day, so once columns are added to the
/// tables, the undo that recreates the views is exact, over seeded rows too.
#[test]
fn views_with_stars_in_ctes_and_subqueries_come_back_with_the_columns_of_their_day() {
    let report = passed_report(&["tests/drills/star_views/migrations", "--seed-rows", "20"]);
    let expected = [
        ("20260601090000_init", "lossy"),
        ("20260602090000_views", "exact"),
        ("20260603090000_more_columns", "lossy"),
        ("20260604090000_views_replaced", "exact"),
    ];
    for (name, migration) in passed_as_claimed(&report, &expected) {
        if let Some(data) = migration.get("data").filter(|d| !d.is_null()) {
            assert_eq!(array(&data["unannounced"]).len(), 0, "{name}: {data}");
        }
    }
    assert_eq!(report["report"]["final_check"]["passed"], true);
}

// ---------------------------------------------------------------------------------------------
// Scope

#[test]
fn last_1_drills_only_the_last_migration_after_applying_the_others() {
    let report = passed_report(&[DEMO_MIGRATIONS, "--last", "1"]);
    let names: Vec<String> = results(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["20260216094500_add_post_status_published_at_index"]);
    assert_eq!(report["report"]["prefix"]["migrations"], 6);
    assert_eq!(report["report"]["final_check"]["passed"], true);
}

#[test]
fn from_and_to_drill_the_migrations_between_them_both_included() {
    let report = passed_report(&[
        DEMO_MIGRATIONS,
        "--from",
        "20260112",
        "--to",
        "20260126160000_add_moderator_role",
    ]);
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

/// Issue 13, item 6: the history answers for functions, triggers, `DROP … IF EXISTS` and `DO`
/// blocks. `CREATE OR REPLACE` of a function or trigger the history never defined is dropped
/// again (lossy, for a definition made outside the migrations); `DROP … IF EXISTS` of what it
/// never created is nothing to undo; a `DO` block that only adds a foreign key on a column the
/// migration adds, or changes a table it creates, needs no undo of its own. The drill confirms
/// every claim: the undo restores the earlier schema (functions and triggers included).
#[test]
fn undos_judged_against_the_history_restore_the_earlier_schema() {
    let report = passed_report(&["tests/drills/history_judged/migrations"]);
    let expected = [
        ("20260401090000_init", "lossy"),
        ("20260402090000_functions_and_triggers", "lossy"),
        ("20260403090000_memberships", "lossy"),
    ];
    for (name, migration) in passed_as_claimed(&report, &expected) {
        for step in ["forward", "undo", "reapply"] {
            assert_eq!(phase(migration, step)["status"], "passed", "{name}: {step}");
        }
    }
    assert_eq!(report["counts"]["manual"], 0, "{report}");
}
