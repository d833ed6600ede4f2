//! Every undo rule's declaration against the rest of the repository: each example's forward
//! migration gets exactly the documented undo and verdict, and each page under
//! `docs/undo-rules/` is what the declaration generates. `UNMIGRATE_WRITE_DOCS=1 cargo test
//! --lib undo::rule` rewrites the pages (`just rule-docs`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{UndoExample, UndoRule};
use crate::catalog::Catalog;
use crate::sql::{self, NodeEnum};
use crate::undo::{render, undo_migration, Verdict};

/// The undo of an example's migration, folded after its earlier migrations, written as
/// [`UndoExample::undo`] documents it, with its verdict.
fn undone(example: &UndoExample) -> (String, Verdict) {
    let parse = |text: &str| -> Vec<NodeEnum> {
        sql::parse_file(Path::new("example.sql"), text)
            .expect("the example parses")
            .into_iter()
            .map(|s| s.node)
            .collect()
    };
    let mut catalog = Catalog::default();
    undo_migration(&mut catalog, parse(example.before));
    let mut undos = undo_migration(&mut catalog, parse(example.forward));
    undos.iter_mut().for_each(render);
    let verdict = Verdict::least_exact(undos.iter().map(|u| u.verdict));
    let lines: Vec<String> = undos
        .iter()
        .rev()
        .flat_map(|u| &u.statements)
        .map(|s| match s.concurrent {
            true => format!("{}; -- in a migration of its own", s.sql),
            false => format!("{};", s.sql),
        })
        .collect();
    (lines.join("\n"), verdict)
}

#[test]
fn every_example_gets_its_documented_undo_and_verdict() {
    let mut wrong = Vec::new();
    for rule in UndoRule::ALL {
        for (i, example) in rule.about().examples.iter().enumerate() {
            let (undo, verdict) = undone(example);
            if undo != example.undo.trim() || verdict != example.verdict {
                wrong.push(format!(
                    "{rule}, example {}: the undo is {verdict}:\n{undo}\n",
                    i + 1
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn ids_are_unique_and_families_name_their_files() {
    let ids: BTreeSet<&str> = UndoRule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), UndoRule::ALL.len(), "an id is declared twice");
    for rule in UndoRule::ALL {
        let doc = rule.about();
        let rest = doc.id.strip_prefix("undo-").unwrap_or("");
        assert!(
            !rest.is_empty() && rest.split('-').all(|w| !w.is_empty()),
            "{rule}: ids are undo- and kebab-case words"
        );
        assert!(
            doc.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{rule}: ids are kebab-case"
        );
        let file = root().join(format!("src/undo/{}.rs", doc.family));
        let source = std::fs::read_to_string(&file)
            .unwrap_or_else(|_| panic!("{rule}: no family file {}", file.display()));
        assert!(
            source.contains(&format!("id: \"{}\",", doc.id)),
            "{rule} is not declared in {}",
            file.display()
        );
        assert!(
            !doc.summary.ends_with('.'),
            "{rule}: a summary is not a sentence"
        );
        assert!(!doc.undoes.is_empty(), "{rule}: says what it undoes");
        assert!(!doc.examples.is_empty(), "{rule}: has an example");
        for case in doc.cases {
            let path = root().join(format!("tests/cases/{}/{case}.sql", doc.family));
            assert!(path.exists(), "{rule}: no case {}", path.display());
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every page is what its rule's declaration generates, and every page has a rule.
#[test]
fn docs_undo_rules_pages_are_generated() {
    let pages: Vec<_> = UndoRule::ALL.iter().map(|r| (r.id(), r.page())).collect();
    crate::rule_pages::check_generated("docs/undo-rules", &pages, "undo::rule::tests::docs");
}
