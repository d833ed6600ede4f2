//! `unmigrate rule [ID]`: the rules, or one rule's documentation (as `ruff rule` does).
//! Everything printed comes from the rules' declarations, like the pages in `docs/rules/`
//! (explain rules) and `docs/undo-rules/` (undo rules). An id names one rule of either kind:
//! undo rules' ids start with `undo-`, and a test checks that no id is declared twice.

use std::fmt::Write;

use super::{write_stdout, EXIT_OK};
use crate::explain::Rule;
use crate::undo::UndoRule;

#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// A rule id (explain or undo): print its documentation. Without it, every rule with its
    /// kind and a one-line summary.
    pub id: Option<String>,
}

pub(super) fn run(args: &RuleArgs) -> anyhow::Result<i32> {
    let text = match &args.id {
        None => list(),
        Some(id) => match page(id) {
            Some(page) => page,
            None => anyhow::bail!("{}", unknown(id)),
        },
    };
    write_stdout(text.as_bytes())?;
    Ok(EXIT_OK)
}

/// The page of the rule `id`, of either kind.
fn page(id: &str) -> Option<String> {
    let explain = Rule::from_id(id).map(Rule::page);
    explain.or_else(|| UndoRule::from_id(id).map(UndoRule::page))
}

/// Every rule as (kind, id, summary): explain rules, then undo rules.
fn all() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    let explain = Rule::ALL
        .iter()
        .map(|r| ("explain", r.id(), r.about().summary()));
    let undo = UndoRule::ALL
        .iter()
        .map(|r| ("undo", r.id(), r.about().summary()));
    explain.chain(undo)
}

/// One line per rule: its kind, id and summary.
fn list() -> String {
    let width = all().map(|(_, id, _)| id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (kind, id, summary) in all() {
        let _ = writeln!(out, "{kind:7}  {id:width$}  {summary}");
    }
    out
}

fn unknown(id: &str) -> String {
    let hint = match crate::suggest::nearest(id, all().map(|(_, candidate, _)| candidate)) {
        Some(candidate) => format!("; did you mean {candidate}?"),
        None => String::new(),
    };
    // The message is escaped for the terminal where errors are printed.
    format!("no rule {id}{hint} (`unmigrate rule` lists them)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_a_close_id() {
        assert_eq!(
            unknown("drop-colum"),
            "no rule drop-colum; did you mean drop-column? (`unmigrate rule` lists them)"
        );
        assert_eq!(
            unknown("nope"),
            "no rule nope (`unmigrate rule` lists them)"
        );
    }

    #[test]
    fn lists_every_rule() {
        assert_eq!(
            list().lines().count(),
            Rule::ALL.len() + UndoRule::ALL.len()
        );
    }

    /// An id names one rule of one kind: `unmigrate rule ID` never has to choose.
    #[test]
    fn ids_are_unique_across_kinds() {
        let mut seen = std::collections::BTreeMap::new();
        for (kind, id, _) in all() {
            if let Some(other) = seen.insert(id, kind) {
                panic!("{id} is both an {other} rule and an {kind} rule");
            }
        }
        assert!(Rule::ALL.iter().all(|r| !r.id().starts_with("undo-")));
        assert!(UndoRule::ALL.iter().all(|r| r.id().starts_with("undo-")));
    }

    #[test]
    fn suggests_a_close_undo_id() {
        assert_eq!(
            unknown("undo-drop-colum"),
            "no rule undo-drop-colum; did you mean undo-drop-column? (`unmigrate rule` lists them)"
        );
    }
}
