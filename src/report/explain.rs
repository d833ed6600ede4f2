//! `unmigrate explain` reports: human, JSON and Markdown, all from one [`Explained`].

use std::fmt::Write;
use std::io;

use std::io::{Seek, Write as _};

use super::pretty_json_at;
use super::style::{verdict_style, Styling, BOLD, PLAIN, WARNING};
use crate::explain::{
    Explained, Impact, LockMode, MigrationExplained, MigrationStart, Relation, Rule,
    StatementExplained,
};
use crate::migrations::ApplyMode;
use crate::undo::Verdict;

/// The version of the JSON report (`format_version`). It goes up when a field is renamed or
/// removed, or comes to mean something else; never when one is added, so a script should
/// ignore keys it does not know. Version 1 is the first that carries it (relation names
/// unquoted, with their schema beside them).
pub const FORMAT_VERSION: u32 = 1;

/// How `unmigrate explain` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Indented lines per statement, for a terminal.
    Human,
    /// The whole report as JSON, for scripts.
    Json,
    /// Tables to paste into a pull-request comment.
    Markdown,
}

/// The report as text ending in a newline.
pub fn render(report: &Explained, format: ExplainFormat) -> String {
    let mut out = Vec::new();
    write(report, format, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("the report is text")
}

/// Writes a report held whole to `out`.
pub fn write(report: &Explained, format: ExplainFormat, out: &mut dyn io::Write) -> io::Result<()> {
    let mut writer = Writer::new(format, report.apply_mode)?;
    for m in &report.migrations {
        writer.migration(m)?;
    }
    writer.finish(out).map(|_| ())
}

/// What the whole report counted, known once every migration was written.
#[derive(Debug, Clone)]
pub struct Summary {
    pub apply_mode: ApplyMode,
    /// Another tool whose folder was explained: its files were judged as it sends them, not
    /// in the apply mode.
    pub layout: Option<crate::migrations::Layout>,
    pub migrations: usize,
    pub statements: usize,
    /// Hazards per rule, every rule listed (zero included), in registry order.
    pub counts: Vec<(Rule, usize)>,
}

impl Summary {
    pub fn hazards(&self) -> usize {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

/// Writes a report statement by statement, as they are explained: a report is several times
/// the size of its SQL, so neither it nor one large migration is ever held whole. The
/// migrations wait in an unnamed temporary file (gone with the writer) until
/// [`Writer::finish`]: JSON and Markdown start with the totals, and a command that fails
/// half-way prints no half report.
#[derive(Debug)]
pub struct Writer {
    format: ExplainFormat,
    /// Colour and width of the human format (the others are always plain).
    styling: Styling,
    spool: io::BufWriter<std::fs::File>,
    summary: Summary,
    /// The text of the piece being written.
    text: String,
    /// The current migration, between [`start`](Self::start) and [`end`](Self::end).
    current: Option<Current>,
}

/// What the writer keeps of the migration being written.
#[derive(Debug)]
struct Current {
    name: String,
    with_history: bool,
    statements: usize,
    /// Markdown: the table rows, waiting for the heading that shows the verdict.
    rows: Rows,
}

impl Writer {
    pub fn new(format: ExplainFormat, apply_mode: ApplyMode) -> io::Result<Self> {
        Ok(Writer {
            format,
            styling: Styling::PLAIN,
            spool: io::BufWriter::new(tempfile::tempfile()?),
            summary: Summary {
                apply_mode,
                layout: None,
                migrations: 0,
                statements: 0,
                counts: Rule::ALL.iter().map(|&r| (r, 0)).collect(),
            },
            text: String::new(),
            current: None,
        })
    }

    /// Says the files were judged as `layout`'s tool sends them (another tool's folder).
    pub fn sent_by(mut self, layout: Option<crate::migrations::Layout>) -> Self {
        self.summary.layout = layout.filter(|l| *l != crate::migrations::Layout::Prisma);
        self
    }

    /// The human format coloured and wrapped as `styling` says.
    pub fn with_styling(mut self, styling: Styling) -> Self {
        self.styling = styling;
        self
    }

    /// Writes a migration held whole.
    pub fn migration(&mut self, m: &MigrationExplained) -> io::Result<()> {
        self.start(&MigrationStart {
            name: &m.name,
            path: &m.path,
            with_history: m.with_history,
        })?;
        for s in &m.statements {
            self.statement(s)?;
        }
        self.end(m.verdict)
    }

    /// Starts a migration: its statements follow, then [`end`](Self::end).
    pub fn start(&mut self, m: &MigrationStart<'_>) -> io::Result<()> {
        self.text.clear();
        match self.format {
            ExplainFormat::Human => human_start(&mut self.text, m, self.styling),
            ExplainFormat::Json => {
                if self.summary.migrations > 0 {
                    self.text.push_str(",\n");
                }
                json_start(&mut self.text, m)?;
            }
            ExplainFormat::Markdown => {}
        }
        self.spool.write_all(self.text.as_bytes())?;
        self.summary.migrations += 1;
        let rows = match self.current.take() {
            Some(current) => current.rows,
            None => Rows::default(),
        };
        self.current = Some(Current {
            name: m.name.to_string(),
            with_history: m.with_history,
            statements: 0,
            rows,
        });
        Ok(())
    }

    /// Writes the next statement of the migration.
    pub fn statement(&mut self, s: &StatementExplained) -> io::Result<()> {
        let current = self.current.as_mut().ok_or_else(outside_migration)?;
        self.text.clear();
        match self.format {
            ExplainFormat::Human => human_statement(&mut self.text, s, self.styling),
            ExplainFormat::Json => {
                self.text
                    .push_str(if current.statements == 0 { "\n" } else { ",\n" });
                json_statement(&mut self.text, s)?;
            }
            ExplainFormat::Markdown => markdown_row(&mut self.text, s),
        }
        match self.format {
            ExplainFormat::Markdown => current.rows.push(&self.text)?,
            _ => self.spool.write_all(self.text.as_bytes())?,
        }
        current.statements += 1;
        self.summary.statements += 1;
        for h in &s.hazards {
            if let Some((_, n)) = self.summary.counts.iter_mut().find(|(r, _)| *r == h.rule) {
                *n += 1;
            }
        }
        Ok(())
    }

    /// Ends the migration; `verdict` is the least exact of its statements'.
    pub fn end(&mut self, verdict: Verdict) -> io::Result<()> {
        let current = self.current.as_mut().ok_or_else(outside_migration)?;
        self.text.clear();
        match self.format {
            ExplainFormat::Human => self.text.push('\n'),
            ExplainFormat::Json => json_end(&mut self.text, current, verdict)?,
            ExplainFormat::Markdown => {
                markdown_heading(&mut self.text, &current.name, verdict);
                self.spool.write_all(self.text.as_bytes())?;
                current.rows.drain_into(&mut self.spool)?;
                self.text.clear();
                self.text.push('\n');
            }
        }
        self.spool.write_all(self.text.as_bytes())
    }

    /// Writes the whole report to `out`: the migrations with the totals before or after them.
    pub fn finish(self, out: &mut dyn io::Write) -> io::Result<Summary> {
        let Writer {
            format,
            styling,
            spool,
            summary,
            ..
        } = self;
        let mut spooled = spool.into_inner().map_err(|e| e.into_error())?;
        spooled.seek(io::SeekFrom::Start(0))?;
        match format {
            ExplainFormat::Human => {
                io::copy(&mut spooled, out)?;
                out.write_all(human_totals(&summary, styling).as_bytes())?;
            }
            ExplainFormat::Json => {
                out.write_all(json_head(&summary)?.as_bytes())?;
                io::copy(&mut spooled, out)?;
                out.write_all(json_tail(&summary).as_bytes())?;
            }
            ExplainFormat::Markdown => {
                out.write_all(markdown_head(&summary).as_bytes())?;
                io::copy(&mut spooled, out)?;
            }
        }
        Ok(summary)
    }
}

fn outside_migration() -> io::Error {
    io::Error::other("a statement of the explain report came outside any migration")
}

/// Text that waits for something written before it: in memory up to [`Rows::HELD`] bytes,
/// then in an unnamed temporary file, so a migration of any size costs a bounded buffer.
#[derive(Debug, Default)]
struct Rows {
    text: String,
    file: Option<io::BufWriter<std::fs::File>>,
}

impl Rows {
    const HELD: usize = 64 * 1024;

    fn push(&mut self, text: &str) -> io::Result<()> {
        self.text.push_str(text);
        if self.text.len() > Self::HELD {
            let file = match &mut self.file {
                Some(file) => file,
                None => self.file.insert(io::BufWriter::new(tempfile::tempfile()?)),
            };
            file.write_all(self.text.as_bytes())?;
            self.text.clear();
        }
        Ok(())
    }

    /// Writes the text to `out` and empties it (keeping the file for the next migration).
    fn drain_into(&mut self, out: &mut impl io::Write) -> io::Result<()> {
        if let Some(file) = &mut self.file {
            file.flush()?;
            let spilled = file.get_mut();
            let length = spilled.stream_position()?;
            if length > 0 {
                spilled.seek(io::SeekFrom::Start(0))?;
                io::copy(&mut io::Read::take(&mut *spilled, length), out)?;
                spilled.seek(io::SeekFrom::Start(0))?;
                spilled.set_len(0)?;
            }
        }
        out.write_all(self.text.as_bytes())?;
        self.text.clear();
        Ok(())
    }
}

/// A statement on one line, at most `max` characters.
fn one_line(sql: &str, max: usize) -> String {
    let flat = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max - 2).collect();
    format!("{} …", cut.trim_end())
}

fn rel(r: &Relation) -> String {
    if r.new {
        format!("{} (new in this migration)", r.name)
    } else {
        r.name.to_string()
    }
}

/// How the files were judged as sent: Prisma's apply mode, or another tool's way.
fn sending(summary: &Summary) -> String {
    match summary.layout {
        Some(layout) => format!("each file as {layout} sends it"),
        None => format!("apply mode: {}", summary.apply_mode),
    }
}

fn human_totals(summary: &Summary, st: Styling) -> String {
    let totals = format!(
        "{} migration(s), {} statement(s), {} hazard(s) ({})",
        summary.migrations,
        summary.statements,
        summary.hazards(),
        sending(summary)
    );
    let mut out = st.prose("", "  ", PLAIN, &totals);
    for (rule, n) in summary.counts.iter().filter(|(_, n)| *n > 0) {
        let _ = writeln!(out, "  {n:>5}  {}", st.paint(WARNING, rule));
    }
    out
}

/// Where the text of a statement's lines starts, after their label ("  hazard   ").
const COLUMN: &str = "           ";

/// A labelled line of prose under a statement ("  hazard   …"), wrapped at the width with
/// its continuation lines under its text. `label` may be painted.
fn labelled(out: &mut String, st: Styling, label: &str, text: &str) {
    out.push_str(&st.prose(label, COLUMN, PLAIN, text));
}

fn human_start(out: &mut String, m: &MigrationStart<'_>, st: Styling) {
    let heading = if m.path == std::path::Path::new(m.name) {
        format!("== {}", m.name) // standard input, or a file named as it is
    } else {
        format!("== {} ({})", m.name, m.path.display())
    };
    let _ = writeln!(out, "{}", st.paint(BOLD, heading));
    if !m.with_history {
        out.push_str(&st.prose(
            "   ",
            "     ",
            PLAIN,
            "no history: tables this file does not create are assumed to exist and hold rows",
        ));
    }
}

fn human_statement(out: &mut String, s: &StatementExplained, st: Styling) {
    let _ = writeln!(out, "line {:<4} {}", s.location.line, one_line(&s.sql, 100));
    human_impact(out, &s.impact, st);
    let verdict = st.paint(verdict_style(s.undo.verdict), s.undo.verdict);
    labelled(out, st, &format!("  undo     {verdict}: "), &s.undo.reason);
    for u in &s.undo.statements {
        let _ = writeln!(out, "{COLUMN}{};", one_line(&u.sql, 100));
    }
    for h in &s.hazards {
        let label = format!(
            "  {}   {}: ",
            st.paint(WARNING, "hazard"),
            st.paint(WARNING, h.rule)
        );
        labelled(out, st, &label, &h.message);
        labelled(out, st, &format!("{COLUMN}help: "), &h.help);
        let _ = writeln!(out, "{COLUMN}see {}", h.doc());
    }
}

fn human_impact(out: &mut String, i: &Impact, st: Styling) {
    for l in &i.locks {
        let blocks = match (l.on.kind, l.mode) {
            ("type", _) => "a lock on the type, not on any table: other changes to the type wait",
            ("index", LockMode::AccessExclusive) => "queries that would use the index wait",
            _ => l.mode.blocks(),
        };
        let text = format!("{} on {} {} ({blocks})", l.mode, l.on.kind, rel(&l.on));
        labelled(out, st, "  lock     ", &text);
    }
    for c in &i.rewrites {
        labelled(
            out,
            st,
            "  rewrite  ",
            &format!("{}: {}", rel(&c.on), c.why),
        );
    }
    for c in &i.scans {
        labelled(
            out,
            st,
            "  scan     ",
            &format!("{}: {}", rel(&c.on), c.why),
        );
    }
    if let Some(why) = &i.outside_transaction {
        labelled(out, st, "  no txn   ", why);
    }
    for n in &i.notes {
        labelled(out, st, "  note     ", n);
    }
}

/// The JSON report is pretty-printed with its keys in sorted order (as `serde_json::Value`
/// prints them): the totals and `format_version`, then `migrations`, then `statements`.
fn json_head(summary: &Summary) -> io::Result<String> {
    let counts: serde_json::Map<String, serde_json::Value> = summary
        .counts
        .iter()
        .map(|(rule, n)| (rule.id().to_string(), (*n).into()))
        .collect();
    let mode = pretty_json_at(&summary.apply_mode, "")?;
    let counts = pretty_json_at(&counts, "  ")?;
    let mut out = format!(
        "{{\n  \"apply_mode\": {mode},\n  \"format_version\": {FORMAT_VERSION},\n  \"hazard_counts\": {counts},\n  \"hazards\": {},\n",
        summary.hazards()
    );
    out.push_str(if summary.migrations == 0 {
        "  \"migrations\": [],\n"
    } else {
        "  \"migrations\": [\n"
    });
    Ok(out)
}

/// A migration's object up to its statements: its keys are sorted (`name`, `path`,
/// `statements`, `verdict`, `with_history`), so the statements come before the verdict.
fn json_start(out: &mut String, m: &MigrationStart<'_>) -> io::Result<()> {
    let _ = write!(
        out,
        "    {{\n      \"name\": {},\n      \"path\": {},\n      \"statements\": [",
        pretty_json_at(&m.name, "")?,
        pretty_json_at(&m.path, "")?
    );
    Ok(())
}

fn json_statement(out: &mut String, s: &StatementExplained) -> io::Result<()> {
    // Through a `Value`: its keys print sorted, as the whole report's always did.
    let value = serde_json::to_value(s).map_err(io::Error::other)?;
    out.push_str("        ");
    out.push_str(&pretty_json_at(&value, "        ")?);
    Ok(())
}

fn json_end(out: &mut String, current: &Current, verdict: Verdict) -> io::Result<()> {
    if current.statements > 0 {
        out.push_str("\n      ");
    }
    let _ = write!(
        out,
        "],\n      \"verdict\": {},\n      \"with_history\": {}\n    }}",
        pretty_json_at(&verdict, "")?,
        current.with_history
    );
    Ok(())
}

fn json_tail(summary: &Summary) -> String {
    let close = if summary.migrations == 0 {
        ""
    } else {
        "\n  ],\n"
    };
    format!("{close}  \"statements\": {}\n}}\n", summary.statements)
}

/// Escapes a table cell: pipes and newlines would break the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn markdown_head(summary: &Summary) -> String {
    let mut out = String::from("## unmigrate explain\n\n");
    let hazards = summary.hazards();
    let _ = writeln!(
        out,
        "{} migration(s), {} statement(s), **{} hazard(s)** ({}).\n",
        summary.migrations,
        summary.statements,
        hazards,
        sending(summary)
    );
    if hazards > 0 {
        out.push_str("| rule | count |\n| --- | ---: |\n");
        for (rule, n) in summary.counts.iter().filter(|(_, n)| *n > 0) {
            let _ = writeln!(out, "| {} | {n} |", markdown_rule(*rule));
        }
        out.push('\n');
    }
    out
}

fn markdown_heading(out: &mut String, name: &str, verdict: Verdict) {
    let _ = writeln!(out, "### `{name}` (undo: {verdict})\n");
    out.push_str("| line | statement | locks | rewrite / scan | undo | hazards |\n");
    out.push_str("| ---: | --- | --- | --- | --- | --- |\n");
}

fn markdown_row(out: &mut String, s: &StatementExplained) {
    let locks: Vec<String> = s
        .impact
        .locks
        .iter()
        .map(|l| format!("{} on {}", l.mode, rel(&l.on)))
        .collect();
    let mut cost: Vec<String> = s
        .impact
        .rewrites
        .iter()
        .map(|c| format!("rewrites {}", rel(&c.on)))
        .collect();
    cost.extend(
        s.impact
            .scans
            .iter()
            .map(|c| format!("scans {}", rel(&c.on))),
    );
    if s.impact.outside_transaction.is_some() {
        cost.push("no transaction block".into());
    }
    let hazards: Vec<String> = s
        .hazards
        .iter()
        .map(|h| format!("{}: {}", markdown_rule(h.rule), h.message))
        .collect();
    let _ = writeln!(
        out,
        "| {} | `{}` | {} | {} | {}: {} | {} |",
        s.location.line,
        cell(&one_line(&s.sql, 80)).replace('`', "'"),
        cell(&locks.join("<br>")),
        cell(&cost.join("<br>")),
        s.undo.verdict,
        cell(&s.undo.reason),
        cell(&hazards.join("<br>")),
    );
}

/// A rule in Markdown: a link to its page at the project's `docs_url`, else its id (whose
/// help `unmigrate rule <id>` prints): never a link that leads nowhere.
fn markdown_rule(rule: Rule) -> String {
    match rule.doc_url() {
        Some(url) => format!("[`{rule}`]({url})"),
        None => format!("`{rule}`"),
    }
}
