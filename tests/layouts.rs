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
