//! The terminal report: one aligned line per migration, what went wrong indented under it,
//! then a summary. Colour and wrapping are optional ([`Styling`]) so the same text can go to a
//! file or a CI log.

use std::fmt::{self, Display};

use anstyle::Style;

use super::style::{
    verdict_style, Styling, ADDED, BOLD, FAILED, HUNK, PASSED, PLAIN, QUIET, REMOVED, WARNING,
};
use super::{
    announced_line, capitalised, check_headline, data_failure_note, diff_lines, down_sql_note,
    error_location, millis, not_seeded_lines, phase_problem, result_label, seconds, seed_summary,
    seeded_line, sending_label, server_reach, stale_note, trace_line, traced_phases,
    unannounced_headline, undo_source_label, Detail, DiffLine, PhaseProblem,
};
use crate::drill::outcome::{DrillReport, DrillResult, MigrationDrill, PhaseReport};
use crate::snapshot::{SchemaDiff, Tracking};
use crate::undo::Verdict;
use crate::untrusted;

/// Text from outside (names, SQL, server messages) as the terminal must show it: escape
/// sequences and BEL shown, not acted on.
fn safe(text: impl Display) -> String {
    untrusted::terminal(&text.to_string()).into_owned()
}

/// Indent of everything said about a migration under its line.
const DETAIL: &str = "    ";
/// Indent of a diff or error text under its detail line, and of a detail's wrapped lines.
const NESTED: &str = "      ";
/// Indent of a wrapped line under a nested one, and of a summary line's.
const NESTED_MORE: &str = "        ";
const HANG: &str = "  ";

pub(super) fn render(report: &DrillReport, styling: Styling, detail: Detail) -> String {
    let text = Human {
        report,
        paint: styling,
        detail,
    }
    .to_string();
    if styling.color {
        text // every outside text was escaped where it is written
    } else {
        // Without colour the report has no control character of its own but line breaks.
        untrusted::multiline(&text).into_owned()
    }
}

struct Human<'a> {
    report: &'a DrillReport,
    paint: Styling,
    detail: Detail,
}

impl Display for Human<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.quiet() {
            self.header(f)?;
        }
        let shown: Vec<&MigrationDrill> = self
            .report
            .migrations
            .iter()
            .filter(|m| !self.quiet() || m.result == DrillResult::Failed)
            .collect();
        let columns = Columns::of(&shown);
        for migration in &shown {
            self.migration_line(f, migration, &columns)?;
            self.migration_details(f, migration)?;
        }
        if !shown.is_empty() || !self.quiet() {
            writeln!(f)?;
        }
        self.summary(f)
    }
}

/// Column widths, so results, names and sources line up down the report.
struct Columns {
    name: usize,
    source: usize,
}

impl Columns {
    fn of(migrations: &[&MigrationDrill]) -> Self {
        let widest = |width: fn(&MigrationDrill) -> usize| {
            migrations.iter().map(|m| width(m)).max().unwrap_or(0)
        };
        Columns {
            name: widest(|m| safe(&m.name).chars().count()),
            source: widest(|m| safe(undo_source_label(m)).chars().count()),
        }
    }
}

/// Wide enough for the longest result label, "PASS (column order only)".
const RESULT_WIDTH: usize = 24;
/// Wide enough for the longest verdict, "manual".
const VERDICT_WIDTH: usize = 6;

impl Human<'_> {
    /// A line said of a migration, under its line: prose, wrapped at the width.
    fn say(&self, f: &mut fmt::Formatter<'_>, style: Style, text: impl Display) -> fmt::Result {
        f.write_str(&self.paint.prose(DETAIL, NESTED, style, &text.to_string()))
    }

    /// A line of the header or the summary: prose, wrapped at the width.
    fn line(&self, f: &mut fmt::Formatter<'_>, text: impl Display) -> fmt::Result {
        f.write_str(&self.paint.prose("", HANG, PLAIN, &text.to_string()))
    }

    /// `--quiet`: only failures, the summary line and the verdict.
    fn quiet(&self) -> bool {
        self.detail == Detail::Quiet
    }

    fn header(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.report;
        write!(f, "Drill of {}", safe(report.migrations_dir.display()))?;
        if let Some(script) = &report.script {
            write!(f, " with {}", safe(script.display()))?;
        }
        writeln!(f)?;
        let mut server = format!(
            "{}, {}",
            capitalised(&sending_label(report)),
            report.database
        );
        if !report.database.contains(&report.server_version) {
            server.push_str(&format!(" (PostgreSQL {})", report.server_version));
        }
        self.line(f, format!("{server}, TimeZone {}", safe(&report.time_zone)))?;
        self.line(
            f,
            format!("Schema comparison: {}", tracking_label(report.tracking)),
        )?;
        if let Some(rows) = report
            .migrations
            .iter()
            .find_map(|m| m.data.as_ref().map(|d| d.rows_per_table))
        {
            self.line(
                f,
                format!(
                    "Seeded: {rows} rows per table; data compared before forward and after each \
                     phase"
                ),
            )?;
        }
        writeln!(f, "Phase timings: apply+compare in ms")?;
        writeln!(f)
    }

    fn migration_line(
        &self,
        f: &mut fmt::Formatter<'_>,
        migration: &MigrationDrill,
        columns: &Columns,
    ) -> fmt::Result {
        // Pad before painting: escape codes must not count towards the width.
        let result = format!("{:<RESULT_WIDTH$}", result_label(migration.result));
        let timings: Vec<String> = migration.phases.iter().map(phase_timing).collect();
        let claimed = format!("{:<VERDICT_WIDTH$}", migration.claimed.to_string());
        let line = format!(
            "{}  {:<name$}  {}  {:<source$}  {}",
            self.paint.paint(result_style(migration.result), result),
            safe(&migration.name),
            self.paint.paint(verdict_style(migration.claimed), claimed),
            safe(undo_source_label(migration)),
            timings.join("  "),
            name = columns.name,
            source = columns.source,
        );
        writeln!(f, "{}", line.trim_end())
    }

    fn migration_details(
        &self,
        f: &mut fmt::Formatter<'_>,
        migration: &MigrationDrill,
    ) -> fmt::Result {
        if let Some(note) = down_sql_note(migration) {
            // A line of prose, then the statement diff, which is never wrapped.
            let mut lines = note.lines();
            if let Some(first) = lines.next() {
                self.say(f, PLAIN, safe(first))?;
            }
            for line in lines {
                writeln!(f, "{DETAIL}{}", safe(line))?;
            }
        }
        if !self.quiet() {
            if let Some(note) = stale_note(migration) {
                self.say(f, WARNING, safe(note))?;
            }
            self.reasons(f, migration)?;
        }
        for phase in &migration.phases {
            if let Some(problem) = phase_problem(phase) {
                self.phase_problem(f, phase, &problem)?;
            }
        }
        for check in migration.checks.iter().filter(|c| !c.passed) {
            self.say(f, FAILED, safe(check_headline(check)))?;
            if let Some(detail) = &check.detail {
                write_indented(f, detail)?;
            }
        }
        if !self.quiet() {
            self.notes(f, migration)?;
        }
        self.data_details(f, migration)
    }

    /// Why the undo is not exact: every reason with `--verbose`; else manual steps in full and
    /// the lossy notes counted (a long-deployed history repeats them in every drill).
    fn reasons(&self, f: &mut fmt::Formatter<'_>, migration: &MigrationDrill) -> fmt::Result {
        if migration.claimed == Verdict::Exact {
            return Ok(());
        }
        let mut lossy = 0;
        for reason in &migration.reasons {
            if reason.verdict == Verdict::Lossy && self.detail != Detail::Verbose {
                lossy += 1;
            } else {
                self.say(f, PLAIN, safe(reason))?;
            }
        }
        let summary = match lossy {
            0 => return Ok(()),
            1 => "1 lossy note; --verbose shows it".to_string(),
            n => format!("{n} lossy notes; --verbose shows them"),
        };
        writeln!(f, "{DETAIL}{}", self.paint.paint(QUIET, summary))
    }

    /// What is worth knowing beyond failures: how the apply modes differ, the traces.
    fn notes(&self, f: &mut fmt::Formatter<'_>, migration: &MigrationDrill) -> fmt::Result {
        for difference in &migration.mode_differences {
            self.say(
                f,
                PLAIN,
                format!("batch and split differ: {}", safe(difference)),
            )?;
        }
        for phase in traced_phases(migration) {
            writeln!(f, "{DETAIL}{} trace:", phase.phase)?;
            for trace in &phase.statements {
                let line = safe(trace_line(trace));
                f.write_str(&self.paint.prose(NESTED, NESTED_MORE, PLAIN, &line))?;
                writeln!(
                    f,
                    "{NESTED}  {}",
                    self.paint.paint(QUIET, safe(&trace.statement))
                )?;
            }
        }
        Ok(())
    }

    fn data_details(&self, f: &mut fmt::Formatter<'_>, migration: &MigrationDrill) -> fmt::Result {
        let Some(data) = &migration.data else {
            return Ok(());
        };
        for (phase, failure) in data.phase_failures() {
            let note = format!("{phase} {}", data_failure_note(phase, failure));
            self.say(f, FAILED, note)?;
        }
        if let Some(fix) = data.forward_fix {
            self.say(f, PLAIN, fix.finding())?;
        }
        for change in &data.unannounced {
            self.say(f, FAILED, safe(unannounced_headline(change)))?;
        }
        if self.quiet() {
            return Ok(());
        }
        if let Some(line) = seeded_line(data) {
            self.say(f, QUIET, safe(line))?;
        }
        for line in not_seeded_lines(data) {
            self.say(f, WARNING, safe(line))?;
        }
        for change in &data.announced {
            self.say(f, PLAIN, safe(announced_line(change)))?;
        }
        Ok(())
    }

    fn phase_problem(
        &self,
        f: &mut fmt::Formatter<'_>,
        phase: &PhaseReport,
        problem: &PhaseProblem<'_>,
    ) -> fmt::Result {
        let headline = format!("{}: {}", phase.phase, safe(problem.headline()));
        self.say(f, FAILED, headline)?;
        match problem {
            PhaseProblem::Mismatch(diff) | PhaseProblem::UnannouncedColumnOrder(diff) => {
                self.diff(f, diff, NESTED)
            }
            PhaseProblem::Error(failure) => {
                for line in failure.message.lines().skip(1) {
                    writeln!(f, "{NESTED}{}", safe(line))?;
                }
                writeln!(f, "{NESTED}{}", safe(error_location(failure)))
            }
        }
    }

    fn diff(&self, f: &mut fmt::Formatter<'_>, diff: &SchemaDiff, indent: &str) -> fmt::Result {
        for line in diff_lines(diff) {
            let style = match &line {
                DiffLine::Object(_) | DiffLine::FileHeader(_) => BOLD,
                DiffLine::HunkHeader(_) => HUNK,
                DiffLine::Removed(_) => REMOVED,
                DiffLine::Added(_) => ADDED,
                DiffLine::Context(_) => PLAIN,
            };
            writeln!(f, "{indent}{}", self.paint.paint(style, safe(line.text())))?;
        }
        Ok(())
    }

    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.report;
        let counts = report.counts();
        self.line(
            f,
            format!(
                "Summary: {} passed, {} column order only, {} manual, {}{} failed, {} not run",
                counts.passed,
                counts.column_order_only,
                counts.manual,
                match counts.declared_irreversible {
                    0 => String::new(),
                    n => format!("{n} declared irreversible, "),
                },
                counts.failed,
                counts.not_run
            ),
        )?;
        if !self.quiet() {
            self.totals(f)?;
        }
        self.final_check(f)?;
        for rebuilt in &report.rebuilt {
            let text = format!(
                "after {}: {}; the database was rebuilt from the history to go on",
                rebuilt.after, rebuilt.reason
            );
            f.write_str(&self.paint.prose("Rebuilt ", HANG, WARNING, &safe(&text)))?;
        }
        if let Some(reason) = &report.stopped {
            f.write_str(&self.paint.prose("Stopped: ", HANG, FAILED, &safe(reason)))?;
        }
        let verdict = if report.passed() {
            self.paint.paint(PASSED.bold(), "Drill passed")
        } else {
            self.paint.paint(FAILED, "Drill FAILED")
        };
        writeln!(f, "{verdict}")
    }

    /// What the drill did besides the migrations in scope, its time, and what it ran beyond
    /// its database.
    fn totals(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.report;
        self.line(
            f,
            format!(
                "Migrations before the scope: {} applied forward in {}",
                report.prefix.migrations,
                millis(report.prefix.duration)
            ),
        )?;
        if let Some(startup) = report.startup {
            writeln!(f, "Startup: {}", seconds(startup))?;
        }
        if !report.undo_steps.is_empty() {
            self.line(
                f,
                format!(
                    "Undo migrations in the history, applied forward at their place: {}",
                    safe(report.undo_steps.join(", "))
                ),
            )?;
        }
        if let Some(summary) = seed_summary(report) {
            self.line(f, summary)?;
        }
        writeln!(f, "Total: {}", seconds(report.total))?;
        for (heading, lines) in server_reach(report) {
            writeln!(f, "{}:", self.paint.paint(WARNING, heading))?;
            for line in lines {
                writeln!(f, "{DETAIL}{}", safe(line))?;
            }
        }
        Ok(())
    }

    fn final_check(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(check) = &self.report.final_check else {
            return match self.quiet() {
                true => Ok(()),
                false => writeln!(f, "Final check: not run"),
            };
        };
        if check.passed && self.quiet() {
            return Ok(());
        }
        if check.passed {
            return writeln!(
                f,
                "Final check: {}",
                self.paint.paint(PASSED, "passed (full snapshot matches)")
            );
        }
        f.write_str(&self.paint.prose(
            "Final check: ",
            HANG,
            FAILED,
            "FAILED: the phase-by-phase comparisons missed a difference (a bug in unmigrate)",
        ))?;
        match &check.diff {
            Some(diff) => self.diff(f, diff, DETAIL),
            None => Ok(()),
        }
    }
}

fn tracking_label(tracking: Tracking) -> &'static str {
    match tracking {
        Tracking::Incremental => "incremental (event triggers record what changed)",
        Tracking::Full => "full render after every phase (no event triggers)",
    }
}

fn result_style(result: DrillResult) -> Style {
    match result {
        DrillResult::Passed | DrillResult::PassedColumnOrderOnly => PASSED,
        DrillResult::Manual | DrillResult::DeclaredIrreversible => WARNING,
        DrillResult::Failed => FAILED,
        DrillResult::NotRun => QUIET,
    }
}

/// "undo 4.0+1.1ms": applying, then comparing.
fn phase_timing(phase: &PhaseReport) -> String {
    format!(
        "{} {:.1}+{:.1}ms",
        phase.phase,
        phase.apply.as_secs_f64() * 1e3,
        phase.compare.as_secs_f64() * 1e3
    )
}

fn write_indented(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for line in text.lines() {
        writeln!(f, "{NESTED}{}", safe(line))?;
    }
    Ok(())
}
