//! The check's report in each format: human (a terminal), JSON (with its format version),
//! Markdown (a pull-request comment, or `$GITHUB_STEP_SUMMARY`), JUnit (CI test views), and
//! GitHub workflow annotations (one `::error` per finding, on the forward migration's file).

use std::fmt::Write;

use super::{CheckReport, CheckedMigration, UndoState};
use crate::drill::outcome::DrillResult;
use crate::report::style::{Styling, FAILED, PASSED, PLAIN};

/// One line on the undo: where it is and what state it is in.
fn undo_line(m: &CheckedMigration) -> String {
    match &m.undo {
        UndoState::Missing => "no undo".to_string(),
        UndoState::Current { folders, edited } => format!(
            "undo {}{}",
            folders.join(", "),
            if *edited { " (edited by hand)" } else { "" }
        ),
        UndoState::Stale { folders } => format!("undo {} is stale", folders.join(", ")),
        UndoState::Irreversible { reason } => format!("declared irreversible: {reason}"),
        UndoState::HandWritten { file } => format!("undo {file} (hand-written)"),
    }
}

fn drill_label(result: Option<DrillResult>) -> &'static str {
    match result {
        None => "not drilled",
        Some(DrillResult::Passed) => "drill passed",
        Some(DrillResult::PassedColumnOrderOnly) => "drill passed (column order only)",
        Some(DrillResult::Manual) => "manual: not drilled",
        Some(DrillResult::DeclaredIrreversible) => "declared irreversible: not drilled",
        Some(DrillResult::Failed) => "drill failed",
        Some(DrillResult::NotRun) => "not reached by the drill",
    }
}

fn summary(report: &CheckReport) -> String {
    let findings = report.findings().count();
    let with = report
        .migrations
        .iter()
        .filter(|m| !m.findings.is_empty())
        .count();
    format!(
        "{} new migration(s) since {}: {findings} finding(s) in {with} of them",
        report.migrations.len(),
        report.since
    )
}

/// For a terminal: coloured and wrapped as `styling` says.
pub fn human(report: &CheckReport, styling: Styling) -> String {
    let mut out = format!("Check of {}\n", report.migrations_dir.display());
    for m in &report.migrations {
        let status = match m.findings.is_empty() {
            true => styling.paint(PASSED, "OK  "),
            false => styling.paint(FAILED, "FAIL"),
        };
        let _ = writeln!(
            out,
            "{status}  {}  {}; {}",
            m.name,
            undo_line(m),
            drill_label(m.drill)
        );
        for f in &m.findings {
            let first = format!("      {}: ", styling.paint(FAILED, f.id));
            out.push_str(&styling.prose(&first, "        ", PLAIN, &f.message));
        }
        for note in &m.notes {
            out.push_str(&styling.prose("      note: ", "        ", PLAIN, note));
        }
    }
    if let Some(note) = &report.drill_note {
        out.push_str(&styling.prose("Drill: ", "  ", PLAIN, note));
    }
    let _ = writeln!(out, "{}", summary(report));
    out
}

/// With its format version; every path as given.
pub fn json(report: &CheckReport) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("the report serializes");
    text.push('\n');
    text
}

/// A pull-request comment.
pub fn markdown(report: &CheckReport) -> String {
    let mut out = String::from("## unmigrate check\n\n");
    let _ = writeln!(out, "{}\n", summary(report));
    if report.migrations.is_empty() {
        return out;
    }
    out.push_str("| | migration | undo | drill |\n|---|---|---|---|\n");
    for m in &report.migrations {
        let icon = if m.findings.is_empty() { "✅" } else { "❌" };
        let _ = writeln!(
            out,
            "| {icon} | `{}` | {} | {} |",
            cell(&m.name),
            cell(&undo_line(m)),
            drill_label(m.drill)
        );
    }
    let findings: Vec<_> = report.findings().collect();
    if !findings.is_empty() {
        out.push_str("\n### Findings\n\n");
        for (m, f) in findings {
            let _ = writeln!(
                out,
                "- `{}` **{}**: {}",
                cell(&m.name),
                f.id,
                cell(&f.message)
            );
        }
    }
    let notes: Vec<_> = report
        .migrations
        .iter()
        .flat_map(|m| m.notes.iter().map(move |n| (m, n)))
        .collect();
    if !notes.is_empty() {
        out.push_str("\n### Notes\n\n");
        for (m, note) in notes {
            let _ = writeln!(out, "- `{}`: {}", cell(&m.name), cell(note));
        }
    }
    if let Some(note) = &report.drill_note {
        let _ = writeln!(out, "\nDrill: {}", cell(note));
    }
    out
}

/// Text that stays inside a table cell and cannot open Markdown or HTML.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
}

/// One test case per new migration.
pub fn junit(report: &CheckReport) -> String {
    let failures = report
        .migrations
        .iter()
        .filter(|m| !m.findings.is_empty())
        .count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"unmigrate check\" tests=\"{}\" failures=\"{failures}\">\n<testsuite name=\"unmigrate check\" tests=\"{}\" failures=\"{failures}\">\n",
        report.migrations.len(),
        report.migrations.len()
    );
    for m in &report.migrations {
        let _ = write!(
            out,
            "<testcase classname=\"unmigrate.check\" name=\"{}\" file=\"{}\"",
            xml(&m.name),
            xml(&m.path.display().to_string())
        );
        if m.findings.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        for f in &m.findings {
            let _ = writeln!(
                out,
                "<failure type=\"{}\" message=\"{}\"/>",
                f.id,
                xml(&f.message)
            );
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite>\n</testsuites>\n");
    out
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            '\n' => "&#10;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// One GitHub Actions `::error` workflow command per finding, pointing at the forward
/// migration's file (line 1: a finding is about the whole migration).
pub fn github_annotations(report: &CheckReport) -> String {
    let mut out = String::new();
    for (m, f) in report.findings() {
        let _ = writeln!(
            out,
            "::error file={},line=1,title={}::{}",
            property(&m.path.display().to_string()),
            property(&format!("unmigrate {}", f.id)),
            data(&f.message)
        );
    }
    out
}

/// A workflow command's message, escaped as GitHub's toolkit does (`%`, CR, LF).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`, which end it.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_text_cannot_start_another_command() {
        assert_eq!(data("a%b\nc\r"), "a%25b%0Ac%0D");
        assert_eq!(
            property("x:y,z\n::error::"),
            "x%3Ay%2Cz%0A%3A%3Aerror%3A%3A"
        );
    }
}
