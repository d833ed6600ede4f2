//! The generate pipeline: read the history, fold it into the schema model, derive the undo
//! of each selected migration, and lay the result out as new migration folders.

mod guard;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::migrations::{
    self, Among, History, Migration, MigrationsError, NameError, NewFolder, Overwrite, Timestamp,
};
use crate::sql::SqlError;
use crate::undo::Verdict;

pub use crate::undo::{
    built_statements, derive_undos, render_parts, MigrationUndo, StatementUndo, VerdictCounts,
};

/// Which forward migrations to undo.
#[derive(Debug, Clone)]
pub enum Selection {
    /// The last N forward migrations (undo folders are not counted).
    Last(usize),
    /// These migrations, by folder name.
    Named(Vec<String>),
    /// Every forward migration.
    All,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Migrations(#[from] MigrationsError),
    #[error(transparent)]
    Sql(#[from] SqlError),
    /// A `--migration` name that names no migration, or several.
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("{name} is itself an undo written by unmigrate (of {source_name}); undoing an undo is deploying the original again")]
    SelectedAnUndo { name: String, source_name: String },
    #[error(
        "internal error: the undo {folder} of {source_name} does not hold the statements \
         unmigrate built: {detail}; nothing was written; please report this as a bug, with the \
         migration"
    )]
    Guard {
        folder: String,
        source_name: String,
        detail: String,
    },
    #[error("--last 0 selects no migration; pass --last 1 or more, or --all")]
    LastZero,
    #[error(
        "--last {requested}: {} has only {available} forward migration(s); pass --last \
         {available} or less, or --all",
        dir.display()
    )]
    LastTooMany {
        requested: usize,
        available: usize,
        dir: PathBuf,
    },
    #[error("{} has no forward migrations to undo", dir.display())]
    NothingToUndo { dir: PathBuf },
    #[error(
        "{source_name} already has an undo migration ({existing}); pass --force to replace it"
    )]
    AlreadyUndone {
        source_name: String,
        existing: String,
    },
    #[error("{source_name} already has an undo in {existing_count} folder(s) but the new one needs {new_count}; delete the old undo folders by hand, then run again")]
    ForceShapeMismatch {
        source_name: String,
        existing_count: usize,
        new_count: usize,
    },
}

/// Everything `generate` decided, before anything is written.
#[derive(Debug, Serialize)]
pub struct Plan {
    pub undos: Vec<MigrationUndo>,
}

impl Plan {
    pub fn verdict(&self) -> Verdict {
        Verdict::least_exact(self.undos.iter().map(|u| u.verdict))
    }

    pub fn counts(&self) -> VerdictCounts {
        let mut total = VerdictCounts::default();
        for u in &self.undos {
            total.merge(u.counts);
        }
        total
    }

    pub fn folders(&self) -> Vec<NewFolder> {
        self.undos.iter().flat_map(|u| u.folders.clone()).collect()
    }
}

/// Derives the undo of the selected migrations. Folder names use timestamps after every
/// existing folder, newest source first, so deploying them in order rolls back in reverse.
pub fn plan(
    history: &History,
    selection: &Selection,
    requested: Option<Timestamp>,
    now: Timestamp,
    force: bool,
) -> Result<Plan, GenerateError> {
    let selected = select(history, selection)?;
    let mut derived = derive_undos(history, &selected)?;
    derived.reverse(); // newest source first
    let (mut undos, rendered): (Vec<_>, Vec<_>) = derived.into_iter().unzip();
    assign_folders(history, &mut undos, rendered, requested, now, force)?;
    Ok(Plan { undos })
}

fn select<'h>(
    history: &'h History,
    selection: &Selection,
) -> Result<Vec<&'h Migration>, GenerateError> {
    let forward = history.forward();
    let chosen: Vec<&Migration> = match selection {
        Selection::All => forward,
        Selection::Last(_) if forward.is_empty() => Vec::new(),
        Selection::Last(0) => return Err(GenerateError::LastZero),
        Selection::Last(n) if *n > forward.len() => {
            return Err(GenerateError::LastTooMany {
                requested: *n,
                available: forward.len(),
                dir: history.dir.clone(),
            })
        }
        Selection::Last(n) => forward[forward.len() - n..].to_vec(),
        Selection::Named(names) => {
            let mut chosen = Vec::new();
            for name in names {
                let m = history.resolve(name, Among::All)?;
                if let Some(source) = &m.undo_of {
                    return Err(GenerateError::SelectedAnUndo {
                        name: m.name.clone(),
                        source_name: source.clone(),
                    });
                }
                chosen.push(m);
            }
            chosen
        }
    };
    if chosen.is_empty() {
        return Err(GenerateError::NothingToUndo {
            dir: history.dir.clone(),
        });
    }
    Ok(chosen)
}

fn assign_folders(
    history: &History,
    undos: &mut [MigrationUndo],
    rendered: Vec<Vec<String>>,
    requested: Option<Timestamp>,
    now: Timestamp,
    force: bool,
) -> Result<(), GenerateError> {
    // The undo folders already written, by source, in history order (one pass, not one per undo).
    let mut written: HashMap<&str, Vec<String>> = HashMap::new();
    for m in &history.migrations {
        if let Some(source) = &m.undo_of {
            written.entry(source).or_default().push(m.name.clone());
        }
    }
    let mut fresh = 0;
    let mut reused: Vec<Option<Vec<String>>> = Vec::with_capacity(undos.len());
    for (u, parts) in undos.iter().zip(&rendered) {
        let existing = written.get(u.source.as_str()).cloned().unwrap_or_default();
        if existing.is_empty() {
            fresh += parts.len();
            reused.push(None);
            continue;
        }
        if !force {
            return Err(GenerateError::AlreadyUndone {
                source_name: u.source.clone(),
                existing: existing.join(", "),
            });
        }
        if existing.len() != parts.len() {
            return Err(GenerateError::ForceShapeMismatch {
                source_name: u.source.clone(),
                existing_count: existing.len(),
                new_count: parts.len(),
            });
        }
        reused.push(Some(existing));
    }
    // With --force every folder may reuse an existing undo's name: then no new timestamp is
    // needed, and checking one against the very folders being replaced would refuse the rerun.
    let stamps = if fresh == 0 {
        Vec::new()
    } else {
        migrations::choose_timestamps(history, requested, now, fresh)?
    };
    let mut stamps = stamps.into_iter();
    for ((u, parts), names) in undos.iter_mut().zip(rendered).zip(reused) {
        let count = parts.len();
        u.folders = parts
            .into_iter()
            .enumerate()
            .map(|(i, sql)| {
                let name = match &names {
                    Some(existing) => existing[i].clone(),
                    None => {
                        let ts = stamps.next().expect("one timestamp per new folder");
                        let source = if count == 1 || i == 0 {
                            u.source.clone()
                        } else {
                            format!("{}_part{}", u.source, i + 1)
                        };
                        migrations::undo_folder_name(ts, &source)
                    }
                };
                NewFolder { name, sql }
            })
            .collect();
    }
    Ok(())
}

/// Checks that every file of the plan parses back to exactly the statements the generator
/// built, in order, as it would be written ([`migrations::normalise`]); anything else is an
/// internal error.
pub fn verify(plan: &Plan) -> Result<(), GenerateError> {
    for undo in &plan.undos {
        for (folder, built) in undo.folders.iter().zip(built_statements(undo)) {
            guard::check(migrations::normalise(&folder.sql), &built).map_err(|detail| {
                GenerateError::Guard {
                    folder: folder.name.clone(),
                    source_name: undo.source.clone(),
                    detail,
                }
            })?;
        }
    }
    Ok(())
}

/// Writes the plan's folders into `target` (the migrations folder, or `--out`), after
/// [`verify`]ing them.
pub fn write(
    plan: &Plan,
    target: &Path,
    overwrite: Overwrite,
) -> Result<Vec<PathBuf>, GenerateError> {
    verify(plan)?;
    Ok(migrations::write_folders(
        target,
        &plan.folders(),
        overwrite,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A history whose last migration adds a column, and the plan of its undo.
    fn history_and_plan() -> (tempfile::TempDir, PathBuf, Plan) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        for (name, sql) in [
            (
                "20240101000000_init",
                "CREATE TABLE \"Keep\" (\"id\" int);\n",
            ),
            (
                "20240102000000_add",
                "ALTER TABLE \"Keep\" ADD COLUMN \"n\" int;\n",
            ),
        ] {
            fs::create_dir_all(dir.join(name)).unwrap();
            fs::write(dir.join(name).join("migration.sql"), sql).unwrap();
        }
        let history = migrations::read_history(&dir).unwrap();
        let ts = Timestamp::parse("20990101000000").unwrap();
        let plan = plan(&history, &Selection::Last(1), Some(ts), ts, false).unwrap();
        (tmp, dir, plan)
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_guard_refuses_a_file_whose_statements_differ_and_nothing_is_written() {
        let (tmp, dir, mut plan) = history_and_plan();
        let before = (listing(&dir), listing(tmp.path()));
        let folder = &mut plan.undos[0].folders[0];
        let tampered = [
            // A comment the generator let a carriage return end.
            folder
                .sql
                .replace("-- lossy:", "-- lossy:\rDROP TABLE \"Keep\"; --"),
            // A statement changed after it was built.
            folder.sql.replace("DROP COLUMN n", "DROP COLUMN id"),
            // Statements missing.
            folder.sql.lines().take(3).collect::<Vec<_>>().join("\n"),
        ];
        for sql in tampered {
            plan.undos[0].folders[0].sql = sql;
            let err = write(&plan, &dir, Overwrite::Never).unwrap_err();
            assert!(matches!(err, GenerateError::Guard { .. }), "{err}");
            let message = err.to_string();
            assert!(message.starts_with("internal error:"), "{message}");
            assert!(message.contains("nothing was written"), "{message}");
            assert_eq!((listing(&dir), listing(tmp.path())), before);
        }
    }

    #[test]
    fn the_guard_accepts_what_the_generator_wrote() {
        let (_tmp, dir, plan) = history_and_plan();
        let written = write(&plan, &dir, Overwrite::Never).unwrap();
        assert_eq!(written, [dir.join("20990101000000_undo_add")]);
    }
}
