//! Other tools' migration folders: each corpus of `../shared/corpus` (see
//! [`unmigrate::corpus`]) is detected as its tool's layout, with the reason said, and read as
//! its tool reads it: which files are migrations, in which order, with which downs, and how
//! each is sent.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::corpus;
use unmigrate::migrations::layouts::detect;
use unmigrate::migrations::{History, Layout, Transaction};

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
