//! Every undo rule's declaration against the rest of the repository: each example's forward
//! migration gets exactly the documented undo and verdict, and each page under
//! `docs/undo-rules/` is what the declaration generates. `UNMIGRATE_WRITE_DOCS=1 cargo test
//! --lib undo::rule` rewrites the pages (`just rule-docs`).

use std::path::{Path, PathBuf};

use super::UndoRule;
use crate::catalog::Catalog;
use crate::rule_pages::Example;
use crate::sql::{self, NodeEnum};
use crate::undo::{render, undo_migration, Placement, Verdict};

/// An example of a rule's page: its forward migration (after its earlier ones), then the undo
/// unmigrate writes for it and its verdict.
#[derive(Debug)]
struct UndoExample {
    forward: Example,
    /// The undo statements, in the order they run, each ending in `;` (a `CONCURRENTLY` one
    /// followed by `-- in a migration of its own`, a validation by `-- in a later transaction`);
    /// "" for none.
    undo: String,
    verdict: Option<Verdict>,
}

/// The examples of a rule's page: each a SQL block, then a paragraph `Its undo, **verdict**`
/// and, when that ends in `:`, a SQL block of the undo.
fn examples(rule: &UndoRule) -> Vec<UndoExample> {
    let doc = rule.about();
    let section = match doc.section("Examples") {
        many if !many.is_empty() => many,
        _ => doc.section("Example"),
    };
    let mut examples: Vec<UndoExample> = Vec::new();
    let mut undo_follows = false;
    for (i, piece) in section.split("```").enumerate() {
        let is_code = i % 2 == 1;
        match (examples.last_mut(), verdict_said(piece)) {
            (Some(last), _) if is_code && undo_follows => {
                last.undo = Example::parse(piece).sql;
                undo_follows = false;
            }
            _ if is_code => examples.push(UndoExample {
                forward: Example::parse(piece),
                undo: String::new(),
                verdict: None,
            }),
            (Some(last), Some(verdict)) => {
                last.verdict = Some(verdict);
                undo_follows = piece.trim_end().ends_with(':');
            }
            _ => {}
        }
    }
    examples
}

/// The verdict a paragraph `Its undo, **verdict**…` names.
fn verdict_said(paragraph: &str) -> Option<Verdict> {
    let said = paragraph.trim().strip_prefix("Its undo, **")?;
    [Verdict::Exact, Verdict::Lossy, Verdict::Manual]
        .into_iter()
        .find(|v| said.starts_with(&format!("{v}**")))
}

/// The undo of an example's migration, folded after its earlier migrations, written as its
/// page documents it, with its verdict.
fn undone(example: &Example) -> (String, Verdict) {
    let parse = |text: &str| -> Vec<NodeEnum> {
        sql::parse_file(Path::new("example.sql"), text)
            .expect("the example parses")
            .into_iter()
            .map(|s| s.node)
            .collect()
    };
    let mut catalog = Catalog::default();
    undo_migration(&mut catalog, parse(&example.before));
    let mut undos = undo_migration(&mut catalog, parse(&example.sql));
    undos.iter_mut().for_each(render);
    let verdict = Verdict::least_exact(undos.iter().map(|u| u.verdict));
    let lines: Vec<String> = undos
        .iter()
        .rev()
        .flat_map(|u| &u.statements)
        .map(|s| match (s.concurrent, s.placement) {
            (true, _) => format!("{}; -- in a migration of its own", s.sql),
            (false, Placement::Later) => format!("{}; -- in a later transaction", s.sql),
            (false, _) => format!("{};", s.sql),
        })
        .collect();
    (lines.join("\n"), verdict)
}

#[test]
fn every_example_gets_its_documented_undo_and_verdict() {
    let mut wrong = Vec::new();
    for rule in UndoRule::ALL {
        for (i, example) in examples(rule).iter().enumerate() {
            let (undo, verdict) = undone(&example.forward);
            if undo != example.undo || Some(verdict) != example.verdict {
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
    let docs: Vec<_> = UndoRule::ALL.iter().map(|rule| rule.about()).collect();
    crate::rule_pages::check_declarations("src/undo", &docs);
    for rule in UndoRule::ALL {
        let doc = rule.about();
        assert!(doc.id.starts_with("undo-"), "{rule}: ids start with undo-");
        assert!(
            !doc.section("Undoes").is_empty(),
            "{rule}: says what it undoes"
        );
        assert!(!examples(rule).is_empty(), "{rule}: has an example");
        for case in doc.section("Cases").split('`').skip(1).step_by(2) {
            assert!(root().join(case).exists(), "{rule}: no case {case}");
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
