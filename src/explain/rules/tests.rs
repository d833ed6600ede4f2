//! Every rule's declaration against the rest of the repository: its examples really fire and
//! really stay quiet, and its page under `docs/rules/` is what the declaration generates.
//! `UNMIGRATE_WRITE_DOCS=1 cargo test --lib explain::rules` rewrites the pages (`just
//! rule-docs`).

use std::collections::BTreeSet;
use std::path::Path;

use super::{Rule, FAMILIES};
use crate::catalog::Catalog;
use crate::migrations::{ApplyMode, Transaction};
use crate::rule_pages::Example;
use crate::sql;

/// The example of a rule's page section (`Example` fires, `Not reported` stays quiet).
fn example(rule: &Rule, section: &str) -> Example {
    let section = rule.about().section(section);
    Example::parse(section.split("```").nth(1).unwrap_or_default())
}

/// The rules an example's migration raises, explained after its earlier migrations.
fn raised(example: &Example) -> BTreeSet<&'static str> {
    let sent = (ApplyMode::Batch, Transaction::ApplyMode);
    raised_by(&example.before, &example.sql, sent)
}

/// The rules `sql` raises, sent as `sent` says, explained after the migrations `before`.
pub(in crate::explain) fn raised_by(
    before: &str,
    sql: &str,
    sent: (ApplyMode, Transaction),
) -> BTreeSet<&'static str> {
    hazards_of(before, sql, sent)
        .iter()
        .map(|h| h.rule.id())
        .collect()
}

/// The hazards explain finds in `sql` sent as `sent`, after the earlier migrations `before`.
pub(in crate::explain) fn hazards_of(
    before: &str,
    sql: &str,
    sent: (ApplyMode, Transaction),
) -> Vec<super::Hazard> {
    let path = Path::new("example.sql");
    let mut catalog = Catalog::default();
    for s in sql::statements(path, before) {
        catalog.apply(s.expect("the example's earlier migrations parse").node);
    }
    catalog.end_migration();
    let start = crate::explain::MigrationStart {
        name: "example",
        path,
        with_history: true,
    };
    let mut explained = Vec::new();
    crate::explain::explain_file(&mut catalog, &start, sql, sent, &mut explained)
        .expect("the example parses");
    explained
        .into_iter()
        .flat_map(|m| m.statements)
        .flat_map(|s| s.hazards)
        .collect()
}

#[test]
fn every_fires_example_raises_its_rule() {
    let wrong: Vec<String> = Rule::ALL
        .iter()
        .map(|rule| (rule, raised(&example(rule, "Example"))))
        .filter(|(rule, raised)| !raised.contains(rule.id()))
        .map(|(rule, raised)| format!("{rule}: its example raises only {raised:?}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_quiet_example_raises_its_rule() {
    let wrong: Vec<String> = Rule::ALL
        .iter()
        .filter(|rule| raised(&example(rule, "Not reported")).contains(rule.id()))
        .map(|rule| format!("{rule}: its `Not reported` example raises it"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Ids are unique and kebab-case, summaries are not sentences, every rule of a family's `RULES`
/// has that family, and the family's file declares it.
#[test]
fn ids_are_unique_and_families_name_their_files() {
    let docs: Vec<_> = Rule::ALL.iter().map(|rule| rule.about()).collect();
    crate::rule_pages::check_declarations("src/explain/rules", &docs);
    for rules in FAMILIES {
        let family = rules[0].about().family;
        for rule in *rules {
            assert_eq!(rule.about().family, family, "{rule} is listed in {family}");
        }
    }
}

/// Every page is what its rule's declaration generates, and every page has a rule.
#[test]
fn docs_rules_pages_are_generated() {
    let pages: Vec<_> = Rule::ALL.iter().map(|r| (r.id(), r.page())).collect();
    crate::rule_pages::check_generated("docs/rules", &pages, "explain::rules::tests::docs");
}
