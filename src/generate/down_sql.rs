//! `generate --down-sql`: each undo written to its migration's own `down.sql`, for teams that
//! follow Prisma's guide on down migrations (`prisma db execute --file …/down.sql`, then
//! `prisma migrate resolve --rolled-back`), instead of as new undo folders.
//!
//! `prisma db execute` sends the file as one script, in one implicit transaction, so an undo
//! that needs statements run alone (`CREATE INDEX CONCURRENTLY`, several folders) cannot be a
//! `down.sql`: it is refused, and nothing is written. A `down.sql` unmigrate did not write, or
//! that was edited since, is replaced only with `--force --discard-edits`; one it wrote, as
//! written, with `--force`. Every file is checked before any is written, and a failure while
//! writing puts back the ones already replaced.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{verify, GenerateError, Plan};
use crate::migrations::{seal_state, History, MigrationsError, Overwrite, SealState, Transaction};

/// One `down.sql` to write.
#[derive(Debug)]
pub struct DownFile {
    /// The forward migration it undoes.
    pub source: String,
    pub path: PathBuf,
    pub sql: String,
    /// The file it replaces, when there is one.
    pub replaces: Option<String>,
}

/// The `down.sql` of every undo of the plan, checked against what is there and `overwrite`.
pub fn down_files(
    plan: &Plan,
    history: &History,
    overwrite: Overwrite,
) -> Result<Vec<DownFile>, GenerateError> {
    verify(plan)?;
    let mut files = Vec::with_capacity(plan.undos.len());
    for undo in &plan.undos {
        let [folder] = undo.folders.as_slice() else {
            return Err(GenerateError::DownSqlNeedsParts {
                source_name: undo.source.clone(),
                parts: undo.folders.len(),
            });
        };
        let sql = plan.file(folder).map_err(GenerateError::Spool)?;
        let source = history
            .find(&undo.source)
            .expect("a planned undo's source is in its history");
        let path = history
            .layout
            .down_path(&history.dir, source)
            .ok_or_else(|| GenerateError::NoDownFile {
                layout: history.layout.name(),
            })?;
        let existing = source.down.as_deref().map(|down| down.sql.clone());
        // The tool runs the down as it runs this migration (diesel, sqlx): inside a
        // transaction of its own, a statement that cannot run in one fails.
        let sent = source
            .down
            .as_deref()
            .map_or(source.transaction, |d| d.transaction);
        if sent == Transaction::Wrapped {
            let statements = crate::sql::parse_file(&path, &sql)?;
            if let Some(what) = statements
                .iter()
                .find_map(|s| crate::sql::blocks::outside_transaction_only(&s.node))
            {
                return Err(GenerateError::DownInTransaction {
                    source_name: undo.source.clone(),
                    layout: history.layout.name(),
                    what,
                });
            }
        }
        if let Some(old) = &existing {
            let allowed = match seal_state(old) {
                SealState::Intact => overwrite != Overwrite::Never,
                SealState::Edited | SealState::Unsealed => overwrite == Overwrite::DiscardEdits,
            };
            if !allowed && *old != sql {
                return Err(GenerateError::DownSqlExists {
                    path,
                    by_hand: seal_state(old) != SealState::Intact,
                });
            }
        }
        files.push(DownFile {
            source: undo.source.clone(),
            path,
            sql,
            replaces: existing,
        });
    }
    Ok(files)
}

/// Writes every file, each through a temporary file renamed into place; when one fails, the
/// ones already written are put back as they were (or removed, if new).
pub fn write(files: &[DownFile]) -> Result<Vec<PathBuf>, GenerateError> {
    let mut done: Vec<&DownFile> = Vec::new();
    for file in files {
        if let Err(error) = write_one(file) {
            for written in done.iter().rev() {
                let _ = match &written.replaces {
                    Some(old) => fs::write(&written.path, old),
                    None => fs::remove_file(&written.path),
                };
            }
            return Err(error);
        }
        done.push(file);
    }
    Ok(files.iter().map(|f| f.path.clone()).collect())
}

fn write_one(file: &DownFile) -> Result<(), GenerateError> {
    let folder = file.path.parent().unwrap_or(Path::new("."));
    let io = |e: std::io::Error| GenerateError::Migrations(MigrationsError::io(&file.path)(e));
    let mut staged = tempfile::Builder::new()
        .prefix(".down.sql.")
        .tempfile_in(folder)
        .map_err(io)?;
    staged.write_all(file.sql.as_bytes()).map_err(io)?;
    staged.as_file().sync_all().map_err(io)?;
    staged.persist(&file.path).map_err(|e| io(e.error))?;
    Ok(())
}

/// How each file would change, as a unified diff (a new file: all of it), for `--dry-run`.
pub fn diffs(files: &[DownFile]) -> String {
    let mut out = String::new();
    for file in files {
        let old = file.replaces.as_deref().unwrap_or("");
        let path = file.path.display().to_string();
        let diff = similar::TextDiff::from_lines(old, &file.sql);
        let old_label = match file.replaces {
            Some(_) => path.clone(),
            None => "/dev/null".to_string(),
        };
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old_label, &path)
                .to_string(),
        );
        if file.replaces.as_deref() == Some(file.sql.as_str()) {
            out.push_str(&format!("{path}: unchanged\n"));
        }
    }
    out
}
