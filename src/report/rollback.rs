//! The report of `drill --rollback-all` (see [`crate::drill::rollback`]): human, JSON and
//! Markdown. Human and Markdown lead with what a team asks first: does the chain of downs
//! bring the database back, and if not, which down stops it and what it leaves.

use std::fmt::Write as _;

use super::{plain_diff, ReportFormat};
use crate::drill::rollback::{RollbackReport, RollbackStep, StepResult};
use crate::untrusted;

/// Outside text (names, server messages) as a terminal must show it.
fn safe(text: impl std::fmt::Display) -> String {
    untrusted::terminal(&text.to_string()).into_owned()
}

/// The report in `format`; JUnit is the human text (a rollback is one test, not one per
/// migration).
pub fn render(report: &RollbackReport, format: ReportFormat) -> String {
    match format {
        ReportFormat::Json => {
            let wrapper = serde_json::json!({
                "format_version": super::json::FORMAT_VERSION,
                "passed": report.passed(),
                "report": report,
            });
            let mut json =
                serde_json::to_string_pretty(&wrapper).expect("a rollback report serialises");
            json.push('\n');
            json
        }
        ReportFormat::Markdown => markdown(report),
        ReportFormat::Human | ReportFormat::Junit => human(report),
    }
}

fn label(result: StepResult) -> &'static str {
    match result {
        StepResult::Restores => "restores",
        StepResult::ColumnOrderOnly => "restores (column order only)",
        StepResult::UndoesItsMigration => "undoes its migration (earlier leftovers remain)",
        StepResult::LeavesDifferences => "leaves differences",
        StepResult::Empty => "empty (declared irreversible): nothing undone",
        StepResult::NoDown => "no down: the chain stops here",
        StepResult::Fails => "FAILS: the chain stops here",
    }
}

/// The sentence that sums the rollback up.
fn verdict(report: &RollbackReport) -> String {
    if let Some(reason) = &report.not_started {
        return format!("Rollback not run: {reason}");
    }
    let total = report.applied;
    if let Some(first) = report.first_failure() {
        let at = report.steps.len();
        let why = match first.result {
            StepResult::NoDown => "it has no down",
            _ => "it fails",
        };
        return format!(
            "Rollback stops at down {at} of {total}, {}: {why}",
            first.migration
        );
    }
    match &report.left_at_end {
        None if report.passed() => {
            format!("Rollback passed: all {total} downs ran and the database is back to empty")
        }
        None => format!(
            "Rollback completes: all {total} downs ran and the database ends empty, but some \
             steps leave differences on the way"
        ),
        Some(diff) => format!(
            "Rollback completes, but leaves {} object(s) behind that the history created",
            diff.objects.len()
        ),
    }
}

fn human(report: &RollbackReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rollback of {} ({} layout), {}: {} ups applied, then each down newest first",
        safe(report.migrations_dir.display()),
        report.layout,
        report.database,
        report.applied
    );
    let _ = writeln!(out);
    for step in &report.steps {
        let _ = writeln!(out, "{:<60} {}", safe(&step.migration), label(step.result));
        if step.result == StepResult::LeavesDifferences || step.result == StepResult::Fails {
            detail(&mut out, step, "    ");
        }
    }
    if let Some(diff) = &report.left_at_end {
        let _ = writeln!(out, "\nLeft at the end:");
        for line in plain_diff(diff).lines() {
            let _ = writeln!(out, "    {}", safe(line));
        }
    }
    let _ = writeln!(out, "\n{}", safe(verdict(report)));
    let _ = writeln!(out, "Total: {:.2} s", report.total.as_secs_f64());
    out
}

/// PostgreSQL's error and the diff of a step, indented.
fn detail(out: &mut String, step: &RollbackStep, indent: &str) {
    if let Some(failure) = &step.failure {
        let code = failure.code.as_deref().unwrap_or("error");
        let _ = writeln!(out, "{indent}{code}: {}", safe(&failure.message));
        let _ = writeln!(out, "{indent}in {}", safe(&failure.file));
    }
    if let Some(diff) = &step.diff {
        let _ = writeln!(
            out,
            "{indent}the database then differs from the schema before {} in {} object(s):",
            safe(&step.migration),
            diff.objects.len()
        );
        for line in plain_diff(diff).lines() {
            let _ = writeln!(out, "{indent}  {}", safe(line));
        }
    }
}

fn markdown(report: &RollbackReport) -> String {
    let mut out = String::new();
    let icon = if report.passed() { "✅" } else { "❌" };
    let _ = writeln!(out, "## {icon} unmigrate rollback\n");
    let _ = writeln!(out, "{}\n", untrusted::markdown_cell(&verdict(report)));
    let problems: Vec<&RollbackStep> = report
        .steps
        .iter()
        .filter(|s| {
            !matches!(
                s.result,
                StepResult::Restores | StepResult::UndoesItsMigration
            )
        })
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "| migration | its down |\n|---|---|");
        for step in &problems {
            let _ = writeln!(
                out,
                "| `{}` | {} |",
                untrusted::markdown_cell(&step.migration),
                label(step.result)
            );
        }
        let _ = writeln!(out);
    }
    if let Some(step) = report.first_failure() {
        let mut text = String::new();
        detail(&mut text, step, "");
        let _ = writeln!(
            out,
            "<details><summary>Where it stops</summary>\n\n```\n{}```\n</details>",
            text.replace("```", "'''")
        );
    }
    out
}
