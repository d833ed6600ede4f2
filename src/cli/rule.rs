//! `unmigrate rule [ID]`: the rules, or one rule's documentation (as `ruff rule` does).
//! Everything printed comes from the rules' declarations, like the pages in `docs/rules/`.

use std::fmt::Write;

use super::{write_stdout, EXIT_OK};
use crate::explain::{rules, Rule};

#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// A rule id: print its documentation. Without it, every rule with a one-line summary.
    pub id: Option<String>,
}

pub(super) fn run(args: &RuleArgs) -> anyhow::Result<i32> {
    let text = match &args.id {
        None => list(),
        Some(id) => match Rule::from_id(id) {
            Some(rule) => rules::page(rule),
            None => anyhow::bail!("{}", unknown(id)),
        },
    };
    write_stdout(text.as_bytes())?;
    Ok(EXIT_OK)
}

/// One line per rule: its kind (only `explain` rules have ids so far), id and summary.
fn list() -> String {
    let width = Rule::ALL.iter().map(|r| r.id().len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in Rule::ALL {
        let _ = writeln!(
            out,
            "explain  {:width$}  {}",
            rule.id(),
            rule.about().summary
        );
    }
    out
}

fn unknown(id: &str) -> String {
    let closest = Rule::ALL
        .iter()
        .map(|r| (distance(id, r.id()), r.id()))
        .min()
        .filter(|(d, candidate)| *d <= candidate.len().max(id.len()) / 3);
    let hint = match closest {
        Some((_, candidate)) => format!("; did you mean {candidate}?"),
        None => String::new(),
    };
    // The message is escaped for the terminal where errors are printed.
    format!("no rule {id}{hint} (`unmigrate rule` lists them)")
}

/// Levenshtein distance, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
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
        assert_eq!(list().lines().count(), Rule::ALL.len());
    }
}
