//! `unmigrate generate`'s report when each undo goes where its tool keeps it (a down file, a
//! dbmate `-- migrate:down` section, new migrations of sqlx or Flyway), not into new Prisma
//! undo folders: a line per file written, or in a dry run how each file would change; then
//! how the tool runs them. Or the same as JSON, under the `format_version` of every generate
//! report.

use std::io::{self, Write};
use std::path::PathBuf;

use super::style::{verdict_style, Styling};
use crate::generate::down_sql::{diffs, DownFile, Place};
use crate::generate::{Plan, PlannedUndo};
use crate::migrations::Layout;

/// What was written (or would be, in a dry run) where `layout`'s tool keeps each undo.
pub struct Placed<'a> {
    pub plan: &'a Plan,
    pub files: &'a [DownFile],
    pub layout: Layout,
    /// The files written: none in a dry run.
    pub written: &'a [PathBuf],
    pub dry_run: bool,
}

/// The JSON report: one entry per file, with the undo it holds part of.
pub fn json(out: &mut dyn Write, placed: &Placed<'_>) -> io::Result<()> {
    let listed: Vec<serde_json::Value> = placed
        .files
        .iter()
        .map(|file| {
            let undo = undo_of(placed.plan, file);
            serde_json::json!({
                "source": file.source,
                "file": file.path,
                "place": file.place,
                "verdict": undo.verdict,
                "counts": undo.counts,
                "replaces": file.replaces.is_some(),
                "written": !placed.dry_run,
                "diff": placed.dry_run.then(|| diffs(std::slice::from_ref(file))),
            })
        })
        .collect();
    let report = serde_json::json!({
        "format_version": super::generate::FORMAT_VERSION,
        "layout": placed.layout,
        "down_sql": listed,
    });
    writeln!(out, "{report:#}")
}

/// The human report: the diffs of a dry run, or a line per file written and how to run them.
pub fn human(out: &mut dyn Write, placed: &Placed<'_>, styling: Styling) -> io::Result<()> {
    if placed.dry_run {
        return out.write_all(diffs(placed.files).as_bytes());
    }
    for (path, file) in placed.written.iter().zip(placed.files) {
        let undo = undo_of(placed.plan, file);
        writeln!(
            out,
            "wrote {} ({}: {} exact, {} lossy, {} manual)",
            path.display(),
            styling.paint(verdict_style(undo.verdict), undo.verdict),
            undo.counts.exact,
            undo.counts.lossy,
            undo.counts.manual
        )?;
    }
    let place = placed.files.first().map_or(Place::DownFile, |f| f.place);
    writeln!(out, "{}", how_to_run(placed.layout, place))
}

/// The undo a file holds (part of).
fn undo_of<'p>(plan: &'p Plan, file: &DownFile) -> &'p PlannedUndo {
    plan.undos
        .iter()
        .find(|u| u.source == file.source)
        .expect("every file is of an undo of the plan")
}

/// How the team runs what was written, in its tool's words.
fn how_to_run(layout: Layout, place: Place) -> &'static str {
    match (layout, place) {
        (Layout::Prisma, _) => {
            "run one with `prisma db execute --file <path>`; `unmigrate drill` drills them"
        }
        (Layout::Diesel, _) => "`diesel migration revert` runs the newest migration's down",
        (Layout::GolangMigrate, _) => "`migrate down 1` runs the newest migration's down",
        (Layout::SqlxReversible, _) => "`sqlx migrate revert` runs the newest migration's down",
        (Layout::Dbmate, _) => "`dbmate rollback` runs the newest migration's down section",
        (Layout::Flyway, Place::NewMigration) | (Layout::SqlxSimple, _) => {
            "review them, then deploy them as any new migration: they run after every other one, \
             newest source first, so they roll back in reverse"
        }
        (Layout::Flyway, _) => "`flyway undo` (Flyway Teams) runs the newest migration's U file",
    }
}
