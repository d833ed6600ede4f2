//! Other tools' migration folders: each corpus of `../shared/corpus` (see
//! [`unmigrate::corpus`]) is detected as its tool's layout, with the reason said.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::corpus;
use unmigrate::migrations::layouts::detect;
use unmigrate::migrations::Layout;

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
