//! `unmigrate explain` reports: human, JSON and Markdown, all from one [`Explained`].

use std::fmt::Write;
use std::io;

use crate::explain::{
    Explained, Impact, LockMode, MigrationExplained, Relation, StatementExplained,
};

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

/// Writes the report to `out` migration by migration: a history's report is several times
/// the size of its SQL, so it is never held whole.
pub fn write(report: &Explained, format: ExplainFormat, out: &mut dyn io::Write) -> io::Result<()> {
    match format {
        ExplainFormat::Human => human(report, out),
        ExplainFormat::Json => json(report, out),
        ExplainFormat::Markdown => markdown(report, out),
    }
}

/// Hands the text gathered in `buffer` to `out` and empties it.
fn flush(buffer: &mut String, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(buffer.as_bytes())?;
    buffer.clear();
    Ok(())
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
        r.name.clone()
    }
}

fn human(report: &Explained, sink: &mut dyn io::Write) -> io::Result<()> {
    let mut out = String::new();
    for m in &report.migrations {
        human_migration(&mut out, m);
        flush(&mut out, sink)?;
    }
    let hazards = report.hazards().count();
    let _ = writeln!(
        out,
        "{} migration(s), {} statement(s), {} hazard(s) (apply mode: {})",
        report.migrations.len(),
        report.statement_count(),
        hazards,
        report.apply_mode
    );
    for (rule, n) in report.counts().into_iter().filter(|(_, n)| *n > 0) {
        let _ = writeln!(out, "  {n:>5}  {rule}");
    }
    flush(&mut out, sink)
}

fn human_migration(out: &mut String, m: &MigrationExplained) {
    let _ = writeln!(out, "== {} ({})", m.name, m.path.display());
    if !m.with_history {
        let _ = writeln!(
            out,
            "   no history: tables this file does not create are assumed to exist and hold rows"
        );
    }
    for s in &m.statements {
        human_statement(out, s);
    }
    let _ = writeln!(out);
}

fn human_statement(out: &mut String, s: &StatementExplained) {
    let _ = writeln!(out, "line {:<4} {}", s.location.line, one_line(&s.sql, 100));
    human_impact(out, &s.impact);
    let _ = writeln!(out, "  undo     {}: {}", s.undo.verdict, s.undo.reason);
    for u in &s.undo.statements {
        let _ = writeln!(out, "           {};", one_line(&u.sql, 100));
    }
    for h in &s.hazards {
        let _ = writeln!(out, "  hazard   {}: {}", h.rule, h.message);
        let _ = writeln!(out, "           help: {}", h.help);
        let _ = writeln!(out, "           see {}", h.doc());
    }
}

fn human_impact(out: &mut String, i: &Impact) {
    for l in &i.locks {
        let blocks = match (l.on.kind, l.mode) {
            ("type", _) => "a lock on the type, not on any table: other changes to the type wait",
            ("index", LockMode::AccessExclusive) => "queries that would use the index wait",
            _ => l.mode.blocks(),
        };
        let _ = writeln!(
            out,
            "  lock     {} on {} {} ({blocks})",
            l.mode,
            l.on.kind,
            rel(&l.on),
        );
    }
    for c in &i.rewrites {
        let _ = writeln!(out, "  rewrite  {}: {}", rel(&c.on), c.why);
    }
    for c in &i.scans {
        let _ = writeln!(out, "  scan     {}: {}", rel(&c.on), c.why);
    }
    if let Some(why) = &i.outside_transaction {
        let _ = writeln!(out, "  no txn   {why}");
    }
    for n in &i.notes {
        let _ = writeln!(out, "  note     {n}");
    }
}

/// The JSON report, pretty-printed with its keys in sorted order (as `serde_json::Value`
/// prints them), one migration at a time.
fn json(report: &Explained, out: &mut dyn io::Write) -> io::Result<()> {
    let counts: serde_json::Map<String, serde_json::Value> = report
        .counts()
        .into_iter()
        .map(|(rule, n)| (rule.id().to_string(), n.into()))
        .collect();
    let pretty = |value: serde_json::Value| {
        serde_json::to_string_pretty(&value).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    };
    let indented = |text: String| text.replace('\n', "\n  ");
    writeln!(out, "{{")?;
    writeln!(out, "  \"apply_mode\": {},", pretty(serde_json::json!(report.apply_mode))?)?;
    writeln!(out, "  \"hazard_counts\": {},", indented(pretty(counts.into())?))?;
    writeln!(out, "  \"hazards\": {},", report.hazards().count())?;
    if report.migrations.is_empty() {
        writeln!(out, "  \"migrations\": [],")?;
    } else {
        writeln!(out, "  \"migrations\": [")?;
        for (i, m) in report.migrations.iter().enumerate() {
            let value = serde_json::to_value(m).map_err(io::Error::other)?;
            // JSON strings hold no raw newline, so every newline is a line of the layout.
            let text = pretty(value)?.replace('\n', "\n    ");
            let comma = if i + 1 < report.migrations.len() { "," } else { "" };
            writeln!(out, "    {text}{comma}")?;
        }
        writeln!(out, "  ],")?;
    }
    writeln!(out, "  \"statements\": {}", report.statement_count())?;
    writeln!(out, "}}")
}

/// Escapes a table cell: pipes and newlines would break the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn markdown(report: &Explained, sink: &mut dyn io::Write) -> io::Result<()> {
    let mut out = String::from("## unmigrate explain\n\n");
    let hazards = report.hazards().count();
    let _ = writeln!(
        out,
        "{} migration(s), {} statement(s), **{} hazard(s)** (apply mode: {}).\n",
        report.migrations.len(),
        report.statement_count(),
        hazards,
        report.apply_mode
    );
    if hazards > 0 {
        out.push_str("| rule | count |\n| --- | ---: |\n");
        for (rule, n) in report.counts().into_iter().filter(|(_, n)| *n > 0) {
            let _ = writeln!(out, "| [`{rule}`]({}) | {n} |", rule.doc());
        }
        out.push('\n');
    }
    for m in &report.migrations {
        let _ = writeln!(out, "### `{}` (undo: {})\n", m.name, m.verdict);
        out.push_str("| line | statement | locks | rewrite / scan | undo | hazards |\n");
        out.push_str("| ---: | --- | --- | --- | --- | --- |\n");
        for s in &m.statements {
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
                .map(|h| format!("[`{}`]({}): {}", h.rule, h.doc(), h.message))
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
        out.push('\n');
        flush(&mut out, sink)?;
    }
    flush(&mut out, sink)
}
