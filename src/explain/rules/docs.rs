//! A rule's documentation page, as `unmigrate rule ID` prints it and `docs/rules/<id>.md`
//! holds it: both come from the rule's declaration, and a test fails when a page drifts.

use crate::rule_pages::{section, sentence};
use std::fmt::Write;

use super::{Example, Rule};

/// The Markdown page of a rule.
pub fn page(rule: Rule) -> String {
    let doc = rule.about();
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", doc.id);
    let _ = writeln!(out, "{}.\n", sentence(doc.summary));
    let _ = writeln!(
        out,
        "Family: `{0}` (`src/explain/rules/{0}.rs`). Stable id: never renamed or reused.\n",
        doc.family
    );
    section(&mut out, "What it finds", doc.finds);
    section(&mut out, "Why it hurts", doc.why);
    section(&mut out, "Example", &example(&doc.fires));
    section(&mut out, "Use instead", doc.instead);
    section(&mut out, "Not reported", &example(&doc.quiet));
    section(&mut out, "PostgreSQL facts", doc.facts);
    section(&mut out, "squawk", doc.squawk);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// An example as one SQL block; earlier migrations, when it needs them, come first.
fn example(e: &Example) -> String {
    let sql = e.sql.trim();
    if e.before.trim().is_empty() {
        return format!("```sql\n{sql}\n```");
    }
    format!(
        "```sql\n-- earlier migrations\n{}\n\n-- this migration\n{sql}\n```",
        e.before.trim()
    )
}
