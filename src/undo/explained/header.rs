//! The header's lines on what `explain` finds in an undo's file, and why the undo keeps
//! each hazard.

use std::fmt::Write;

use super::FileHazards;
use crate::migrations::Layout;
use crate::untrusted;

/// How many lines the header gives to explain: one that says none was found, or a blank
/// comment line, a heading, one line per hazard listed and one for the rest. `None`: the
/// file was not explained.
pub(super) fn header_lines_for(found: Option<&FileHazards>) -> usize {
    match found {
        None => 0,
        Some(f) if f.too_large.is_some() || f.is_empty() => 1,
        Some(f) => 2 + f.listed.len() + usize::from(!f.more.is_empty()),
    }
}

/// Why an undo keeps a hazard of each rule it cannot avoid: what the undo must do that the
/// rule warns of. Any other rule gets [`NO_WAY_AROUND`].
pub(super) const KEPT: &[(&[&str], &str)] = &[
    (
        &["alter-column-type-rewrites-table", "whole-table-rewrite"],
        "the type change back rewrites the table; PostgreSQL has no online way to do it",
    ),
    (
        &["add-column-rewrites-table"],
        "the column comes back with the default it had, which only a rewrite gives every row",
    ),
    (
        &["drop-column", "drop-table"],
        "the previous release does not have it: the forward added it, or this undo made it as a stand-in",
    ),
    (
        &["rename-column", "rename-table", "rename-enum-value"],
        "it restores a name the previous release uses, or is a step of that",
    ),
    (
        &["drop-default-of-not-null-column"],
        "the column had no default before the forward migration",
    ),
    (
        &["backfill-holding-ddl-lock"],
        "the data goes back in the same transaction as the schema change it depends on",
    ),
    (
        &["missing-lock-timeout"],
        "generate --lock-timeout 0 or off: the undo sets none",
    ),
];

/// Why a hazard of a rule an undo could avoid is kept: it should not be there.
pub(super) const NO_WAY_AROUND: &str =
    "unmigrate has no way around it yet (a bug if an undo can always avoid this rule); review before deploying";

/// Why an undo keeps a hazard of `rule`, where `explain` does not say why it is unavoidable.
pub(super) fn why_kept(rule: &str) -> &'static str {
    kept_by_design(rule).unwrap_or(NO_WAY_AROUND)
}

/// Why an undo keeps hazards of `rule` by design, if it does (the list above): `None` for a
/// rule an undo should avoid.
pub fn kept_by_design(rule: &str) -> Option<&'static str> {
    KEPT.iter()
        .find(|(rules, _)| rules.contains(&rule))
        .map(|(_, why)| *why)
}

/// The header's lines on what `explain` finds in the file: each hazard, or that there is none.
/// `layout`'s tool runs the file: Prisma's in an apply mode (explain judges batch mode, the mode
/// the files are cut for), the others as their tool does.
pub fn header_lines(
    out: &mut impl Write,
    found: Option<&FileHazards>,
    layout: Layout,
) -> std::fmt::Result {
    let how = match layout {
        Layout::Prisma => "batch mode".to_string(),
        tool => format!("as {tool} runs the file"),
    };
    let Some(found) = found else {
        return Ok(());
    };
    if let Some(statements) = found.too_large {
        return writeln!(
            out,
            "-- explain was not run on this file: its {statements} statements are over 1 MB of SQL; run unmigrate explain on it before deploying"
        );
    }
    if found.is_empty() {
        return writeln!(out, "-- explain ({how}) finds no hazard in this file");
    }
    writeln!(
        out,
        "--\n-- explain ({how}) finds {} hazard(s) in this file (at these lines of it):",
        found.len()
    )?;
    for h in &found.listed {
        writeln!(
            out,
            "--   line {}: {}: {} (kept: {})",
            h.line,
            h.rule,
            untrusted::sql_comment(&h.message),
            h.kept
        )?;
    }
    if !found.more.is_empty() {
        let more: usize = found.more.iter().map(|(_, n)| n).sum();
        let by_rule: Vec<String> = found
            .more
            .iter()
            .map(|(rule, n)| format!("{rule} ×{n}"))
            .collect();
        writeln!(
            out,
            "--   … and {more} more: {} (unmigrate explain lists each)",
            by_rule.join(", ")
        )?;
    }
    Ok(())
}
