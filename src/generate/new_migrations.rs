//! Undo as new forward migrations after the history, one per part of each undo: where sqlx's
//! simple layout keeps an undo (it has no down), and Flyway's for teams without Flyway Teams'
//! undo (`generate --forward`). Newest source first, each undo's parts in order, so deploying
//! them rolls back in reverse, as Prisma undo folders do; a `CONCURRENTLY` statement is a part
//! of its own, so a migration of its own.
//!
//! A rerun finds the files of an earlier undo by their header (the layouts' readers set
//! [`Migration::undo_of`]): without `--force` it is refused, with it the new files take their
//! names (and versions), replacing them only as [`check_replace`] allows.

use std::fs;
use std::path::Path;

use super::down_sql::{check_replace, DownFile, Place};
use super::{GenerateError, PlaceError, Plan};
use crate::migrations::{History, Migration, Overwrite};

/// How a layout names and writes its new migrations.
pub(super) trait Forward {
    /// `count` new versions after every migration of `history`, in order.
    fn versions(&self, history: &History, count: usize) -> Result<Vec<String>, PlaceError>;
    /// The file name of part `part` (0-based) of the undo of `source`, at `version`.
    fn file_name(&self, version: &str, source: &str, part: usize) -> String;
    /// The text of a part as its tool must find it.
    fn text(&self, path: &Path, part: String) -> Result<String, GenerateError>;
    /// Where the header and seal stand in a file [`Forward::text`] wrote.
    fn generated<'t>(&self, text: &'t str) -> &'t str;
}

/// The new migrations of every undo of the plan.
pub(super) fn place(
    plan: &Plan,
    history: &History,
    overwrite: Overwrite,
    forward: &impl Forward,
) -> Result<Vec<DownFile>, GenerateError> {
    let mut reused: Vec<Option<Vec<&Migration>>> = Vec::with_capacity(plan.undos.len());
    let mut fresh = 0;
    for undo in &plan.undos {
        let existing: Vec<&Migration> = history.undos_of(&undo.source).collect();
        if existing.is_empty() {
            fresh += undo.folders.len();
            reused.push(None);
            continue;
        }
        let names = || existing.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
        if overwrite == Overwrite::Never {
            return Err(GenerateError::AlreadyUndone {
                source_name: undo.source.clone(),
                existing: names().join(", "),
            });
        }
        if existing.len() != undo.folders.len() {
            return Err(PlaceError::UndoShapeChanged {
                source_name: undo.source.clone(),
                existing: names(),
                new_count: undo.folders.len(),
            }
            .into());
        }
        reused.push(Some(existing));
    }
    let mut versions = match fresh {
        0 => Vec::new(),
        _ => forward.versions(history, fresh)?,
    }
    .into_iter();
    let mut files = Vec::new();
    for (undo, reused) in plan.undos.iter().zip(reused) {
        for (part, folder) in undo.folders.iter().enumerate() {
            let (path, replaces) = match &reused {
                Some(existing) => (
                    existing[part].sql_path.to_path_buf(),
                    Some(existing[part].sql.clone()),
                ),
                None => {
                    let version = versions.next().expect("a version per new file");
                    let name = forward.file_name(&version, &undo.source, part);
                    let path = history.dir.join(name);
                    if fs::symlink_metadata(&path).is_ok() {
                        return Err(PlaceError::NewFileTaken { path }.into());
                    }
                    (path, None)
                }
            };
            let sql = forward.text(&path, plan.file(folder).map_err(GenerateError::Spool)?)?;
            if let Some(old) = &replaces {
                check_replace(&path, false, forward.generated(old), &sql, overwrite)?;
            }
            files.push(DownFile {
                source: undo.source.clone(),
                path,
                sql,
                replaces,
                place: Place::NewMigration,
            });
        }
    }
    Ok(files)
}

/// The suffix of part `part` (0-based) of an undo's files, as Prisma undo folders name them.
pub(super) fn part_suffix(part: usize) -> String {
    match part {
        0 => String::new(),
        _ => format!("_part{}", part + 1),
    }
}
