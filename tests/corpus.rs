//! The real histories in `../shared/corpus` are the ground truth: generating the undo of every
//! migration must succeed, and every generated file must parse as PostgreSQL.

use std::path::PathBuf;

use unmigrate::generate::{plan, Selection};
use unmigrate::migrations::{read_history, Timestamp};

fn corpus(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(name);
    assert!(
        path.is_dir(),
        "corpus {} is missing: the tests need the shared/ folder beside the checkout",
        path.display()
    );
    path
}

fn generate_all(name: &str, expected_migrations: usize) {
    let history = read_history(&corpus(name)).expect("corpus history reads");
    assert_eq!(history.migrations.len(), expected_migrations);
    let ts = Timestamp::parse("20990101000000").expect("timestamp");
    let plan =
        plan(&history, &Selection::All, Some(ts), ts, false).expect("undo of every migration");
    assert_eq!(plan.undos.len(), expected_migrations);
    let counts = plan.counts();
    let statements: usize = plan.undos.iter().map(|u| u.statements.len()).sum();
    assert_eq!(counts.exact + counts.lossy + counts.manual, statements);
    for folder in plan.folders() {
        assert!(folder.sql.starts_with(unmigrate::migrations::UNDO_MARKER));
        if let Err(e) = unmigrate::sql::reparse(&folder.sql) {
            panic!(
                "{}: generated SQL does not parse: {e}\n{}",
                folder.name, folder.sql
            );
        }
    }
    // Every manual undo says why, in its file.
    for undo in &plan.undos {
        for s in undo
            .statements
            .iter()
            .filter(|s| s.undo.verdict == unmigrate::undo::Verdict::Manual)
        {
            assert!(
                !s.undo.reason.is_empty(),
                "{}: manual undo without a reason",
                undo.source
            );
            assert!(undo.folders.iter().any(|f| f.sql.contains(&s.undo.reason)));
        }
    }
}

#[test]
fn langfuse_every_migration_has_a_parseable_undo() {
    generate_all("langfuse", 434);
}

#[test]
fn triggerdev_every_migration_has_a_parseable_undo() {
    generate_all("triggerdev", 820);
}
