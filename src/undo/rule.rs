//! Undo rules, declared once. Each rule family's file declares, beside the function that
//! writes an undo, a `const` [`UndoRule`] written `undo_rule! { /// … NAME = "id"; }`: its
//! stable id and a doc comment that is its documentation page, ruff-style. The comment's first
//! line is the summary; then come the sections `## Undoes` (the forward statements), `## The
//! undo`, `## Verdict` (its verdicts and why), `## Example` or `## Examples` and `## Cases`
//! (its fixtures). A test checks every example's undo: its forward migration, folded after its
//! earlier migrations, must produce exactly the documented undo and verdict. `unmigrate rule`
//! lists the rules beside the explain rules, and `docs/undo-rules/<id>.md` is generated from
//! them ([`UndoRule::page`]).
//!
//! Ids start with `undo-` and name the forward statement undone (`undo-drop-column`), so an id
//! says which kind of rule it is and never collides with an explain rule's id.

use crate::rule_pages::{count, registry, RuleDoc};

use super::{columns, constraints, data, enums, indexes, maintenance, objects, renames};
use super::{session, tables, temporary, views};

/// Declares an undo rule of the family file it stands in, beside the function that writes its
/// undo, from its doc comment: `undo_rule! { /// summary … NAME = "id"; }` is
/// `pub(super) const NAME: UndoRule` (see [`crate::rule_pages::declare`]).
macro_rules! undo_rule {
    ($($declaration:tt)+) => {
        $crate::rule_pages::declare!($crate::undo::rule::UndoRule: $($declaration)+);
    };
}
pub(super) use undo_rule;

/// An undo rule: a reference to its declaration beside its code.
#[derive(Clone, Copy)]
pub struct UndoRule(&'static RuleDoc);

impl UndoRule {
    pub const fn new(doc: &'static RuleDoc) -> UndoRule {
        UndoRule(doc)
    }

    /// Every undo rule, family by family, in the order `unmigrate rule` lists them.
    pub const ALL: &'static [UndoRule] = &registry::<UndoRule, { count(FAMILIES) }>(FAMILIES);

    /// The stable id: the name of its documentation page.
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// Its declaration: id, family and documentation.
    pub fn about(self) -> &'static RuleDoc {
        self.0
    }

    pub fn from_id(id: &str) -> Option<UndoRule> {
        UndoRule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Where its documentation lives, relative to the repository.
    pub fn doc(self) -> String {
        format!("docs/undo-rules/{}.md", self.id())
    }

    /// The Markdown page of the rule, as `unmigrate rule ID` prints it and
    /// `docs/undo-rules/<id>.md` holds it.
    pub fn page(self) -> String {
        let about = format!(
            "Undo rule of family `{0}` (`src/undo/{0}.rs`). Stable id: never renamed or reused.",
            self.0.family
        );
        self.0.page(&about)
    }
}

impl std::fmt::Debug for UndoRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UndoRule({})", self.id())
    }
}

impl std::fmt::Display for UndoRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// The families' rule lists, in registry order (a new family is added here).
const FAMILIES: &[&[UndoRule]] = &[
    tables::RULES,
    columns::RULES,
    constraints::RULES,
    indexes::RULES,
    enums::RULES,
    renames::RULES,
    views::RULES,
    objects::RULES,
    data::RULES,
    temporary::RULES,
    session::RULES,
    maintenance::RULES,
];

#[cfg(test)]
mod tests;
