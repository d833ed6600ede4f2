//! Zero-downtime hazard rules. One file per family; every rule is declared once there, beside
//! its code, as a `const` [`Rule`] written `rule! { /// … NAME = "id"; }`: its stable id (never
//! renamed or reused: CI configurations name them in `--fail-on`), and a doc comment that is its
//! documentation page, ruff-style. The comment's first line is the summary; then come the
//! sections `## What it finds`, `## Why it hurts`, `## Example` (a migration that fires),
//! `## Use instead`, `## Not reported` (one that stays quiet; both examples are explained by a
//! test), `## PostgreSQL facts` and `## squawk`. `unmigrate rule` prints the page and
//! `docs/rules/<id>.md` is generated from it ([`Rule::page`]).
//!
//! A rule reads one statement and its [`Context`] (the model just before the statement, the
//! whole file) and returns hazards; rules never see each other's results.

/// Declares a rule of the family file it stands in, beside its code, from its doc comment:
/// `rule! { /// summary … NAME = "id"; }` is `pub(super) const NAME: Rule` (see
/// [`crate::rule_pages::declare`]).
macro_rules! rule {
    ($($declaration:tt)+) => {
        $crate::rule_pages::declare!($crate::explain::Rule: $($declaration)+);
    };
}

mod columns;
mod compat;
mod constraints;
mod indexes;
mod maintenance;
#[cfg(test)]
pub(super) mod tests;
mod timeouts;
mod transactions;

use serde::{Serialize, Serializer};

use super::{Context, Impact};
use crate::rule_pages::{count, registry, RuleKind, RuleOf};
use crate::sql::NodeEnum;

pub use crate::rule_pages::RuleDoc;

/// A hazard rule: a reference to its declaration. Every rule is declared once, as a
/// `const` [`Rule`] beside the code that finds it in its family's file; the registry
/// ([`Rule::ALL`]), `unmigrate rule` and the pages under `docs/rules/` are derived from it.
pub type Rule = RuleOf<Hazards>;

/// The kind of [`Rule`]: registry, pages under `docs/rules/`.
pub enum Hazards {}

impl RuleKind for Hazards {
    const NAME: &'static str = "Rule";
    const ALL: &'static [Rule] = &registry::<Rule, { count(FAMILIES) }>(FAMILIES);
    const PAGES: &'static str = "docs/rules";

    fn about(family: &str, file: &str) -> String {
        format!("Family: `{family}` (`{file}`). Stable id: never renamed or reused.")
    }
}

/// Each family's rule list (the family is the file's name), in registry order (a new family is
/// added here and in [`check`]).
const FAMILIES: &[&[Rule]] = &[
    columns::RULES,
    indexes::RULES,
    constraints::RULES,
    transactions::RULES,
    compat::RULES,
    maintenance::RULES,
    timeouts::RULES,
];

/// The rules whose messages cite the line of another statement of the file (from
/// [`FileFacts::lines`](super::FileFacts::lines)): a report that numbers the lines after
/// it has explained the file must explain it again to cite the right ones.
pub const CITING_LINES: &[Rule] = &[
    transactions::BACKFILL_HOLDING_DDL_LOCK,
    transactions::ENUM_VALUE_ADDED_AND_USED,
];

/// Whether a hazard of a [`CITING_LINES`] rule may be found on `node`: a report that numbers
/// lines after explaining keeps what it needs to explain again only for such files.
pub fn may_cite_lines(node: &NodeEnum) -> bool {
    transactions::may_cite_lines(node)
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
    /// Set when the usual way around does not exist for this statement (a partitioned
    /// table's index has no `CONCURRENTLY` form): why. `generate` says so of its own undo.
    pub unavoidable: Option<&'static str>,
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
            unavoidable: None,
        }
    }

    /// The hazard, with why the usual way around does not exist here.
    pub fn unavoidable(self, why: &'static str) -> Self {
        Hazard {
            unavoidable: Some(why),
            ..self
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
