//! Drill reports: human, JSON, JUnit XML and Markdown; `explain` reports in [`explain`] and
//! `generate`'s in [`generate`].
//!
//! Every format renders the same [`DrillReport`]. What counts as a failed phase, and how a
//! schema difference reads as a diff, is decided once here so the formats cannot disagree.

pub mod down_files;
pub mod explain;
pub mod generate;
mod human;
pub mod json;
mod junit;
mod markdown;
mod progress;
pub mod rollback;
mod seeded;
pub mod style;

/// `value` pretty-printed as JSON as if nested `indent` deep in an enclosing document (the
/// reports write large arrays element by element): JSON strings hold no raw line breaks, so
/// every line break is the printer's own.
pub(crate) fn pretty_json_at(
    value: &impl serde::Serialize,
    indent: &str,
) -> std::io::Result<String> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    Ok(text.replace('\n', &format!("\n{indent}")))
}

use crate::undo::down_sql::Comparison;
use std::time::Duration;

use similar::{ChangeTag, TextDiff};

use crate::drill::outcome::{
    ApplyFailure, CheckReport, DrillReport, DrillResult, Expectation, MigrationDrill, Phase,
    PhaseReport, PhaseStatus, StatementTrace, UndoSource,
};
use crate::drill::UndoChoice;
use crate::migrations::{ApplyMode, Layout};
use crate::snapshot::{ObjectDiff, SchemaDiff};
use seeded::{
    announced_line, data_failure_note, not_seeded_lines, seed_summary, seeded_line,
    unannounced_headline,
};

pub use progress::Progress;
pub use style::Styling;

/// How `unmigrate drill` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Aligned lines with diffs, for a terminal.
    Human,
    /// The whole report as JSON, for scripts.
    Json,
    /// JUnit XML, for the test tab of a CI system.
    Junit,
    /// A compact summary to paste into a pull-request comment.
    Markdown,
}

/// How much the human report says (`drill --quiet`, default, `--verbose`); the other formats
/// always carry every note.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Only failed migrations with their failures, the summary line and the verdict.
    Quiet,
    /// Every migration; failures and manual steps in full, lossy notes counted, one line per
    /// migration.
    #[default]
    Normal,
    /// Every note of every migration.
    Verbose,
}

/// The report as text ending in a newline, at the [`Detail::Normal`] level. `color` adds
/// terminal colours to the human format only; the others never carry escape codes.
pub fn render(report: &DrillReport, format: ReportFormat, color: bool) -> String {
    render_at(report, format, color, Detail::Normal)
}

/// [`render`], the human format saying as much as `detail` asks.
pub fn render_at(
    report: &DrillReport,
    format: ReportFormat,
    color: bool,
    detail: Detail,
) -> String {
    let styling = Styling { color, width: None };
    render_styled(report, format, styling, detail)
}

/// [`render_at`], the human format coloured and wrapped as `styling` says (the other formats
/// never carry escape codes nor wrap).
pub fn render_styled(
    report: &DrillReport,
    format: ReportFormat,
    styling: Styling,
    detail: Detail,
) -> String {
    match format {
        ReportFormat::Human => human::render(report, styling, detail),
        ReportFormat::Json => json::render(report),
        ReportFormat::Junit => junit::render(report),
        ReportFormat::Markdown => markdown::render(report),
    }
}

/// The headings of the two lists of statements reaching beyond the drill's database (drills
/// on a server given by URL), the same in every format.
const SERVER_CHANGES: &str =
    "Server changes beyond the drill's database (run: --allow-server-changes)";
const UNSEEN: &str = "Warning: DO blocks, whose statements cannot be seen, may change the \
                      server beyond the drill's database";

/// The lists of statements reaching beyond the drill's database, with their headings; empty
/// lists are left out.
fn server_reach(report: &DrillReport) -> Vec<(&'static str, Vec<String>)> {
    [
        (SERVER_CHANGES, &report.server_changes),
        (UNSEEN, &report.unseen),
    ]
    .into_iter()
    .filter(|(_, list)| !list.is_empty())
    .map(|(heading, list)| (heading, list.iter().map(|c| c.line()).collect()))
    .collect()
}

/// One traced statement in one line, the same in every text format:
/// `line 5, 1.3 ms: ACCESS EXCLUSIVE on "Post"; rewrote "Post"; scanned "Post"`.
fn trace_line(trace: &StatementTrace) -> String {
    let mut effects = trace.lock_summary();
    if !trace.in_transaction {
        effects.push("outside a transaction (its locks are not observable)".into());
    }
    if !trace.rewrote.is_empty() {
        effects.push(format!("rewrote {}", trace.rewrote.join(", ")));
    }
    if !trace.scanned.is_empty() {
        effects.push(format!("scanned {}", trace.scanned.join(", ")));
    }
    if let Some(probe) = &trace.probe {
        effects.push(probe.summary());
    }
    if trace.failed {
        effects.push("FAILED".into());
    }
    if effects.is_empty() {
        effects.push("no lock on an existing table".into());
    }
    format!(
        "line {}, {:.1} ms: {}",
        trace.line,
        trace.duration.as_secs_f64() * 1e3,
        effects.join("; ")
    )
}

/// The phases whose traces reports print: forward and undo (the re-apply repeats forward;
/// JSON has every phase).
fn traced_phases(migration: &MigrationDrill) -> impl Iterator<Item = &PhaseReport> {
    migration
        .phases
        .iter()
        .filter(|p| p.phase != Phase::Reapply && !p.statements.is_empty())
}

/// What went wrong in one phase.
enum PhaseProblem<'a> {
    /// The schema is not what it must be.
    Mismatch(&'a SchemaDiff),
    /// Only columns moved, but the verdict did not say they would, so the migration failed.
    UnannouncedColumnOrder(&'a SchemaDiff),
    /// PostgreSQL rejected a statement.
    Error(&'a ApplyFailure),
}

/// The problem a phase reports, if any. A column-order-only difference is a problem only when
/// the verdict did not announce it.
fn phase_problem(phase: &PhaseReport) -> Option<PhaseProblem<'_>> {
    match &phase.status {
        PhaseStatus::Passed => None,
        PhaseStatus::ColumnOrderOnly {
            diff,
            announced: false,
        } => Some(PhaseProblem::UnannouncedColumnOrder(diff)),
        PhaseStatus::ColumnOrderOnly { .. } => None,
        PhaseStatus::Mismatch { diff } => Some(PhaseProblem::Mismatch(diff)),
        PhaseStatus::Error(failure) => Some(PhaseProblem::Error(failure)),
    }
}

impl PhaseProblem<'_> {
    /// One line, for JUnit's `message` and Markdown summaries.
    fn headline(&self) -> String {
        match self {
            PhaseProblem::Mismatch(diff) => mismatch_headline(diff),
            PhaseProblem::UnannouncedColumnOrder(diff) => format!(
                "columns in another order, which the verdict did not announce: {}",
                object_keys(diff)
            ),
            PhaseProblem::Error(failure) => error_headline(failure),
        }
    }

    /// The full text without colour: the diff, or the error with where it happened.
    fn detail(&self) -> String {
        match self {
            PhaseProblem::Mismatch(diff) | PhaseProblem::UnannouncedColumnOrder(diff) => {
                plain_diff(diff)
            }
            PhaseProblem::Error(failure) => error_text(failure),
        }
    }
}

/// Why a migration's drill failed, in one line ("undo: schema differs in 1 object: …"), for
/// reports that show a drill inside something else (`unmigrate check`). `None` when it did
/// not fail.
pub fn failure_headline(migration: &MigrationDrill) -> Option<String> {
    if migration.result != DrillResult::Failed {
        return None;
    }
    let phase = migration
        .phases
        .iter()
        .find_map(|p| Some(format!("{}: {}", p.phase, phase_problem(p)?.headline())));
    let check = || {
        let failed = migration.checks.iter().find(|c| !c.passed)?;
        Some(format!("check {}", check_headline(failed)))
    };
    let data = || {
        let change = migration.data.as_ref()?.unannounced.first()?;
        Some(unannounced_headline(change))
    };
    Some(
        phase
            .or_else(check)
            .or_else(data)
            .unwrap_or_else(|| "failed".to_string()),
    )
}

fn mismatch_headline(diff: &SchemaDiff) -> String {
    let count = diff.objects.len();
    let noun = if count == 1 { "object" } else { "objects" };
    format!("schema differs in {count} {noun}: {}", object_keys(diff))
}

/// The first few differing objects, so a one-line message still says where to look.
fn object_keys(diff: &SchemaDiff) -> String {
    const SHOWN: usize = 3;
    let mut keys: Vec<&str> = diff
        .objects
        .iter()
        .take(SHOWN)
        .map(|o| o.key.as_str())
        .collect();
    if diff.objects.len() > SHOWN {
        keys.push("…");
    }
    keys.join(", ")
}

/// "ERROR 25001: <first line of the message>".
fn error_headline(failure: &ApplyFailure) -> String {
    let first_line = failure.message.lines().next().unwrap_or_default();
    match &failure.code {
        Some(code) => format!("ERROR {code}: {first_line}"),
        None => format!("ERROR: {first_line}"),
    }
}

/// "in <file>, line 4 (rolled back)".
fn error_location(failure: &ApplyFailure) -> String {
    match failure.line {
        Some(line) => format!("in {}, line {line} ({})", failure.file, failure.effect),
        None => format!("in {} ({})", failure.file, failure.effect),
    }
}

/// The whole error: headline, the rest of the message (DETAIL, HINT…), then where.
fn error_text(failure: &ApplyFailure) -> String {
    let mut text = error_headline(failure);
    for line in failure.message.lines().skip(1) {
        text.push('\n');
        text.push_str(line);
    }
    text.push('\n');
    text.push_str(&error_location(failure));
    text.push('\n');
    text
}

/// "check "orders readable" after undo failed: expected to succeed".
fn check_headline(check: &CheckReport) -> String {
    format!(
        "check \"{}\" after {} failed: expected to {}",
        check.name,
        check.after,
        expectation_verb(check.expect)
    )
}

fn expectation_verb(expect: Expectation) -> &'static str {
    match expect {
        Expectation::Succeed => "succeed",
        Expectation::Fail => "fail",
    }
}

/// Every reason a migration's undo is not exact, on one line (JUnit's skip message, Markdown's
/// list of manual undos).
fn reasons(migration: &MigrationDrill) -> String {
    let reasons: Vec<String> = migration.reasons.iter().map(|r| r.to_string()).collect();
    reasons.join("; ")
}

fn result_label(result: DrillResult) -> &'static str {
    match result {
        DrillResult::Passed => "PASS",
        DrillResult::PassedColumnOrderOnly => "PASS (column order only)",
        DrillResult::Manual => "MANUAL",
        DrillResult::DeclaredIrreversible => "IRREVERSIBLE (declared)",
        DrillResult::Failed => "FAIL",
        DrillResult::NotRun => "NOT RUN",
    }
}

/// Which undo a migration was drilled with, and for a hand-written down, its verdict.
fn undo_source_label(migration: &MigrationDrill) -> String {
    match &migration.undo_source {
        UndoSource::Generated => "generated".to_string(),
        UndoSource::Committed {
            folders,
            stale: None,
        } => format!("committed {}", folders.join(", ")),
        UndoSource::Committed {
            folders,
            stale: Some(_),
        } => format!("committed {} (stale)", folders.join(", ")),
        UndoSource::DownSql {
            by_unmigrate: true, ..
        } => "generated down (committed)".to_string(),
        UndoSource::DownSql { file, .. } => {
            // The row names the migration; a down file named after it is just its down.
            let name = match std::path::Path::new(file).file_name() {
                Some(n) if n == crate::migrations::DOWN_SQL => "down.sql",
                _ => "down",
            };
            match migration.down_verdict {
                Some(verdict) => format!("hand-written {name}: {}", verdict.label()),
                None => format!("hand-written {name}"),
            }
        }
    }
}

/// How a drilled `down.sql` differs from the generated undo, when it does: a line with the
/// counts, then the statement diff.
fn down_sql_note(migration: &MigrationDrill) -> Option<String> {
    let UndoSource::DownSql { file, compared, .. } = &migration.undo_source else {
        return None;
    };
    match compared {
        Comparison::Same => None,
        Comparison::Differs(d) => Some(format!(
            "{file} differs from the undo unmigrate generates: {} statement(s) only in the down, \
             {} only in the generated undo (unmigrate generate --migration {} --dry-run shows \
             it):\n{}",
            d.only_in_down,
            d.only_in_generated,
            migration.name,
            d.diff.trim_end()
        )),
        Comparison::NotCompared { error } => Some(format!(
            "{file} was not compared with the generated undo: {error}"
        )),
    }
}

/// Why a committed undo is stale, when it is.
fn stale_note(migration: &MigrationDrill) -> Option<String> {
    let UndoSource::Committed {
        stale: Some(stale), ..
    } = &migration.undo_source
    else {
        return None;
    };
    let header = match &stale.header {
        Some(sum) => format!("its header's source checksum is {sum}"),
        None => "its header has no source checksum".to_string(),
    };
    Some(format!(
        "stale: the forward file changed after this undo was generated ({header}, the file's \
         is {}), so what it claims was said of another forward; generate it again \
         (unmigrate generate --migration {} --force) and review the difference",
        stale.file, migration.name
    ))
}

fn apply_mode_label(mode: ApplyMode) -> &'static str {
    match mode {
        ApplyMode::Batch => "batch",
        ApplyMode::Split => "split",
    }
}

/// `text` with its first letter upper-case, to open a line.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How the drill sent the files: Prisma's apply mode, or the other tool whose rules it
/// followed; and which undo it drilled, when not the default.
fn sending_label(report: &DrillReport) -> String {
    let sent = match report.layout {
        Layout::Prisma => format!("apply mode {}", apply_mode_label(report.apply_mode)),
        other => format!("layout {other}, each file sent as {other} sends it"),
    };
    match report.undo {
        UndoChoice::Committed => sent,
        UndoChoice::Generated => format!("{sent}, generated undos (committed ones ignored)"),
    }
}

/// Time a phase took in all: applying its SQL and comparing the schema.
fn phase_time(phase: &PhaseReport) -> Duration {
    phase.apply + phase.compare
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

/// One line of a rendered schema diff, typed so the human format can colour it without
/// guessing from the first character (a removed `-- comment` line starts with `---` too).
enum DiffLine {
    /// The object that differs, with a note when it exists on one side only.
    Object(String),
    /// `--- expected (…)` or `+++ actual (…)`.
    FileHeader(String),
    /// `@@ -1,3 +1,4 @@`.
    HunkHeader(String),
    Removed(String),
    Added(String),
    Context(String),
}

impl DiffLine {
    fn text(&self) -> &str {
        match self {
            DiffLine::Object(text)
            | DiffLine::FileHeader(text)
            | DiffLine::HunkHeader(text)
            | DiffLine::Removed(text)
            | DiffLine::Added(text)
            | DiffLine::Context(text) => text,
        }
    }
}

/// A unified diff per differing object, expected side first.
fn diff_lines(diff: &SchemaDiff) -> Vec<DiffLine> {
    let mut lines = Vec::new();
    for object in &diff.objects {
        lines.push(DiffLine::Object(object_title(object)));
        lines.push(DiffLine::FileHeader(format!(
            "--- expected ({})",
            diff.expected_label
        )));
        lines.push(DiffLine::FileHeader(format!(
            "+++ actual ({})",
            diff.actual_label
        )));
        push_hunks(&mut lines, object);
    }
    lines
}

fn object_title(object: &ObjectDiff) -> String {
    let note = match (&object.expected, &object.actual) {
        (Some(_), None) => " (only in expected)",
        (None, Some(_)) => " (only in actual)",
        _ if object.column_order_only => " (column order only)",
        _ => "",
    };
    format!("{}{note}:", object.key)
}

fn push_hunks(lines: &mut Vec<DiffLine>, object: &ObjectDiff) {
    // An object missing on one side diffs against empty text. Both sides end in a newline so
    // a missing final newline never shows up as a difference.
    let expected = newline_terminated(object.expected.as_deref());
    let actual = newline_terminated(object.actual.as_deref());
    let text_diff = TextDiff::from_lines(&expected, &actual);
    for hunk in text_diff.unified_diff().iter_hunks() {
        lines.push(DiffLine::HunkHeader(hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let text = change.value().trim_end_matches('\n');
            lines.push(match change.tag() {
                ChangeTag::Delete => DiffLine::Removed(format!("-{text}")),
                ChangeTag::Insert => DiffLine::Added(format!("+{text}")),
                ChangeTag::Equal => DiffLine::Context(format!(" {text}")),
            });
        }
    }
}

fn newline_terminated(text: Option<&str>) -> String {
    match text {
        Some(text) if !text.is_empty() && !text.ends_with('\n') => format!("{text}\n"),
        Some(text) => text.to_string(),
        None => String::new(),
    }
}

/// The diff as plain text, each line ending in a newline.
fn plain_diff(diff: &SchemaDiff) -> String {
    let mut text = String::new();
    for line in diff_lines(diff) {
        text.push_str(line.text());
        text.push('\n');
    }
    text
}
