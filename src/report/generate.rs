//! `unmigrate generate`'s report on standard output: per migration, its verdict, the lines
//! that are not exact and the folders written (or, in a dry run, their SQL); then the totals
//! and what to do next. Or the same as JSON. Both are written undo by undo, each read back
//! from the plan's temporary file, so a long history's report is never held whole.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::style::{verdict_style, Styling, ADDED, BOLD, FAILED, HUNK, PLAIN, REMOVED, WARNING};
use crate::generate::{Plan, PlannedUndo};
use crate::migrations::{self, NewFolder};
use crate::untrusted;

/// The version of the JSON report (`format_version`). It goes up when a field is renamed or
/// removed, or comes to mean something else; never when one is added, so a script should
/// ignore keys it does not know. Version 1 is the first that carries it (table names in
/// `loses` unquoted, with their schema beside them).
pub const FORMAT_VERSION: u32 = 1;

/// How `unmigrate generate` prints its report.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum GenerateFormat {
    Human,
    Json,
}

/// Writes the report of `plan`, whose folders went to `target` (`written`; none in a dry run);
/// the human format coloured and wrapped as `styling` says.
pub fn write(
    out: &mut dyn Write,
    plan: &Plan,
    target: &Path,
    dry_run: bool,
    written: &[PathBuf],
    format: GenerateFormat,
    styling: Styling,
) -> std::io::Result<()> {
    match format {
        GenerateFormat::Json => json(out, plan, dry_run, written),
        GenerateFormat::Human => human(out, plan, target, dry_run, styling),
    }
}

/// The JSON report: what `serde_json::to_writer_pretty` writes for an object with these keys,
/// in the order it writes them (sorted), but with the `undos` array written one undo at a
/// time. A test holds it to the whole object written at once.
fn json(out: &mut dyn Write, plan: &Plan, dry_run: bool, written: &[PathBuf]) -> io::Result<()> {
    writeln!(out, "{{")?;
    field(out, "counts", &plan.counts())?;
    field(out, "dry_run", &dry_run)?;
    field(out, "format_version", &FORMAT_VERSION)?;
    write!(out, "  \"undos\": [")?;
    for (i, undo) in plan.undos.iter().enumerate() {
        let separator = if i == 0 { "" } else { "," };
        write!(out, "{separator}\n    ")?;
        write_indented(out, &undo_json(plan, undo)?, "    ")?;
    }
    let end = if plan.undos.is_empty() { "" } else { "\n  " };
    writeln!(out, "{end}],")?;
    field(out, "verdict", &plan.verdict())?;
    write!(out, "  \"written\": ")?;
    write_indented(out, &written, "  ")?;
    writeln!(out, "\n}}")
}

/// One key of the report's object, and the comma after it.
fn field(out: &mut dyn Write, key: &str, value: &impl Serialize) -> io::Result<()> {
    write!(out, "  \"{key}\": ")?;
    write_indented(out, value, "  ")?;
    writeln!(out, ",")
}

/// `value` pretty-printed as if nested at `indent` (see [`super::pretty_json_at`]).
fn write_indented(out: &mut dyn Write, value: &impl Serialize, indent: &str) -> io::Result<()> {
    out.write_all(super::pretty_json_at(value, indent)?.as_bytes())
}

/// One undo as the report shows it: its fields in the order the undo engine serialises them.
fn undo_json(plan: &Plan, undo: &PlannedUndo) -> io::Result<serde_json::Value> {
    let folders = undo
        .folders
        .iter()
        .map(|folder| {
            Ok(NewFolder {
                name: folder.name.clone(),
                sql: plan.file(folder).map_err(read_back)?,
            })
        })
        .collect::<io::Result<Vec<_>>>()?;
    Ok(serde_json::json!({
        "source": undo.source,
        "source_checksum": undo.source_checksum,
        "verdict": undo.verdict,
        "counts": undo.counts,
        "statements": plan.statements(undo).map_err(read_back)?,
        "folders": folders,
    }))
}

/// What a failure to read the plan's temporary file is reported as.
fn read_back(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("cannot read back the generated files from their temporary file ({e})"),
    )
}

fn human(
    out: &mut dyn Write,
    plan: &Plan,
    target: &Path,
    dry_run: bool,
    st: Styling,
) -> std::io::Result<()> {
    for undo in &plan.undos {
        let c = undo.counts;
        writeln!(
            out,
            "undo of {}: {} ({} exact, {} lossy, {} manual)",
            untrusted::terminal(&undo.source),
            st.paint(verdict_style(undo.verdict), undo.verdict),
            c.exact,
            c.lossy,
            c.manual
        )?;
        for note in plan.notes(undo).map_err(read_back)? {
            let verdict = st.paint(verdict_style(note.verdict), note.verdict);
            let first = format!("  line {} {verdict}: ", note.line);
            let reason = untrusted::terminal(&note.reason);
            out.write_all(st.prose(&first, "    ", PLAIN, &reason).as_bytes())?;
        }
        for folder in &undo.folders {
            let path = target.join(&folder.name).join(migrations::MIGRATION_SQL);
            let path = untrusted::terminal(&path.display().to_string()).into_owned();
            if dry_run {
                let sql = plan.file(folder).map_err(read_back)?;
                let committed = target.join(&folder.name).join(migrations::MIGRATION_SQL);
                match std::fs::read_to_string(&committed) {
                    Ok(committed) => committed_against_fresh(out, &path, &committed, &sql, st)?,
                    Err(_) => writeln!(
                        out,
                        "\n== {path} (dry run, not written) ==\n{}",
                        untrusted::multiline(&sql)
                    )?,
                }
            } else {
                writeln!(out, "  wrote {path}")?;
            }
        }
    }
    let c = plan.counts();
    let counted = |n: usize, style| match n {
        0 => PLAIN,
        _ => style,
    };
    let totals = format!(
        "{} migration(s), {} statement(s): {} exact, {}, {}",
        plan.undos.len(),
        c.exact + c.lossy + c.manual,
        c.exact,
        st.paint(counted(c.lossy, WARNING), format!("{} lossy", c.lossy)),
        st.paint(counted(c.manual, FAILED), format!("{} manual", c.manual)),
    );
    writeln!(out)?;
    out.write_all(st.prose("", "  ", PLAIN, &totals).as_bytes())?;
    if !dry_run {
        writeln!(out, "\nNext steps:")?;
        let step = |out: &mut dyn Write, style, text| {
            out.write_all(st.prose("  - ", "    ", style, text).as_bytes())
        };
        if c.manual > 0 {
            step(
                out,
                FAILED,
                "write the MANUAL STEP blocks by hand: the migration fails until you do",
            )?;
        }
        step(
            out,
            PLAIN,
            "review the generated SQL and its warnings in the pull request",
        )?;
        step(out, PLAIN, "revert the model change in schema.prisma too, or `prisma migrate dev` will see drift and generate a re-do")?;
        step(out, PLAIN, "deploy with `prisma migrate deploy`")?;
    }
    Ok(())
}

/// A dry run over an undo folder that exists: how the committed file differs from the one
/// `generate` writes today (the seal lines aside, line endings as a checkout may change them),
/// as a unified diff, or that it does not.
fn committed_against_fresh(
    out: &mut dyn Write,
    path: &str,
    committed: &str,
    fresh: &str,
    st: Styling,
) -> io::Result<()> {
    let committed = migrations::without_seal(&committed.replace("\r\n", "\n"));
    let fresh = migrations::without_seal(fresh);
    if committed == fresh {
        return writeln!(
            out,
            "\n== {path} (dry run): the committed undo is what generate writes today =="
        );
    }
    let diff = similar::TextDiff::from_lines(&committed, &fresh);
    let diff = diff
        .unified_diff()
        .context_radius(2)
        .header("committed", "fresh")
        .to_string();
    writeln!(
        out,
        "\n== {path} (dry run): how the committed undo differs from a fresh one (--force writes the fresh one, unless it was edited by hand) =="
    )?;
    // One line at a time, so each line's colour ends with it.
    for (i, line) in untrusted::multiline(&diff).lines().enumerate() {
        writeln!(out, "{}", st.paint(diff_style(i, line), line))?;
    }
    writeln!(out)
}

/// The colour of line `i` of a unified diff: `similar` writes the two file headers first, so a
/// removed `-- comment` later (`--- comment`) is not taken for one.
fn diff_style(i: usize, line: &str) -> anstyle::Style {
    if i < 2 {
        BOLD
    } else if line.starts_with("@@") {
        HUNK
    } else if line.starts_with('-') {
        REMOVED
    } else if line.starts_with('+') {
        ADDED
    } else {
        PLAIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{derive_undos, Selection};
    use crate::migrations::Timestamp;

    /// The streamed JSON report is byte for byte what serialising the whole report as one
    /// object wrote before plans were spooled: the undo engine's `MigrationUndo`s, newest
    /// first, with the plan's folders.
    #[test]
    fn the_json_report_is_the_whole_object_pretty_printed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        for (name, sql) in [
            ("20240101000000_init", "CREATE TABLE \"T\" (\"id\" int, \"n\" text);\n"),
            ("20240102000000_drop", "ALTER TABLE \"T\" DROP COLUMN \"n\";\nINSERT INTO \"T\" VALUES (1);\n"),
            ("20240103000000_index", "CREATE INDEX CONCURRENTLY \"i\" ON \"T\" (\"id\");\nALTER TABLE \"T\" ADD COLUMN \"m\" int;\n"),
        ] {
            std::fs::create_dir_all(dir.join(name)).unwrap();
            std::fs::write(dir.join(name).join("migration.sql"), sql).unwrap();
        }
        let history = migrations::read_history(&dir).unwrap();
        let ts = Timestamp::parse("20990101000000").unwrap();
        let plan = crate::generate::plan(
            &history,
            &Selection::All,
            Some(ts),
            ts,
            false,
            Some(&crate::undo::LockTimeout::default_timeout()),
        )
        .unwrap();
        let forward = history.forward();
        let mut undos: Vec<_> = derive_undos(&history, &forward).unwrap();
        undos.reverse();
        let mut folders = plan.folders().map(Result::unwrap);
        let undos: Vec<_> = undos
            .into_iter()
            .map(|(mut undo, parts)| {
                undo.folders = parts.iter().map(|_| folders.next().unwrap()).collect();
                undo
            })
            .collect();
        assert!(undos.iter().any(|u| u.folders.len() > 1), "a split undo");
        for written in [vec![], vec![PathBuf::from("a\"b"), PathBuf::from("c")]] {
            let expected = serde_json::json!({
                "verdict": plan.verdict(),
                "counts": plan.counts(),
                "dry_run": written.is_empty(),
                "format_version": FORMAT_VERSION,
                "written": written,
                "undos": undos,
            });
            let mut expected = serde_json::to_string_pretty(&expected).unwrap();
            expected.push('\n');
            let mut out = Vec::new();
            let dry_run = written.is_empty();
            write(
                &mut out,
                &plan,
                &dir,
                dry_run,
                &written,
                GenerateFormat::Json,
                Styling::PLAIN,
            )
            .unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }
}
