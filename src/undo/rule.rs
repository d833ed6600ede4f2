//! Undo rules, declared once. Each rule family's file declares, beside the function that
//! writes an undo, a `const` [`UndoRule`] whose [`UndoRuleDoc`] holds its stable id, the forward
//! statements it undoes, its verdicts and why, and an example whose undo a test checks: the
//! example's forward migration, folded after its earlier migrations, must produce exactly the
//! documented undo and verdict. `unmigrate rule` lists them beside the explain rules, and
//! `docs/undo-rules/<id>.md` is generated from them ([`UndoRule::page`]).
//!
//! Ids start with `undo-` and name the forward statement undone (`undo-drop-column`), so an id
//! says which kind of rule it is and never collides with an explain rule's id.

use crate::rule_pages::{section, sentence};
use std::fmt::Write;

use super::{columns, constraints, data, enums, indexes, maintenance, objects, renames};
use super::{session, tables, temporary, views, Verdict};

/// Declares an undo rule of the family file it stands in, beside the function that writes its
/// undo: `undo_rule!(NAME { id: …, summary: …, … })` is `pub(super) const NAME: UndoRule`
/// over an [`UndoRuleDoc`] with those fields, its `family` the file's name.
macro_rules! undo_rule {
    ($name:ident { $($field:ident: $value:expr),+ $(,)? }) => {
        pub(super) const $name: $crate::undo::rule::UndoRule =
            $crate::undo::rule::UndoRule::new(&$crate::undo::rule::UndoRuleDoc {
                family: $crate::rule_pages::family(module_path!()),
                $($field: $value),+
            });
    };
}
pub(super) use undo_rule;

/// An undo rule: a reference to its declaration beside its code.
#[derive(Clone, Copy)]
pub struct UndoRule(&'static UndoRuleDoc);

/// Everything said about an undo rule, in one place.
#[derive(Debug)]
pub struct UndoRuleDoc {
    /// The stable id: `undo-` and the forward statement it undoes, in kebab-case.
    pub id: &'static str,
    /// The family, the name of the file under `src/undo/` it is declared in (`undo_rule!` fills
    /// it in).
    pub family: &'static str,
    /// One line for `unmigrate rule`: what it undoes, in a few words.
    pub summary: &'static str,
    /// The forward statements it undoes, as SQL shapes (`ALTER TABLE … ADD COLUMN`).
    pub undoes: &'static [&'static str],
    /// What the undo does (Markdown).
    pub how: &'static str,
    /// Its verdicts, and why each (Markdown).
    pub verdicts: &'static str,
    /// Forward migrations and the undo each gets; every one is checked by a test.
    pub examples: &'static [UndoExample],
    /// Its fixtures: `tests/cases/<family>/<case>.sql`, snapshotted as `<family>__<case>`.
    pub cases: &'static [&'static str],
}

/// A forward migration of a rule's documentation and the undo unmigrate writes for it.
#[derive(Debug)]
pub struct UndoExample {
    /// The earlier migrations, folded into the model first ("" for none).
    pub before: &'static str,
    /// The migration undone.
    pub forward: &'static str,
    /// The undo statements, in the order they run, each ending in `;` on a line of its own
    /// (a `CONCURRENTLY` one followed by `-- in a migration of its own`); "" for none.
    pub undo: &'static str,
    /// The verdict of the whole undo.
    pub verdict: Verdict,
}

impl UndoRule {
    pub const fn new(doc: &'static UndoRuleDoc) -> UndoRule {
        UndoRule(doc)
    }

    /// Every undo rule, family by family, in the order `unmigrate rule` lists them.
    pub const ALL: &'static [UndoRule] = &registry::<{ count(FAMILIES) }>(FAMILIES);

    /// The stable id: the name of its documentation page.
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// Its declaration: summary, documentation and examples.
    pub fn about(self) -> &'static UndoRuleDoc {
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
        let doc = self.about();
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", doc.id);
        let _ = writeln!(out, "{}.\n", sentence(doc.summary));
        let _ = writeln!(
            out,
            "Undo rule of family `{0}` (`src/undo/{0}.rs`). Stable id: never renamed or reused.\n",
            doc.family
        );
        let undoes: Vec<String> = doc.undoes.iter().map(|s| format!("- `{s}`")).collect();
        section(&mut out, "Undoes", &undoes.join("\n"));
        section(&mut out, "The undo", doc.how);
        section(&mut out, "Verdict", doc.verdicts);
        let examples: Vec<String> = doc.examples.iter().map(example).collect();
        let title = if doc.examples.len() == 1 {
            "Example"
        } else {
            "Examples"
        };
        section(&mut out, title, &examples.join("\n\n"));
        section(&mut out, "Cases", &cases(doc));
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
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

const fn count(families: &[&[UndoRule]]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < families.len() {
        n += families[i].len();
        i += 1;
    }
    n
}

/// The families' lists, one after the other.
const fn registry<const N: usize>(families: &[&[UndoRule]]) -> [UndoRule; N] {
    let mut all = [families[0][0]; N];
    let (mut n, mut i) = (0, 0);
    while i < families.len() {
        let mut j = 0;
        while j < families[i].len() {
            all[n] = families[i][j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    all
}

/// An example: the forward migration (after its earlier ones), then its undo and verdict.
fn example(e: &UndoExample) -> String {
    let forward = e.forward.trim();
    let forward = if e.before.trim().is_empty() {
        format!("```sql\n{forward}\n```")
    } else {
        format!(
            "```sql\n-- earlier migrations\n{}\n\n-- this migration\n{forward}\n```",
            e.before.trim()
        )
    };
    let verdict = e.verdict;
    match e.undo.trim() {
        "" if verdict == Verdict::Manual => format!(
            "{forward}\n\nIts undo, **{verdict}**: no statement; the undo file holds a manual block that fails until it is written."
        ),
        "" => format!("{forward}\n\nIts undo, **{verdict}**: no statement, nothing to undo."),
        sql => format!("{forward}\n\nIts undo, **{verdict}**:\n\n```sql\n{sql}\n```"),
    }
}

fn cases(doc: &UndoRuleDoc) -> String {
    if doc.cases.is_empty() {
        return "None yet: the examples above are its only tests.".to_string();
    }
    doc.cases
        .iter()
        .map(|case| {
            format!(
                "- `tests/cases/{0}/{case}.sql` (snapshot `snapshots/{0}__{case}.snap`)",
                doc.family
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
