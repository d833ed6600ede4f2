use std::fs;
use std::path::Path;

use super::*;
use crate::explain::Rule;

fn write_history(dir: &Path, folders: &[(&str, String)]) {
    fs::create_dir_all(dir).unwrap();
    fs::write(
        dir.join(migrations::LOCK_FILE),
        "provider = \"postgresql\"\n",
    )
    .unwrap();
    for (name, sql) in folders {
        fs::create_dir(dir.join(name)).unwrap();
        fs::write(dir.join(name).join(migrations::MIGRATION_SQL), sql).unwrap();
    }
}

/// Every folder name and file under `dir`, with its text.
fn listing(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            for (name, text) in listing(&path) {
                files.push((format!("{}/{name}", path.display()), text));
            }
        } else {
            files.push((
                path.display().to_string(),
                fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    files.sort();
    files
}

const INIT: &str = r#"CREATE TABLE "A" ("id" INTEGER PRIMARY KEY, "x" INTEGER, "y" INTEGER, "z" INTEGER);
CREATE TABLE "B" ("id" INTEGER PRIMARY KEY, "w" INTEGER);
"#;
/// On a table an earlier migration created: `create-index-without-concurrently` and
/// `missing-lock-timeout` fire here, in a forward migration, which undo-lint does not count.
const INDEX: &str = r#"CREATE INDEX "A_x_idx" ON "A"("x");
"#;

#[test]
fn every_listed_rule_is_a_rule_of_explain() {
    for id in LISTED.iter().chain([&ONE_PER_TABLE]) {
        assert!(Rule::from_id(id).is_some(), "{id} is no rule of explain");
    }
}

/// Hand-written undo folders, so that what each one should count follows from its SQL alone.
#[test]
fn only_the_undo_folders_hazards_are_counted_and_type_changes_beyond_one_per_table_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    let undo_index = format!(
        "{}\n\
         DROP INDEX \"A_x_idx\";\n\
         ALTER TABLE \"A\" ALTER COLUMN \"id\" TYPE BIGINT;\n",
        migrations::undo_header("20240102000000_index")
    );
    let undo_init = format!(
        "{}\n\
         SET lock_timeout = '5s';\n\
         ALTER TABLE \"A\" ALTER COLUMN \"x\" TYPE BIGINT;\n\
         ALTER TABLE \"A\" ALTER COLUMN \"y\" TYPE BIGINT;\n\
         ALTER TABLE \"B\" ALTER COLUMN \"w\" TYPE BIGINT;\n\
         ALTER TABLE \"A\" ALTER COLUMN \"z\" TYPE BIGINT;\n\
         ALTER TABLE \"A\" ADD COLUMN \"n\" TEXT NOT NULL;\n",
        migrations::undo_header("20240101000000_init")
    );
    write_history(
        &dir,
        &[
            ("20240101000000_init", INIT.to_string()),
            ("20240102000000_index", INDEX.to_string()),
            ("20240103000000_undo_index", undo_index),
            ("20240104000000_undo_init", undo_init),
        ],
    );
    let history = migrations::read_history(&dir).unwrap();

    // The forward migration's hazards are there, in explain's report of the whole history.
    let whole = explain::explain(&Target::History(history.clone()), ApplyMode::Batch).unwrap();
    let forward_index = whole.hazards().filter(|h| h.rule.id() == LISTED[2]).count();
    assert_eq!(forward_index, 1, "the forward CREATE INDEX is a hazard");

    let lint = lint_history(&history, ApplyMode::Batch).unwrap();
    assert_eq!(lint.undo_files, 2);
    assert_eq!(lint.statements, 2 + 6);
    // The first undo file takes ACCESS EXCLUSIVE on "A" with no lock_timeout; the second
    // sets one first.
    assert_eq!(lint.count("missing-lock-timeout"), Some(1));
    assert_eq!(lint.count("drop-index-without-concurrently"), Some(1));
    assert_eq!(lint.count("create-index-without-concurrently"), Some(0));
    assert_eq!(lint.count("add-column-not-null-without-default"), Some(1));
    // "A" changes type once in the first file and three times in the second; "B" once.
    assert_eq!(lint.type_rewrites, 5);
    assert_eq!(lint.type_rewrites_excess, 2);
    assert_eq!(
        lint.excess_at,
        [Excess {
            file: "20240104000000_undo_init".into(),
            table: "\"A\"".into(), // as PostgreSQL quotes it
            hazards: 3,
        }]
    );
    assert_eq!(lint.total(), 1 + 1 + 1 + 2);
    assert_eq!(lint.listed.len(), LISTED.len());
    // Hand-written, their headers list no hazard: both differ from what explain finds.
    assert_eq!(
        lint.header_differs,
        ["20240103000000_undo_index", "20240104000000_undo_init"]
    );
}

/// The undo folders `lint_corpus` explains are the ones `generate --all` writes, after the
/// history, and each is judged against what the history built before it: the counts equal
/// those of explaining each undo folder on its own as a migration of that history.
#[test]
fn generated_undos_are_counted_as_explain_judges_each_one_in_its_history() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    write_history(
        &dir,
        &[
            ("20240101000000_init", INIT.to_string()),
            ("20240102000000_index", INDEX.to_string()),
            (
                "20240103000000_drop",
                "DROP INDEX \"A_x_idx\";\nALTER TABLE \"A\" DROP COLUMN \"y\";\nALTER TABLE \"B\" ADD CONSTRAINT \"B_w_check\" CHECK (\"w\" > 0);\n".to_string(),
            ),
        ],
    );
    let before = listing(&dir);

    let (_copy, history) = with_undos(&dir).unwrap();
    assert_eq!(listing(&dir), before, "the history itself is left alone");
    let forward = history.forward().len();
    let undos: Vec<&str> = history.undo_names().collect();
    assert_eq!(forward, 3);
    // One undo folder per forward migration, and one more: the index the last one drops is
    // rebuilt CONCURRENTLY, alone in a folder of its own.
    assert_eq!(undos.len(), forward + 1, "{undos:?}");
    let sources: std::collections::BTreeSet<_> = history
        .migrations
        .iter()
        .filter_map(|m| m.undo_of.as_ref())
        .collect();
    assert_eq!(
        sources.len(),
        forward,
        "every forward migration has its undo"
    );
    assert!(
        history.migrations[forward..]
            .iter()
            .all(|m| m.undo_of.is_some()),
        "the undo folders come after the history"
    );

    let lint = lint_history(&history, ApplyMode::Batch).unwrap();
    assert_eq!(lint.undo_files, undos.len());
    let mut by_rule = vec![0; LISTED.len()];
    let mut statements = 0;
    for name in &undos {
        let target = Target::Migration(history.clone(), name.to_string());
        let one = explain::explain(&target, ApplyMode::Batch).unwrap();
        statements += one.statement_count();
        for hazard in one.hazards() {
            if let Some(i) = LISTED.iter().position(|&id| id == hazard.rule.id()) {
                by_rule[i] += 1;
            }
        }
    }
    assert_eq!(lint.statements, statements);
    let counted: Vec<usize> = lint.listed.iter().map(|c| c.hazards).collect();
    assert_eq!(counted, by_rule);
    // Each header lists what explain finds in its file, line for line (and some list some).
    assert_eq!(lint.header_differs, Vec::<String>::new());
    let listed: usize = history.migrations[forward..]
        .iter()
        .map(|m| header_hazards(&m.sql).0.len())
        .sum();
    assert!(
        listed > 0,
        "the undo of a history that creates tables drops them"
    );
}

/// An undo too large to hold as trees is read statement by statement, and its header lists a
/// few hazards and counts the rest: still what explain finds there.
#[test]
fn a_large_undo_s_header_lists_a_few_hazards_and_counts_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    let columns = 2000;
    let forward: String = (0..columns)
        .map(|i| format!("ALTER TABLE \"A\" ADD COLUMN \"column_number_{i}\" INTEGER;\n"))
        .collect();
    write_history(
        &dir,
        &[
            ("20240101000000_init", INIT.to_string()),
            ("20240102000000_wide", forward),
        ],
    );
    let (_copy, history) = with_undos(&dir).unwrap();
    let wide = history
        .migrations
        .iter()
        .find(|m| m.undo_of.as_deref() == Some("20240102000000_wide"))
        .expect("the undo of the wide migration");
    assert!(wide.sql.len() > 64 * 1024, "read statement by statement");
    let (listed, more) = header_hazards(&wide.sql);
    assert_eq!(listed.len(), 12);
    assert_eq!(
        listed.len() + more,
        columns,
        "one drop-column hazard per column"
    );
    assert!(wide.sql.contains(&format!(
        "--   … and {more} more: drop-column ×{more} (unmigrate explain lists each)"
    )));
    let lint = lint_history(&history, ApplyMode::Batch).unwrap();
    assert_eq!(lint.header_differs, Vec::<String>::new());
}
