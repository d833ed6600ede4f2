//! Zero-downtime hazard rules. One file per family; every rule is declared once there, beside
//! its code, as a `const` [`Rule`] (written `rule!(NAME { … })`) whose [`RuleDoc`] holds its
//! stable id (never renamed or reused: CI configurations name them in `--fail-on`), a summary,
//! and its documentation: what it finds, why it hurts, what to write instead, and an example
//! that fires and one that stays quiet (both explained by a test). `unmigrate rule` prints it
//! and `docs/rules/<id>.md` is generated from it ([`page`]).
//!
//! A rule reads one statement and its [`Context`] (the model just before the statement, the
//! whole file) and returns hazards; rules never see each other's results.

/// Declares a rule of the family file it stands in, beside its code:
/// `rule!(NAME { id: …, summary: …, … })` is `pub(super) const NAME: Rule` over a
/// [`RuleDoc`] with those fields, its `family` the file's name.
macro_rules! rule {
    ($name:ident { $($field:ident: $value:expr),+ $(,)? }) => {
        pub(super) const $name: $crate::explain::Rule =
            $crate::explain::Rule::new(&$crate::explain::rules::RuleDoc {
                family: $crate::rule_pages::family(module_path!()),
                $($field: $value),+
            });
    };
}

mod columns;
mod compat;
mod constraints;
mod docs;
mod indexes;
mod maintenance;
#[cfg(test)]
mod tests;
mod timeouts;
mod transactions;

use serde::{Serialize, Serializer};

pub use docs::page;

use super::{Context, Impact};
use crate::sql::NodeEnum;

/// A hazard rule: a reference to its declaration. Every rule is declared once, as a
/// `const` [`Rule`] beside the code that finds it in its family's file; the registry
/// ([`Rule::ALL`]), `unmigrate rule` and the pages under `docs/rules/` are derived from it.
#[derive(Clone, Copy)]
pub struct Rule(&'static RuleDoc);

/// Everything said about a rule, in one place.
#[derive(Debug)]
pub struct RuleDoc {
    /// The stable id: never renamed or reused (CI configurations name it in `--fail-on`).
    pub id: &'static str,
    /// The family, the name of the file under `src/explain/rules/` it is declared in (`rule!`
    /// fills it in).
    pub family: &'static str,
    /// One line for `unmigrate rule`: what it finds, in a few words.
    pub summary: &'static str,
    /// What it finds, precisely (Markdown).
    pub finds: &'static str,
    /// Why it hurts a live system (Markdown).
    pub why: &'static str,
    /// A migration this rule reports.
    pub fires: Example,
    /// What to write instead (Markdown).
    pub instead: &'static str,
    /// A migration close to `fires` that this rule does not report.
    pub quiet: Example,
    /// PostgreSQL facts behind the rule, with links (Markdown).
    pub facts: &'static str,
    /// squawk's closest rule, for users coming from it (Markdown).
    pub squawk: &'static str,
}

/// An example migration of a rule's documentation; both examples of every rule are explained
/// by a test.
#[derive(Debug)]
pub struct Example {
    /// The earlier migrations, folded into the model first ("" for none: every table the
    /// example names is then unknown, and assumed to exist and hold rows).
    pub before: &'static str,
    /// The migration explained.
    pub sql: &'static str,
}

impl Rule {
    pub const fn new(doc: &'static RuleDoc) -> Rule {
        Rule(doc)
    }

    /// Every rule, family by family, in the order `unmigrate rule` and report summaries
    /// list them.
    pub const ALL: &'static [Rule] = &registry::<{ count(FAMILIES) }>(FAMILIES);

    /// The stable id: the name of its documentation page and of `--fail-on` values.
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// Its declaration: summary, documentation and examples.
    pub fn about(self) -> &'static RuleDoc {
        self.0
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Where its documentation lives, relative to the repository.
    pub fn doc(self) -> String {
        format!("docs/rules/{}.md", self.id())
    }
}

/// Each family's name (its file under `src/explain/rules/`) and rule list, in registry order
/// (a new family is added here and in [`check`]).
const FAMILIES: &[(&str, &[Rule])] = &[
    ("columns", columns::RULES),
    ("indexes", indexes::RULES),
    ("constraints", constraints::RULES),
    ("transactions", transactions::RULES),
    ("compat", compat::RULES),
    ("maintenance", maintenance::RULES),
    ("timeouts", timeouts::RULES),
];

const fn count(families: &[(&str, &[Rule])]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < families.len() {
        n += families[i].1.len();
        i += 1;
    }
    n
}

/// The families' lists, one after the other.
const fn registry<const N: usize>(families: &[(&str, &[Rule])]) -> [Rule; N] {
    let mut all = [families[0].1[0]; N];
    let (mut n, mut i) = (0, 0);
    while i < families.len() {
        let rules = families[i].1;
        let mut j = 0;
        while j < rules.len() {
            all[n] = rules[j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    all
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Rule {}

impl std::hash::Hash for Rule {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state)
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rule({})", self.id())
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One hazard found in one statement. A history's report holds one for most statements, so
/// what is the same for every hazard of a rule (most help texts, the doc page) is not copied.
#[derive(Debug, Clone)]
pub struct Hazard {
    pub rule: Rule,
    /// What is wrong here, naming the objects.
    pub message: String,
    /// What to write instead.
    pub help: std::borrow::Cow<'static, str>,
}

impl Hazard {
    pub fn new(
        rule: Rule,
        message: impl Into<String>,
        help: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Self {
        Hazard {
            rule,
            message: message.into(),
            help: help.into(),
        }
    }

    /// The rule's documentation page.
    pub fn doc(&self) -> String {
        self.rule.doc()
    }
}

impl Serialize for Hazard {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut hazard = s.serialize_struct("Hazard", 4)?;
        hazard.serialize_field("rule", &self.rule)?;
        hazard.serialize_field("message", &self.message)?;
        hazard.serialize_field("help", &self.help)?;
        hazard.serialize_field("doc", &self.doc())?;
        hazard.end()
    }
}

/// Every hazard of one statement, family by family. `impact` is the statement's own
/// documented impact (see [`super::impact`]).
pub fn check(ctx: &Context<'_>, node: &NodeEnum, impact: &Impact) -> Vec<Hazard> {
    let mut out = Vec::new();
    columns::check(ctx, node, impact, &mut out);
    constraints::check(ctx, node, impact, &mut out);
    indexes::check(ctx, node, impact, &mut out);
    transactions::check(ctx, node, impact, &mut out);
    compat::check(ctx, node, impact, &mut out);
    maintenance::check(ctx, node, impact, &mut out);
    timeouts::check(ctx, node, impact, &mut out);
    out
}

/// The `ALTER TABLE` commands of a statement on a table (not an index or view), with the
/// table's name.
pub(super) fn table_cmds(
    node: &NodeEnum,
) -> Option<(
    crate::sql::QName,
    impl Iterator<Item = &crate::sql::pb::AlterTableCmd>,
)> {
    let NodeEnum::AlterTableStmt(s) = node else {
        return None;
    };
    if s.objtype != crate::sql::pb::ObjectType::ObjectTable as i32 {
        return None;
    }
    let table = crate::sql::QName::from_range_var(s.relation.as_ref()?);
    let cmds = s.cmds.iter().filter_map(|c| match &c.node {
        Some(NodeEnum::AlterTableCmd(cmd)) => Some(&**cmd),
        _ => None,
    });
    Some((table, cmds))
}
