//! Other tools' migration folders: each corpus of `../shared/corpus` (see
//! [`unmigrate::corpus`]) is detected as its tool's layout, with the reason said, and read
//! in the order its tool applies it.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::corpus;
use unmigrate::migrations::layouts::{self, detect};
use unmigrate::migrations::{Layout, Migration, Transaction};

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

/// The names of a corpus's migrations, read as its tool applies them.
fn read_corpus(name: &str, layout: Layout) -> Option<Vec<Migration>> {
    let dir = corpus::for_test(name)?.join("migrations");
    let (history, detected) = layouts::read(&dir, None).unwrap();
    assert_eq!(detected.layout, layout);
    assert_eq!(history.layout, layout);
    Some(history.migrations)
}

fn position(migrations: &[Migration], name: &str) -> usize {
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
    let before = |a: &str, b: &str| position(&migrations, a) + 1 == position(&migrations, b);
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
    let as_is: Vec<&str> = migrations
        .iter()
        .filter(|m| m.transaction == Transaction::AsIs)
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(as_is, ["V47__add_lineage_event_indexes"]);
    assert!(migrations.iter().all(|m| m.down.is_none()));
}
