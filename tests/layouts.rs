//! Other tools' migration folders: each corpus of `../shared/corpus` (see
//! [`unmigrate::corpus`]) is detected as its tool's layout, with the reason said, and read as
//! its tool reads it: which files are migrations, in which order, with which downs, and how
//! each is sent.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use common::{run_in, write_files, Run};
use unmigrate::corpus;
use unmigrate::migrations::layouts::{self, detect};
use unmigrate::migrations::{History, Layout, Migration, Transaction};

#[test]
fn every_corpus_is_detected_as_its_tools_layout() {
    for (name, layout) in [
        ("langfuse", Layout::Prisma),
        ("diesel-cratesio", Layout::Diesel),
        ("golang-migrate-openmeter", Layout::GolangMigrate),
        ("sqlx-docsrs", Layout::SqlxReversible),
        ("sqlx-atuin", Layout::SqlxSimple),
        ("dbmate-ncps", Layout::Dbmate),
        ("flyway-marquez", Layout::Flyway),
    ] {
        let Some(dir) = corpus::for_test(name) else {
            continue;
        };
        let dir = match name {
            "langfuse" => dir,
            _ => dir.join("migrations"),
        };
        let detected = detect(&dir).unwrap();
        assert_eq!(detected.layout, layout, "{name}: {}", detected.why);
        assert!(!detected.why.is_empty());
    }
}

/// The migrations folder of corpus `name`, or `None` when it is not here (see
/// [`corpus::for_test`]).
fn corpus_migrations(name: &str) -> Option<std::path::PathBuf> {
    corpus::for_test(name).map(|dir| dir.join("migrations"))
}

/// The history in `dir` as its detected tool applies it.
fn read(dir: &std::path::Path) -> History {
    unmigrate::migrations::layouts::read(dir, None).unwrap().0
}

fn position(history: &History, name: &str) -> usize {
    history
        .migrations
        .iter()
        .position(|m| m.name == name)
        .unwrap_or_else(|| panic!("{name} not read"))
}

/// How many migrations have a down, and how many are sent as they are.
fn downs_and_as_is(history: &History) -> (usize, usize) {
    let downs = history.migrations.iter().filter(|m| m.down.is_some());
    let as_is = history
        .migrations
        .iter()
        .filter(|m| m.transaction == Transaction::AsIs);
    (downs.count(), as_is.count())
}

/// `earlier` is applied right before `later`.
fn neighbours(history: &History, earlier: &str, later: &str) {
    assert_eq!(
        position(history, earlier) + 1,
        position(history, later),
        "{earlier} right before {later}"
    );
}

#[test]
fn diesel_cratesio_is_read_in_diesels_order() {
    let Some(dir) = corpus_migrations("diesel-cratesio") else {
        return;
    };
    let history = read(&dir);
    assert_eq!(history.layout, Layout::Diesel);
    // 287 entries: 285 migration folders, README.md and a loose data_oauth_github.sql.
    assert_eq!(history.migrations.len(), 285);
    assert_eq!(downs_and_as_is(&history), (285, 7));
    let first = &history.migrations[0];
    assert_eq!(first.name, "00000000000000_diesel_initial_setup");
    assert_eq!(
        history.migrations.last().unwrap().name,
        "2026-07-30-140000-0000_add_users_username_index"
    );
    // Dash-stripped versions compared as text: 2017-09-23… after 20170308…, and 18 digits
    // (…-0000) in their day's place.
    assert!(
        position(&history, "20170308140537_create_to_semver_no_prerelease")
            < position(&history, "2017-09-23-182408_move_tokens_to_emails_table")
    );
    neighbours(
        &history,
        "2017-08-31-230457_invitations",
        "2017-09-23-182408_move_tokens_to_emails_table",
    );
    neighbours(
        &history,
        "2025-09-29-161354_add_index_trustpub_configs_github_repo",
        "2025-11-19-091444-0000_add_trustpub_only_to_crates",
    );
    neighbours(
        &history,
        "2025-12-29-110242-0000_add_distribution_to_cloudfront_invalidation_queue",
        "2026-01-20-162913_oauth_github_table",
    );
    let spaced = &history.migrations[position(
        &history,
        "2019-11-15-182353_Add email notifications to crate owners",
    )];
    assert!(spaced.sql_path.ends_with("up.sql"));
    assert_eq!(spaced.transaction, Transaction::Wrapped);
    let concurrently =
        &history.migrations[position(&history, "2024-02-12-120203_remove_unused_index")];
    assert_eq!(concurrently.transaction, Transaction::AsIs);
    assert_eq!(
        concurrently.down.as_ref().unwrap().transaction,
        Transaction::AsIs
    );
}

#[test]
fn golang_migrate_openmeter_is_read_in_numeric_order_all_as_is() {
    let Some(dir) = corpus_migrations("golang-migrate-openmeter") else {
        return;
    };
    let history = read(&dir);
    assert_eq!(history.layout, Layout::GolangMigrate);
    // 539 entries: 269 ups, 269 downs and atlas.sum.
    assert_eq!(history.migrations.len(), 269);
    assert_eq!(downs_and_as_is(&history), (269, 269));
    assert_eq!(history.migrations[0].name, "20240826120919_init");
    assert_eq!(
        history.migrations.last().unwrap().name,
        "20260818090123_rate_card_feature_reference_constraints"
    );
    neighbours(
        &history,
        "20240826120919_init",
        "20240903155435_entitlement-expired-index",
    );
    let empty_downs = history
        .migrations
        .iter()
        .filter(|m| m.down.as_ref().is_some_and(|d| d.sql.is_empty()))
        .count();
    assert_eq!(empty_downs, 12, "zero-byte downs are kept");
    assert!(history
        .migrations
        .iter()
        .all(|m| m.down.as_ref().unwrap().transaction == Transaction::AsIs));
}

#[test]
fn sqlx_docsrs_is_read_as_reversible_pairs() {
    let Some(dir) = corpus_migrations("sqlx-docsrs") else {
        return;
    };
    let history = read(&dir);
    assert_eq!(history.layout, Layout::SqlxReversible);
    assert_eq!(history.migrations.len(), 33);
    // No file starts with `-- no-transaction`.
    assert_eq!(downs_and_as_is(&history), (33, 0));
    assert_eq!(history.migrations[0].name, "20231021111635_initial");
    assert_eq!(
        history.migrations.last().unwrap().name,
        "20260811210608_remove-release-files-archive"
    );
    neighbours(
        &history,
        "20240221104457_drop_releases_build_status",
        "20240221113734_drop_releases_rustc_version",
    );
    let empty = &history.migrations[position(&history, "20260131071854_failed-queued-crates")];
    assert_eq!(
        empty.down.as_ref().unwrap().sql,
        "",
        "an empty down is kept"
    );
}

#[test]
fn sqlx_atuin_is_read_as_simple_files() {
    let Some(dir) = corpus_migrations("sqlx-atuin") else {
        return;
    };
    let history = read(&dir);
    assert_eq!(history.layout, Layout::SqlxSimple);
    assert_eq!(history.migrations.len(), 20);
    assert_eq!(downs_and_as_is(&history), (0, 0));
    assert_eq!(history.migrations[0].name, "20210425153745_create_history");
    neighbours(
        &history,
        "20220421073605_fix_count_trigger_delete",
        "20220421174016_larger-commands",
    );
    assert_eq!(
        history.migrations.last().unwrap().name,
        "20260127000000_remove-email-verification"
    );
    assert!(history
        .migrations
        .iter()
        .all(|m| m.transaction == Transaction::Wrapped));
}

/// The names of a corpus's migrations, read as its tool applies them.
fn read_corpus(name: &str, layout: Layout) -> Option<Vec<Migration>> {
    let dir = corpus::for_test(name)?.join("migrations");
    let (history, detected) = layouts::read(&dir, None).unwrap();
    assert_eq!(detected.layout, layout);
    assert_eq!(history.layout, layout);
    Some(history.migrations)
}

fn position_of(migrations: &[Migration], name: &str) -> usize {
    migrations
        .iter()
        .position(|m| m.name == name)
        .unwrap_or_else(|| panic!("{name} not read"))
}

#[test]
fn dbmate_ncps_reads_every_file_with_its_down_section() {
    let Some(migrations) = read_corpus("dbmate-ncps", Layout::Dbmate) else {
        return;
    };
    assert_eq!(migrations.len(), 8);
    assert_eq!(migrations[0].name, "20260101000000_init_schema");
    assert_eq!(
        migrations[7].name,
        "20260318053904_add_pinned_closures_table"
    );
    assert!(migrations.windows(2).all(|w| w[0].name < w[1].name));
    for m in &migrations {
        let down = m
            .down
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no down", m.name));
        assert_eq!(down.path, m.sql_path);
        assert!(m.sql.contains("-- migrate:up"), "{}", m.name);
        assert!(!m.sql.contains("-- migrate:down"), "{}", m.name);
        assert!(down.sql.contains("-- migrate:down"), "{}", m.name);
        assert_eq!(m.transaction, Transaction::Wrapped, "{}", m.name);
        assert_eq!(m.undo_of, None);
    }
    // Line N of the down section is line N of the file.
    let first = &migrations[0];
    let file = std::fs::read_to_string(&first.sql_path).unwrap();
    let down = &first.down.as_ref().unwrap().sql;
    assert_eq!(down.lines().count(), file.lines().count());
    assert_eq!(down.lines().nth(41), Some("-- migrate:down"));
}

#[test]
fn flyway_marquez_reads_versions_in_order_then_repeatables() {
    let Some(migrations) = read_corpus("flyway-marquez", Layout::Flyway) else {
        return;
    };
    assert_eq!(migrations.len(), 84);
    let versioned = migrations
        .iter()
        .filter(|m| m.name.starts_with('V'))
        .count();
    assert_eq!(versioned, 81);
    assert_eq!(migrations[0].name, "V1__initial_schema");
    let before = |a: &str, b: &str| position_of(&migrations, a) + 1 == position_of(&migrations, b);
    assert!(before(
        "V2__add_job_contexts",
        "V2.1__alter_job_versions_to_add_job_context_uuid"
    ));
    assert!(before(
        "V2.1__alter_job_versions_to_add_job_context_uuid",
        "V3__drop_not_null_constraint_on_job_location"
    ));
    assert!(before(
        "V9__alter_sources_to_drop_composite_unique_constraint",
        "V10__drop_unique_constraint_on_job_name"
    ));
    assert!(before("V55.3__add_run_facets", "V57.1__add_migration_lock"));
    assert!(before("V55.2__add_job_facets", "V55.3__add_run_facets"));
    assert!(before(
        "V54__lineage_events_created_at_indexed",
        "V55.1__add_dataset_facets"
    ));
    assert!(migrations
        .iter()
        .all(|m| !m.name.starts_with("V56") && m.name != "V57__readme"));
    assert_eq!(
        migrations[81..]
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        [
            "R__Datasets_view",
            "R__Jobs_view_and_rewrite_function",
            "R__Runs_view"
        ]
    );
    let each_statement: Vec<&str> = migrations
        .iter()
        .filter(|m| m.transaction == Transaction::EachStatement)
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(each_statement, ["V47__add_lineage_event_indexes"]);
    assert!(migrations.iter().all(|m| m.down.is_none()));
}

/// The hazards an `explain --format json` report names, in order (its stderr has the note on
/// the layout read).
fn rules_in(report: &Run) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["statements"].as_array().unwrap())
        .flat_map(|s| s["hazards"].as_array().unwrap())
        .map(|h| h["rule"].as_str().unwrap().to_string())
        .collect()
}

/// `explain` reads a diesel folder as diesel runs it: a lone `CREATE INDEX CONCURRENTLY` fails
/// in the transaction diesel opens, unless `metadata.toml` turns it off.
#[test]
fn explain_judges_each_file_as_its_tool_sends_it() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("2024-01-01-000000_init/up.sql", "CREATE TABLE t (a int);\n"),
            ("2024-01-01-000000_init/down.sql", "DROP TABLE t;\n"),
            (
                "2024-01-02-000000_index/up.sql",
                "CREATE INDEX CONCURRENTLY i ON t (a);\n",
            ),
            ("2024-01-02-000000_index/down.sql", "DROP INDEX i;\n"),
        ],
    );
    let explain = || {
        let args = ["explain", ".", "--format", "json", "--config", "/dev/null"];
        run_in(dir.path(), &args)
    };
    let in_block = "non-transactional-in-transaction".to_string();
    let out = explain();
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("read as a diesel history"), "{out}");
    assert!(rules_in(&out).contains(&in_block));

    write_files(
        dir.path(),
        &[(
            "2024-01-02-000000_index/metadata.toml",
            "run_in_transaction = false\n",
        )],
    );
    assert!(!rules_in(&explain()).contains(&in_block));
}

/// One file of another tool's folder, named on its own, is explained as that migration of its
/// history: a dbmate file's up section only (its down section is not a forward statement),
/// with the model built from the files before it, as for a diesel `up.sql`.
#[test]
fn explain_of_one_file_reads_it_as_its_migration_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            (
                "db/migrations/20240101000000_init.sql",
                "-- migrate:up\nCREATE TABLE t (a int);\n\n-- migrate:down\nDROP TABLE t;\n",
            ),
            (
                "db/migrations/20240102000000_index.sql",
                "-- migrate:up\nCREATE INDEX i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n",
            ),
            (
                "diesel/2024-01-01-000000_init/up.sql",
                "CREATE TABLE u (a int);\n",
            ),
            ("diesel/2024-01-01-000000_init/down.sql", "DROP TABLE u;\n"),
            (
                "diesel/2024-01-02-000000_b/up.sql",
                "ALTER TABLE u ADD COLUMN b text;\n",
            ),
            (
                "diesel/2024-01-02-000000_b/down.sql",
                "ALTER TABLE u DROP COLUMN b;\n",
            ),
        ],
    );
    let explain = |file: &str| {
        let out = run_in(
            dir.path(),
            &["explain", file, "--color", "never", "--config", "/dev/null"],
        );
        assert_eq!(out.code, 0, "{out}");
        out
    };
    let out = explain("db/migrations/20240102000000_index.sql");
    assert!(out.stderr.contains("read as a dbmate history"), "{out}");
    assert!(out.stdout.contains("== 20240102000000_index "), "{out}");
    // One statement, the up section's: its down section (line 5) is not explained.
    assert!(
        out.stdout.contains("1 migration(s), 1 statement(s)"),
        "{out}"
    );
    assert!(!out.stdout.contains("line 5 "), "the down section: {out}");
    assert!(!out.stdout.contains("no history"), "{out}");
    assert!(out.stdout.contains("exact: drops index i again"), "{out}");

    let out = explain("diesel/2024-01-02-000000_b/up.sql");
    assert!(out.stderr.contains("read as a diesel history"), "{out}");
    assert!(out.stdout.contains("== 2024-01-02-000000_b "), "{out}");
    assert!(!out.stdout.contains("no history"), "{out}");
    // The model knows u from init: the undo is generated, not manual.
    assert!(out.stdout.contains("lossy: drops column u.b"), "{out}");
}

/// `generate` in another tool's folder writes each undo where the tool keeps downs, and never
/// over a hand-written one unless told to discard it.
#[test]
fn generate_writes_the_undo_into_the_tools_down_file() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("1_init.up.sql", "CREATE TABLE t (a int);\n"),
            ("1_init.down.sql", "DROP TABLE t;\n"),
            ("2_add_b.up.sql", "ALTER TABLE t ADD COLUMN b text;\n"),
            ("atlas.sum", "h1:x\n"),
        ],
    );
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", ".", "--config", "/dev/null"];
        args.extend_from_slice(extra);
        run_in(dir.path(), &args)
    };
    // A migration without a down: its .down.sql is written, nothing else.
    let out = generate(&["--migration", "add_b"]);
    assert_eq!(out.code, 0, "{out}");
    let down = std::fs::read_to_string(dir.path().join("2_add_b.down.sql")).unwrap();
    assert!(down.contains("DROP COLUMN b"), "{down}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5);

    // A hand-written down stays unless its text is to be discarded; a dry run shows both.
    // (Every migration: the undo of init alone would leave add_b's column on a dropped table.)
    let out = generate(&["--all"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("unmigrate did not write it"), "{out}");
    let shown = generate(&["--all", "--dry-run"]).stdout;
    assert!(shown.contains("1_init.down.sql\n@@"), "{shown}");
    assert!(shown.contains("+-- unmigrate: undo of 1_init\n"), "{shown}");
    assert!(shown.contains("2_add_b.down.sql: unchanged"), "{shown}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("1_init.down.sql")).unwrap(),
        "DROP TABLE t;\n"
    );
    let out = generate(&["--all", "--force", "--discard-edits"]);
    assert_eq!(out.code, 0, "{out}");
    let down = std::fs::read_to_string(dir.path().join("1_init.down.sql")).unwrap();
    assert!(down.starts_with("-- unmigrate: undo of 1_init"), "{down}");
}

/// diesel runs a down in a transaction unless `metadata.toml` says otherwise: an undo that
/// needs `DROP INDEX CONCURRENTLY` there is refused with what to do, and nothing is written.
#[test]
fn generate_refuses_what_the_tools_transaction_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("2024-01-01-000000_init/up.sql", "CREATE TABLE t (a int);\n"),
            (
                "2024-01-02-000000_index/up.sql",
                "CREATE INDEX CONCURRENTLY i ON t (a);\n",
            ),
        ],
    );
    let out = run_in(dir.path(), &["generate", ".", "--config", "/dev/null"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("run_in_transaction = false"), "{out}");
    assert!(!dir.path().join("2024-01-02-000000_index/down.sql").exists());
}

/// Where names alone cannot tell golang-migrate from sqlx, `--layout` or unmigrate.toml's
/// `layout` says which; the note names the one used.
#[test]
fn the_layout_is_chosen_by_flag_or_configuration_over_detection() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        &dir.path().join("migrations"),
        &[
            ("20240101000000_init.up.sql", "CREATE TABLE t (a int);\n"),
            ("20240101000000_init.down.sql", "DROP TABLE t;\n"),
        ],
    );
    let explain = |extra: &[&str]| {
        let mut args = vec!["explain", "migrations"];
        args.extend_from_slice(extra);
        let out = run_in(dir.path(), &args);
        assert_eq!(out.code, 0, "{out}");
        out.stderr
    };
    assert!(explain(&[]).contains("read as a sqlx (reversible) history"));
    assert!(explain(&["--layout", "golang-migrate"]).contains("read as a golang-migrate history"));
    write_files(
        dir.path(),
        &[("unmigrate.toml", "layout = \"golang-migrate\"\n")],
    );
    assert!(explain(&[]).contains("read as a golang-migrate history"));
    assert!(explain(&["--layout", "sqlx-reversible"]).contains("sqlx (reversible)"));
}
