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

use crate::rule_pages::{count, registry, RuleKind, RuleOf};

use super::{
    columns, composites, constraints, data, do_blocks, enums, indexes, maintenance, objects,
    renames,
};
use super::{sequences, session, tables, temporary, views};

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
pub type UndoRule = RuleOf<Undos>;

/// The kind of [`UndoRule`]: registry, pages under `docs/undo-rules/`.
pub enum Undos {}

impl RuleKind for Undos {
    const NAME: &'static str = "UndoRule";
    const ALL: &'static [UndoRule] = &registry::<UndoRule, { count(FAMILIES) }>(FAMILIES);
    const PAGES: &'static str = "docs/undo-rules";

    fn about(family: &str, file: &str) -> String {
        format!("Undo rule of family `{family}` (`{file}`). Stable id: never renamed or reused.")
    }
}

/// The families' rule lists, in registry order (a new family is added here).
const FAMILIES: &[&[UndoRule]] = &[
    tables::RULES,
    columns::RULES,
    constraints::RULES,
    indexes::RULES,
    enums::RULES,
    composites::RULES,
    renames::RULES,
    views::RULES,
    objects::RULES,
    sequences::RULES,
    data::RULES,
    do_blocks::RULES,
    temporary::RULES,
    session::RULES,
    maintenance::RULES,
];

#[cfg(test)]
mod tests;
