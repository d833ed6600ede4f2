//! Snapshot tests of `explain`: each case is `tests/cases/explain/<rule-id>/<case>.sql` (the
//! earlier schema, a `-- forward` line, then the forward migration; a first line
//! `-- apply-mode: split` explains it as Prisma ≥ 7.4 applies it). The human report of the
//! forward migration is snapshotted into `snapshots/explain/<rule-id>__<case>.snap`, showing
//! only the hazards of that rule (as ruff's `for_rule`), so that changing one rule changes
//! only its own snapshots. The folder `impact/` holds cases of lock, rewrite and scan facts
//! rather than of one rule: its snapshots show no hazards. A snapshot no test wrote fails CI
//! (`cargo insta test --unreferenced=reject` in `.ci/run`).

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use unmigrate::explain::{explain, Explained, Rule, Target};
use unmigrate::migrations::{read_history, ApplyMode};
use unmigrate::report::explain::{render, ExplainFormat};

mod common;
use common::cases;

const SPLIT_MARKER: &str = "-- apply-mode: split";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Explains the forward migration of a case, built as a two-migration Prisma history, and
/// renders it with only the hazards of `rule` (none for `impact`).
fn explain_case(case: &str, rule: &str) -> (Explained, String) {
    let mode = if case.starts_with(SPLIT_MARKER) {
        ApplyMode::Split
    } else {
        ApplyMode::Batch
    };
    let (dir, history) = cases::history(case);
    let target = Target::Migration(history, cases::FORWARD.into());
    let report = explain(&target, mode).expect("explain");
    let text = render(&for_rule(report.clone(), rule), ExplainFormat::Human)
        .replace(&dir.path().display().to_string(), "[migrations]");
    (report, text)
}

/// The report with only the hazards of `rule`.
fn for_rule(mut report: Explained, rule: &str) -> Explained {
    for statement in report.migrations.iter_mut().flat_map(|m| &mut m.statements) {
        statement.hazards.retain(|h| h.rule.id() == rule);
    }
    report
}

/// `(rule folder, case path)` for every case, sorted.
fn case_files() -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    for folder in std::fs::read_dir(root().join("tests/cases/explain")).expect("cases") {
        let folder = folder.expect("folder").path();
        for case in std::fs::read_dir(&folder).expect("rule folder") {
            let path = case.expect("case").path();
            if path.extension().is_some_and(|e| e == "sql") {
                files.push((cases::folder(&path), path));
            }
        }
    }
    files.sort();
    files
}

/// Every case, snapshotted as `snapshots/explain/<rule-id>__<case>.snap`. `insta::glob!`
/// runs them all and then reports every mismatch, not only the first; a case that does not
/// fire (or stay quiet) as its name says fails after all of them ran, naming each.
#[test]
fn explain_rules() {
    let mut wrong = Vec::new();
    insta::glob!("cases/explain", "*/*.sql", |path| {
        let rule = cases::folder(path);
        let case = std::fs::read_to_string(path).expect("read case");
        let name = path.file_stem().expect("case name").to_string_lossy();
        let (report, text) = explain_case(&case, &rule);
        // A case named `fires*` must find its rule; one named `quiet*` must not.
        let found = report.hazards().any(|h| h.rule.id() == rule);
        if name.starts_with("fires") && !found {
            wrong.push(format!(
                "{}: expected a {rule} hazard\n{text}",
                path.display()
            ));
        }
        if name.starts_with("quiet") && found {
            wrong.push(format!(
                "{}: expected no {rule} hazard\n{text}",
                path.display()
            ));
        }
        // Named after the rule and case.
        cases::snapshot_settings("../snapshots/explain", &case)
            .bind(|| insta::assert_snapshot!(format!("{rule}__{name}"), text));
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// Every rule has cases, one that fires and one that stays quiet, and a documentation page;
/// every page and case folder belongs to a rule.
#[test]
fn every_rule_has_cases_and_a_page() {
    let cases = case_files();
    for rule in Rule::ALL {
        let id = rule.id();
        for prefix in ["fires", "quiet"] {
            assert!(
                cases.iter().any(|(r, p)| r == id
                    && p.file_stem()
                        .is_some_and(|s| s.to_string_lossy().starts_with(prefix))),
                "rule {id} needs a case tests/cases/explain/{id}/{prefix}*.sql"
            );
        }
        let page = root().join("docs/rules").join(format!("{id}.md"));
        let text = std::fs::read_to_string(&page)
            .unwrap_or_else(|_| panic!("rule {id} needs its page {}", page.display()));
        assert!(
            text.starts_with(&format!("# {id}\n")),
            "{} must start with `# {id}`",
            page.display()
        );
    }
    for (folder, _) in &cases {
        assert!(
            folder == "impact" || Rule::from_id(folder).is_some(),
            "tests/cases/explain/{folder} names no rule"
        );
    }
    for page in std::fs::read_dir(root().join("docs/rules")).expect("docs/rules") {
        let name = page
            .expect("page")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let id = name.strip_suffix(".md").expect("a .md page");
        assert!(
            Rule::from_id(id).is_some(),
            "docs/rules/{name} names no rule"
        );
    }
}

/// Both corpora explain without error; the counts per rule are printed for the record
/// (`cargo test --test explain -- --nocapture corpora`).
#[test]
fn corpora_explain_without_error() {
    for corpus in ["langfuse", "triggerdev"] {
        let Some(dir) = unmigrate::corpus::for_test(corpus) else {
            continue;
        };
        let history = read_history(&dir).expect("corpus history reads");
        let count = history.migrations.len();
        let report = explain(&Target::History(history), ApplyMode::Batch).expect("explains");
        assert_eq!(report.migrations.len(), count);
        println!("{corpus}: {} statements", report.statement_count());
        for (rule, n) in report.counts() {
            println!("  {n:>5}  {rule}");
        }
    }
}
