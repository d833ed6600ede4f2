//! The report as JUnit XML, the format CI systems show in their test tabs: one test case per
//! migration and phase that ran, one per check, and skipped cases for undos not drilled.

use std::borrow::Cow;
use std::fmt::{self, Display};
use std::time::Duration;

use quick_xml::escape::escape;

use super::{
    announced_line, check_headline, data_failure_note, not_seeded_lines, phase_problem, phase_time,
    plain_diff, reasons, seeded_line, server_reach, trace_line, unannounced_headline,
    undo_source_label, PhaseProblem,
};
use crate::drill::outcome::{
    DataFailure, DataReport, DrillReport, DrillResult, MigrationDrill, Phase,
};

/// Class name of the test cases that belong to the drill as a whole, not to one migration.
const DRILL: &str = "unmigrate drill";

pub(super) fn render(report: &DrillReport) -> String {
    Suite {
        cases: test_cases(report),
        total: report.total,
    }
    .to_string()
}

struct TestCase {
    classname: String,
    name: String,
    /// `None` for cases that are not timed on their own, such as checks.
    time: Option<Duration>,
    outcome: Outcome,
    /// The undo's lossy and manual notes (see [`note_reasons`]) and the statement trace of a
    /// traced phase, one line per statement.
    system_out: String,
}

enum Outcome {
    Passed,
    Failed { message: String, text: String },
    Skipped { message: String },
}

fn test_cases(report: &DrillReport) -> Vec<TestCase> {
    let mut cases = Vec::new();
    for migration in &report.migrations {
        migration_cases(&mut cases, migration, report.stopped.as_deref());
    }
    if let Some(check) = &report.final_check {
        let outcome = if check.passed {
            Outcome::Passed
        } else {
            Outcome::Failed {
                message: "the phase-by-phase comparisons missed a difference (a bug in unmigrate)"
                    .to_string(),
                text: check.diff.as_ref().map(plain_diff).unwrap_or_default(),
            }
        };
        cases.push(drill_case("final full schema check", outcome));
    }
    for (heading, lines) in server_reach(report) {
        // Reported, not failed: the drill was allowed to run them, or cannot see them.
        let mut case = drill_case(heading, Outcome::Passed);
        case.system_out = lines.join("\n");
        cases.push(case);
    }
    if let Some(reason) = &report.stopped {
        // A drill that stopped did not prove the rest of its scope: CI must not show it green.
        let outcome = Outcome::Failed {
            message: format!("stopped: {reason}"),
            text: String::new(),
        };
        cases.push(drill_case("whole scope drilled", outcome));
    }
    cases
}

fn drill_case(name: &str, outcome: Outcome) -> TestCase {
    TestCase {
        classname: DRILL.to_string(),
        name: name.to_string(),
        time: None,
        outcome,
        system_out: String::new(),
    }
}

fn migration_cases(cases: &mut Vec<TestCase>, migration: &MigrationDrill, stopped: Option<&str>) {
    let first = cases.len();
    let data_failures: Vec<(Phase, DataFailure)> = migration
        .data
        .iter()
        .flat_map(|d| d.phase_failures())
        .collect();
    let mut noted = Vec::new();
    for phase in &migration.phases {
        let outcome = match phase_problem(phase) {
            Some(problem) => {
                let mut outcome = failed(&problem);
                // A phase failure on seeded rows says so in the message CI shows first (the
                // first failure of that phase: a retry on emptied tables follows it).
                let failure = data_failures.iter().find(|(p, _)| *p == phase.phase);
                if let (Outcome::Failed { message, .. }, Some(&(p, failure))) =
                    (&mut outcome, failure)
                {
                    if !noted.contains(&p) {
                        noted.push(p);
                        let note = data_failure_note(p, failure);
                        message.push_str(&format!(" (with seeded data: {note})"));
                        let fix = migration.data.as_ref().and_then(|d| d.forward_fix);
                        if let (Phase::Forward, Some(fix)) = (p, fix) {
                            message.push_str(&format!("; {}", fix.finding()));
                        }
                    }
                }
                outcome
            }
            None => Outcome::Passed,
        };
        let trace: Vec<String> = phase
            .statements
            .iter()
            .map(|t| format!("{} -- {}", trace_line(t), t.statement))
            .collect();
        cases.push(TestCase {
            classname: migration.name.clone(),
            name: phase.phase.to_string(),
            time: Some(phase_time(phase)),
            outcome,
            system_out: trace.join("\n"),
        });
    }
    let undo_ran = migration.phases.iter().any(|p| p.phase == Phase::Undo);
    if !undo_ran {
        if let Some(message) = skip_message(migration, stopped) {
            cases.push(TestCase {
                classname: migration.name.clone(),
                name: Phase::Undo.to_string(),
                time: None,
                outcome: Outcome::Skipped { message },
                system_out: String::new(),
            });
        }
    }
    for check in &migration.checks {
        let outcome = if check.passed {
            Outcome::Passed
        } else {
            Outcome::Failed {
                message: check_headline(check),
                text: check.detail.clone().unwrap_or_default(),
            }
        };
        cases.push(TestCase {
            classname: migration.name.clone(),
            name: format!("check: {} after {}", check.name, check.after),
            time: None,
            outcome,
            system_out: String::new(),
        });
    }
    if let Some(data) = &migration.data {
        data_cases(cases, migration, data);
    }
    note_reasons(&mut cases[first..], migration);
    let failure_shown = cases[first..]
        .iter()
        .any(|c| matches!(c.outcome, Outcome::Failed { .. }));
    if migration.result == DrillResult::Failed && !failure_shown {
        // Never let a failed migration read as green, even when no phase or check says why.
        cases.push(TestCase {
            classname: migration.name.clone(),
            name: "result".to_string(),
            time: None,
            outcome: Outcome::Failed {
                message: "the drill failed this migration".to_string(),
                text: String::new(),
            },
            system_out: String::new(),
        });
    }
}

/// Puts which undo was drilled (a hand-written down with its verdict, committed folders, or
/// the generated undo) and the undo's lossy and manual notes in the `<system-out>` of the
/// migration's undo case (its first case when the undo has none), before any statement trace:
/// CI test views show them there, as every other format shows them.
fn note_reasons(cases: &mut [TestCase], migration: &MigrationDrill) {
    let undo = Phase::Undo.to_string();
    let Some(case) = (match cases.iter().position(|c| c.name == undo) {
        Some(i) => cases.get_mut(i),
        None => cases.first_mut(),
    }) else {
        return;
    };
    let mut out = format!("undo: {}", undo_source_label(migration));
    if !migration.reasons.is_empty() {
        out.push_str("\nundo notes (lossy or manual):");
    }
    for reason in &migration.reasons {
        out.push_str(&format!("\n{reason}"));
    }
    if !case.system_out.is_empty() {
        out.push_str("\n\n");
        out.push_str(&case.system_out);
    }
    case.system_out = out;
}

/// A "data survival" case (failed by unannounced changes, with what was seeded and lost as
/// announced in its text) and a skipped "seed" case per table that could not be filled.
fn data_cases(cases: &mut Vec<TestCase>, migration: &MigrationDrill, data: &DataReport) {
    let mut text: Vec<String> = seeded_line(data).into_iter().collect();
    text.extend(data.announced.iter().map(announced_line));
    let outcome = match data.unannounced.as_slice() {
        [] => Outcome::Passed,
        [first, ..] => Outcome::Failed {
            message: match data.unannounced.len() {
                1 => unannounced_headline(first),
                n => format!("{} (and {} more)", unannounced_headline(first), n - 1),
            },
            text: data
                .unannounced
                .iter()
                .map(unannounced_headline)
                .chain(text)
                .collect::<Vec<_>>()
                .join("\n"),
        },
    };
    let passed = matches!(outcome, Outcome::Passed);
    let ran_undo = migration.phases.iter().any(|p| p.phase == Phase::Undo);
    if ran_undo || !passed {
        cases.push(TestCase {
            classname: migration.name.clone(),
            name: "data survival".to_string(),
            time: None,
            outcome,
            system_out: String::new(),
        });
    }
    for (line, unseeded) in not_seeded_lines(data).into_iter().zip(&data.not_seeded) {
        cases.push(TestCase {
            classname: migration.name.clone(),
            name: format!("seed {}", unseeded.table),
            time: None,
            outcome: Outcome::Skipped { message: line },
            system_out: String::new(),
        });
    }
}

fn failed(problem: &PhaseProblem<'_>) -> Outcome {
    Outcome::Failed {
        message: problem.headline(),
        text: problem.detail(),
    }
}

fn skip_message(migration: &MigrationDrill, stopped: Option<&str>) -> Option<String> {
    match migration.result {
        DrillResult::Manual if migration.reasons.is_empty() => {
            Some("manual undo: not drilled".to_string())
        }
        DrillResult::Manual => Some(format!("manual undo: not drilled; {}", reasons(migration))),
        DrillResult::DeclaredIrreversible => Some(
            "declared irreversible: its hand-written down has no statement; not drilled"
                .to_string(),
        ),
        DrillResult::NotRun => Some(match stopped {
            Some(reason) => format!("not run: {reason}"),
            None => "not run".to_string(),
        }),
        _ => None,
    }
}

struct Suite {
    cases: Vec<TestCase>,
    total: Duration,
}

impl Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tests = self.cases.len();
        let failures = self.count(|o| matches!(o, Outcome::Failed { .. }));
        let skipped = self.count(|o| matches!(o, Outcome::Skipped { .. }));
        let counts = format!(
            r#"tests="{tests}" failures="{failures}" skipped="{skipped}" time="{}""#,
            junit_time(self.total)
        );
        writeln!(f, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(f, "<testsuites {counts}>")?;
        writeln!(f, r#"  <testsuite name="{}" {counts}>"#, attribute(DRILL))?;
        for case in &self.cases {
            write_case(f, case)?;
        }
        writeln!(f, "  </testsuite>")?;
        writeln!(f, "</testsuites>")
    }
}

impl Suite {
    fn count(&self, matches: fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| matches(&c.outcome)).count()
    }
}

fn write_case(f: &mut fmt::Formatter<'_>, case: &TestCase) -> fmt::Result {
    write!(
        f,
        r#"    <testcase classname="{}" name="{}""#,
        attribute(&case.classname),
        attribute(&case.name)
    )?;
    if let Some(time) = case.time {
        write!(f, r#" time="{}""#, junit_time(time))?;
    }
    if matches!(case.outcome, Outcome::Passed) && case.system_out.is_empty() {
        return writeln!(f, "/>");
    }
    writeln!(f, ">")?;
    match &case.outcome {
        Outcome::Passed => {}
        Outcome::Failed { message, text } => writeln!(
            f,
            r#"      <failure message="{}">{}</failure>"#,
            attribute(message),
            text_content(text)
        )?,
        Outcome::Skipped { message } => {
            writeln!(f, r#"      <skipped message="{}"/>"#, attribute(message))?
        }
    }
    if !case.system_out.is_empty() {
        writeln!(
            f,
            "      <system-out>{}</system-out>",
            text_content(&case.system_out)
        )?;
    }
    writeln!(f, "    </testcase>")
}

/// JUnit times are seconds.
fn junit_time(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

fn text_content(text: &str) -> String {
    escape(xml_chars(text)).into_owned()
}

/// Escaped for an attribute value. Line breaks and tabs become character references, since
/// a parser would turn them into plain spaces otherwise.
fn attribute(text: &str) -> String {
    escape(xml_chars(text))
        .replace('\t', "&#9;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
}

/// XML 1.0 cannot hold most control characters even escaped (a server message may carry
/// one); they become U+FFFD so the document stays well-formed.
fn xml_chars(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}
