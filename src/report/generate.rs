//! `unmigrate generate`'s report on standard output: per migration, its verdict, the lines
//! that are not exact and the folders written (or, in a dry run, their SQL); then the totals
//! and what to do next. Or the same as JSON.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::generate::Plan;
use crate::migrations;
use crate::undo::Verdict;
use crate::untrusted;

/// How `unmigrate generate` prints its report.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum GenerateFormat {
    Human,
    Json,
}

/// Writes the report of `plan`, whose folders went to `target` (`written`; none in a dry run).
pub fn write(
    out: &mut dyn Write,
    plan: &Plan,
    target: &Path,
    dry_run: bool,
    written: &[PathBuf],
    format: GenerateFormat,
) -> std::io::Result<()> {
    match format {
        GenerateFormat::Json => {
            let report = serde_json::json!({
                "verdict": plan.verdict(),
                "counts": plan.counts(),
                "dry_run": dry_run,
                "written": written,
                "undos": plan.undos,
            });
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)
        }
        GenerateFormat::Human => human(out, plan, target, dry_run),
    }
}

fn human(out: &mut dyn Write, plan: &Plan, target: &Path, dry_run: bool) -> std::io::Result<()> {
    for undo in &plan.undos {
        let c = undo.counts;
        writeln!(
            out,
            "undo of {}: {} ({} exact, {} lossy, {} manual)",
            untrusted::terminal(&undo.source),
            undo.verdict,
            c.exact,
            c.lossy,
            c.manual
        )?;
        for s in undo
            .statements
            .iter()
            .filter(|s| s.undo.verdict != Verdict::Exact)
        {
            writeln!(
                out,
                "  line {} {}: {}",
                s.location.line,
                s.undo.verdict,
                untrusted::terminal(&s.undo.reason)
            )?;
        }
        for folder in &undo.folders {
            let path = target.join(&folder.name).join(migrations::MIGRATION_SQL);
            let path = untrusted::terminal(&path.display().to_string()).into_owned();
            if dry_run {
                writeln!(
                    out,
                    "\n== {path} (dry run, not written) ==\n{}",
                    untrusted::multiline(&folder.sql)
                )?;
            } else {
                writeln!(out, "  wrote {path}")?;
            }
        }
    }
    let c = plan.counts();
    writeln!(
        out,
        "\n{} migration(s), {} statement(s): {} exact, {} lossy, {} manual",
        plan.undos.len(),
        c.exact + c.lossy + c.manual,
        c.exact,
        c.lossy,
        c.manual
    )?;
    if !dry_run {
        writeln!(out, "\nNext steps:")?;
        if c.manual > 0 {
            writeln!(
                out,
                "  - write the MANUAL STEP blocks by hand: the migration fails until you do"
            )?;
        }
        writeln!(
            out,
            "  - review the generated SQL and its warnings in the pull request"
        )?;
        writeln!(out, "  - revert the model change in schema.prisma too, or `prisma migrate dev` will see drift and generate a re-do")?;
        writeln!(out, "  - deploy with `prisma migrate deploy`")?;
    }
    Ok(())
}
