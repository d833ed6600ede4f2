//! The report as Markdown for a pull-request comment: the outcome at a glance, and the diffs
//! folded away in `<details>`. Drills of hundreds of migrations must still fit in a comment,
//! so long tables list only what did not pass.

use std::fmt::{self, Display};

use quick_xml::escape::{escape, partial_escape};

use super::{
    announced_line, capitalised, check_headline, data_failure_note, millis, not_seeded_lines,
    phase_problem, phase_time, plain_diff, reasons, seed_summary, seeded_line, sending_label,
    server_reach, trace_line, traced_phases, unannounced_headline, PhaseProblem,
};
use crate::drill::outcome::{DrillReport, DrillResult, MigrationDrill, Phase, UndoSource};
use crate::undo::down_sql::Comparison;
use crate::untrusted;

/// Above this many migrations the table lists only those that did not pass.
const FULL_TABLE_LIMIT: usize = 50;
/// Failures shown with their diffs; the rest are counted, to keep the comment short.
const DETAILS_LIMIT: usize = 20;
/// Manual undos listed with their reasons.
const MANUAL_LIMIT: usize = 50;
/// Traced statements listed.
const TRACE_LIMIT: usize = 100;

pub(super) fn render(report: &DrillReport) -> String {
    // A Markdown report has no control character of its own but line breaks; names are
    // kept on their line where they are written (`cell`, `name`).
    untrusted::multiline(&Markdown { report }.to_string()).into_owned()
}

/// A migration name on one line of a list or heading.
fn name(text: &str) -> String {
    untrusted::markdown_cell(text).into_owned()
}

struct Markdown<'a> {
    report: &'a DrillReport,
}

impl Display for Markdown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.heading(f)?;
        self.counts(f)?;
        self.migrations(f)?;
        self.failures(f)?;
        self.manual_undos(f)?;
        self.traces(f)?;
        self.seeded_data(f)?;
        self.server_reach(f)?;
        self.final_check(f)
    }
}

impl Markdown<'_> {
    fn heading(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.report;
        if report.passed() {
            writeln!(f, "## ✅ unmigrate drill passed")?;
        } else {
            writeln!(f, "## ❌ unmigrate drill failed")?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "Drilled `{}` in {:.2} s ({}, {}, TimeZone {}).",
            name(&report.migrations_dir.display().to_string()),
            report.total.as_secs_f64(),
            sending_label(report),
            report.database,
            name(&report.time_zone)
        )?;
        for rebuilt in &report.rebuilt {
            writeln!(f)?;
            writeln!(
                f,
                "**Rebuilt** after `{}`: {}; the database was rebuilt from the history to go on.",
                name(&rebuilt.after),
                name(&rebuilt.reason)
            )?;
        }
        if let Some(reason) = &report.stopped {
            writeln!(f)?;
            writeln!(f, "**Stopped:** {}", name(reason))?;
        }
        writeln!(f)
    }

    fn counts(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.report.counts();
        writeln!(
            f,
            "| passed | column order only | manual | failed | not run |"
        )?;
        writeln!(f, "|---:|---:|---:|---:|---:|")?;
        writeln!(
            f,
            "| {} | {} | {} | {} | {} |",
            c.passed, c.column_order_only, c.manual, c.failed, c.not_run
        )?;
        if c.declared_irreversible > 0 {
            writeln!(
                f,
                "\n{} migration(s) declared irreversible: their hand-written down has no \
                 statement.",
                c.declared_irreversible
            )?;
        }
        writeln!(f)
    }

    fn migrations(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = &self.report.migrations;
        let listed: Vec<&MigrationDrill> = if all.len() > FULL_TABLE_LIMIT {
            all.iter().filter(|m| !m.result.passed()).collect()
        } else {
            all.iter().collect()
        };
        if !listed.is_empty() {
            writeln!(f, "| migration | verdict | result | forward | undo |")?;
            writeln!(f, "|---|---|---|---:|---:|")?;
            for migration in &listed {
                writeln!(
                    f,
                    "| `{}` | {} | {} | {} | {} |",
                    cell(&migration.name),
                    match migration.down_verdict {
                        Some(verdict) => format!("hand-written: {}", verdict.label()),
                        None => migration.claimed.to_string(),
                    },
                    result_label(migration.result),
                    phase_millis(migration, Phase::Forward),
                    phase_millis(migration, Phase::Undo)
                )?;
            }
            writeln!(f)?;
        }
        let unlisted = all.len() - listed.len();
        if unlisted > 0 && listed.is_empty() {
            writeln!(f, "All {unlisted} migrations passed.")?;
            writeln!(f)?;
        } else if unlisted > 0 {
            writeln!(f, "{unlisted} passed migrations are not listed.")?;
            writeln!(f)?;
        }
        Ok(())
    }

    /// The migrations whose drill ended in `result`, in report order.
    fn with_result(&self, result: DrillResult) -> Vec<&MigrationDrill> {
        let migrations = self.report.migrations.iter();
        migrations.filter(|m| m.result == result).collect()
    }

    fn failures(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.with_result(DrillResult::Failed);
        for migration in failed.iter().take(DETAILS_LIMIT) {
            failure_details(f, migration)?;
        }
        if failed.len() > DETAILS_LIMIT {
            writeln!(
                f,
                "{} more failed migrations are not shown here; see the full report.",
                failed.len() - DETAILS_LIMIT
            )?;
            writeln!(f)?;
        }
        Ok(())
    }

    fn manual_undos(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let manual = self.with_result(DrillResult::Manual);
        if manual.is_empty() {
            return Ok(());
        }
        let noun = if manual.len() == 1 { "undo" } else { "undos" };
        writeln!(f, "<details>")?;
        writeln!(
            f,
            "<summary>⚠️ {} manual {noun}: a person must write them</summary>",
            manual.len()
        )?;
        writeln!(f)?;
        for migration in manual.iter().take(MANUAL_LIMIT) {
            let reasons = if migration.reasons.is_empty() {
                "no reason recorded".to_string()
            } else {
                reasons(migration)
            };
            writeln!(f, "- `{}`: {}", name(&migration.name), name(&reasons))?;
        }
        if manual.len() > MANUAL_LIMIT {
            writeln!(f, "- … and {} more", manual.len() - MANUAL_LIMIT)?;
        }
        writeln!(f)?;
        writeln!(f, "</details>")?;
        writeln!(f)
    }

    /// Traced statements that lock an existing table, rewrite or scan one, or run outside a
    /// transaction: what a reviewer weighs before deploying.
    fn traces(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rows = Vec::new();
        for migration in &self.report.migrations {
            for phase in traced_phases(migration) {
                for trace in &phase.statements {
                    let notable = !trace.lock_summary().is_empty()
                        || !trace.rewrote.is_empty()
                        || !trace.scanned.is_empty()
                        || !trace.in_transaction
                        || trace.probe.is_some();
                    if notable {
                        rows.push((migration, phase.phase, trace));
                    }
                }
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        writeln!(f, "<details>")?;
        writeln!(
            f,
            "<summary>🔒 {} statements lock, rewrite, scan or block existing tables</summary>",
            rows.len()
        )?;
        writeln!(f)?;
        writeln!(f, "| migration | phase | statement | effect |")?;
        writeln!(f, "|---|---|---|---|")?;
        for (migration, phase, trace) in rows.iter().take(TRACE_LIMIT) {
            writeln!(
                f,
                "| `{}` | {phase} | `{}` | {} |",
                cell(&migration.name),
                cell(&trace.statement.replace('`', "'")),
                cell(&trace_line(trace))
            )?;
        }
        if rows.len() > TRACE_LIMIT {
            writeln!(f)?;
            writeln!(
                f,
                "{} more are in the JSON report.",
                rows.len() - TRACE_LIMIT
            )?;
        }
        writeln!(f)?;
        writeln!(f, "</details>")?;
        writeln!(f)
    }

    /// What seeding filled and what the undos lost as announced, folded away; unannounced
    /// losses are with the failed migrations above.
    fn seeded_data(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(summary) = seed_summary(self.report) else {
            return Ok(());
        };
        writeln!(f, "<details>")?;
        writeln!(f, "<summary>🌱 {summary}</summary>")?;
        writeln!(f)?;
        for migration in &self.report.migrations {
            let Some(data) = &migration.data else {
                continue;
            };
            let lines: Vec<String> = seeded_line(data)
                .into_iter()
                .chain(not_seeded_lines(data))
                .chain(data.announced.iter().map(announced_line))
                .collect();
            for line in lines {
                writeln!(
                    f,
                    "- `{}`: {}",
                    name(&migration.name),
                    partial_escape(name(&line).as_str())
                )?;
            }
        }
        writeln!(f)?;
        writeln!(f, "</details>")?;
        writeln!(f)
    }

    fn server_reach(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (heading, lines) in server_reach(self.report) {
            writeln!(f, "**⚠️ {heading}:**")?;
            writeln!(f)?;
            for line in lines {
                writeln!(f, "- {}", partial_escape(line.as_str()))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }

    fn final_check(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.report.final_check {
            None => writeln!(f, "Final full-schema check: not run."),
            Some(check) if check.passed => writeln!(f, "Final full-schema check: ✅ passed."),
            Some(check) => {
                writeln!(f, "<details>")?;
                writeln!(
                    f,
                    "<summary>❌ Final full-schema check failed: the phase-by-phase comparisons \
                     missed a difference (a bug in unmigrate)</summary>"
                )?;
                writeln!(f)?;
                if let Some(diff) = &check.diff {
                    fenced(f, "diff", &plain_diff(diff))?;
                }
                writeln!(f, "</details>")
            }
        }
    }
}

/// One folded block per failed migration: what failed in each phase and check, with diffs.
fn failure_details(f: &mut fmt::Formatter<'_>, migration: &MigrationDrill) -> fmt::Result {
    writeln!(f, "<details>")?;
    writeln!(
        f,
        "<summary>❌ <code>{}</code> ({} undo)</summary>",
        escape(name(&migration.name).as_str()),
        migration.claimed
    )?;
    writeln!(f)?;
    for phase in &migration.phases {
        let Some(problem) = phase_problem(phase) else {
            continue;
        };
        // An error's headline is the first line of its text: say it once, in the block.
        let (headline, language) = match problem {
            PhaseProblem::Error(_) => ("failed".to_string(), "text"),
            PhaseProblem::Mismatch(_) | PhaseProblem::UnannouncedColumnOrder(_) => {
                (problem.headline(), "diff")
            }
        };
        writeln!(f, "**{}**: {headline}", phase.phase)?;
        writeln!(f)?;
        fenced(f, language, &problem.detail())?;
    }
    for check in migration.checks.iter().filter(|c| !c.passed) {
        writeln!(f, "**{}**", check_headline(check))?;
        writeln!(f)?;
        if let Some(detail) = &check.detail {
            fenced(f, "text", detail)?;
        }
    }
    if let Some(data) = &migration.data {
        for (phase, failure) in data.phase_failures() {
            writeln!(f, "**{phase}** {}", data_failure_note(phase, failure))?;
            writeln!(f)?;
        }
        if let Some(fix) = data.forward_fix {
            writeln!(f, "{}.", capitalised(&fix.finding()))?;
            writeln!(f)?;
        }
        for change in &data.unannounced {
            writeln!(
                f,
                "- **{}**",
                partial_escape(unannounced_headline(change).as_str())
            )?;
        }
        if !data.unannounced.is_empty() {
            writeln!(f)?;
        }
    }
    if let UndoSource::DownSql {
        file,
        compared: Comparison::Differs(d),
        ..
    } = &migration.undo_source
    {
        writeln!(
            f,
            "**{}** differs from the undo unmigrate generates ({} statement(s) only there, {} \
             only in the generated undo):",
            partial_escape(file),
            d.only_in_down,
            d.only_in_generated
        )?;
        writeln!(f)?;
        fenced(f, "diff", &d.diff)?;
    }
    for difference in &migration.mode_differences {
        writeln!(f, "- batch and split differ: {difference}")?;
    }
    if !migration.mode_differences.is_empty() {
        writeln!(f)?;
    }
    writeln!(f, "</details>")?;
    writeln!(f)
}

/// A fenced code block whose fence is longer than any run of backticks inside, so SQL or
/// diff text can never close it early.
fn fenced(f: &mut fmt::Formatter<'_>, language: &str, text: &str) -> fmt::Result {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    writeln!(f, "{fence}{language}")?;
    for line in text.lines() {
        writeln!(f, "{line}")?;
    }
    writeln!(f, "{fence}")?;
    writeln!(f)
}

fn result_label(result: DrillResult) -> &'static str {
    match result {
        DrillResult::Passed => "✅ pass",
        DrillResult::PassedColumnOrderOnly => "✅ pass (column order only)",
        DrillResult::Manual => "⚠️ manual",
        DrillResult::DeclaredIrreversible => "⚠️ declared irreversible",
        DrillResult::Failed => "❌ fail",
        DrillResult::NotRun => "⏭️ not run",
    }
}

fn phase_millis(migration: &MigrationDrill, phase: Phase) -> String {
    match migration.phases.iter().find(|p| p.phase == phase) {
        Some(report) => millis(phase_time(report)),
        None => "–".to_string(),
    }
}

/// A pipe or a line break would end a table cell, even inside a code span.
fn cell(text: &str) -> String {
    untrusted::markdown_cell(text).into_owned()
}
