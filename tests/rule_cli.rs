//! End-to-end tests of `unmigrate rule [ID]`: the list of both kinds, a rule's page of each
//! kind, an unknown id.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;
use common::{manifest_dir, run_in};

#[test]
fn lists_every_rule_with_its_kind_and_summary() {
    let run = run_in(manifest_dir(), &["rule"]);
    assert_eq!(run.code, 0, "{run}");
    let pages: usize = ["docs/rules", "docs/undo-rules"]
        .iter()
        .map(|dir| {
            std::fs::read_dir(manifest_dir().join(dir))
                .expect(dir)
                .count()
        })
        .sum();
    assert_eq!(run.stdout.lines().count(), pages, "{run}");
    let drop_column = run
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("drop-column"))
        .unwrap_or_else(|| panic!("no drop-column line:\n{run}"));
    assert!(drop_column.starts_with("explain  drop-column  "), "{run}");
    assert!(
        drop_column.ends_with("previous release may still use it"),
        "{run}"
    );
    let undo_drop_column = run
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("undo-drop-column"))
        .unwrap_or_else(|| panic!("no undo-drop-column line:\n{run}"));
    assert!(
        undo_drop_column.starts_with("undo     undo-drop-column  "),
        "{run}"
    );
}

/// `unmigrate rule ID` prints the page `docs/<folder>/<ID>.md` as it is.
fn assert_prints_page(folder: &str, id: &str) {
    let run = run_in(manifest_dir(), &["rule", id]);
    assert_eq!(run.code, 0, "{run}");
    let page = std::fs::read_to_string(manifest_dir().join(format!("docs/{folder}/{id}.md")))
        .expect("the page");
    assert_eq!(run.stdout, page);
}

#[test]
fn prints_an_undo_rule_page_as_docs_undo_rules_holds_it() {
    assert_prints_page("undo-rules", "undo-drop-column");
}

#[test]
fn prints_a_rule_page_as_docs_rules_holds_it() {
    assert_prints_page("rules", "missing-lock-timeout");
}

#[test]
fn an_unknown_id_is_a_usage_error_with_a_suggestion() {
    let run = run_in(manifest_dir(), &["rule", "missing-lock-timout"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stdout.is_empty(), "{run}");
    assert_eq!(
        run.stderr,
        "error: no rule missing-lock-timout; did you mean missing-lock-timeout? (`unmigrate rule` lists them)\n"
    );
    let far = run_in(manifest_dir(), &["rule", "xyz"]);
    assert_eq!(far.code, 2, "{far}");
    assert!(!far.stderr.contains("did you mean"), "{far}");
}
