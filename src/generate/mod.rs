//! The generate pipeline: read the history, fold it into the schema model, derive the undo
//! of each selected migration, and lay the result out as new migration folders.

mod file;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::migrations::{self, History, Migration, MigrationsError, NewFolder, Timestamp};
use crate::sql::{self, Location, SqlError};
use crate::undo::{self, Undo, Verdict};

pub use file::render_parts;

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
    #[error("no migration named {name:?} in {}; run `ls {}` to see the folder names", dir.display(), dir.display())]
    UnknownMigration { name: String, dir: PathBuf },
    #[error("{name} is itself an undo written by unmigrate (of {source_name}); undoing an undo is deploying the original again")]
    SelectedAnUndo { name: String, source_name: String },
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

/// The undo of one forward statement, with where the statement stands.
#[derive(Debug, Clone, Serialize)]
pub struct StatementUndo {
    pub location: Location,
    pub forward: String,
    #[serde(flatten)]
    pub undo: Undo,
}

/// The undo of one forward migration.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationUndo {
    pub source: String,
    pub source_checksum: String,
    pub verdict: Verdict,
    pub counts: VerdictCounts,
    pub statements: Vec<StatementUndo>,
    /// The folders to write, in deploy order (more than one when `CONCURRENTLY` statements
    /// must run alone).
    pub folders: Vec<NewFolder>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct VerdictCounts {
    pub exact: usize,
    pub lossy: usize,
    pub manual: usize,
}

impl VerdictCounts {
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Exact => self.exact += 1,
            Verdict::Lossy => self.lossy += 1,
            Verdict::Manual => self.manual += 1,
        }
    }

    pub fn merge(&mut self, other: VerdictCounts) {
        self.exact += other.exact;
        self.lossy += other.lossy;
        self.manual += other.manual;
    }
}

/// Everything `generate` decided, before anything is written.
#[derive(Debug, Serialize)]
pub struct Plan {
    pub undos: Vec<MigrationUndo>,
}

impl Plan {
    pub fn verdict(&self) -> Verdict {
        self.undos
            .iter()
            .map(|u| u.verdict)
            .max()
            .unwrap_or(Verdict::Exact)
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
    let forward: Vec<&Migration> = history
        .migrations
        .iter()
        .filter(|m| m.undo_of.is_none())
        .collect();
    let chosen: Vec<&Migration> = match selection {
        Selection::All => forward,
        Selection::Last(n) => forward[forward.len().saturating_sub(*n)..].to_vec(),
        Selection::Named(names) => {
            let mut chosen = Vec::new();
            for name in names {
                let m = history
                    .find(name)
                    .ok_or_else(|| GenerateError::UnknownMigration {
                        name: name.clone(),
                        dir: history.dir.clone(),
                    })?;
                if let Some(source) = &m.undo_of {
                    return Err(GenerateError::SelectedAnUndo {
                        name: name.clone(),
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

/// Folds the history in order and derives the undo of each selected migration against the
/// model as it stood just before it. Parsing stops after the last selected migration.
///
/// Three stages run at once, connected by bounded channels: a thread parses files ahead of
/// the fold (parsing does not depend on the model), this thread folds and derives undo
/// trees, and a third deparses them and renders the files. Returns each undo with its
/// rendered file texts, in history order. Drills use it directly: they need the undo SQL,
/// not folder names.
pub fn derive_undos(
    history: &History,
    selected: &[&Migration],
) -> Result<Vec<(MigrationUndo, Vec<String>)>, GenerateError> {
    let wanted: HashSet<&str> = selected.iter().map(|m| m.name.as_str()).collect();
    let last = history
        .migrations
        .iter()
        .rposition(|m| wanted.contains(m.name.as_str()))
        .expect("selection comes from the history");
    let in_scope = &history.migrations[..=last];
    std::thread::scope(|scope| {
        let (parsed_tx, parsed_rx) = std::sync::mpsc::sync_channel(STAGE_QUEUE);
        scope.spawn(move || {
            for migration in in_scope {
                let parsed = sql::parse_file(&migration.sql_path, &migration.sql);
                let failed = parsed.is_err();
                // The fold hangs up after an error of its own; stop parsing then too.
                if parsed_tx.send(parsed).is_err() || failed {
                    break;
                }
            }
        });
        let (derived_tx, derived_rx) = std::sync::mpsc::sync_channel::<Derived>(STAGE_QUEUE);
        let renderer = scope.spawn(move || derived_rx.into_iter().map(Derived::finish).collect());
        let mut catalog = Catalog::default();
        for (migration, parsed) in in_scope.iter().zip(parsed_rx) {
            let statements = parsed?;
            if !wanted.contains(migration.name.as_str()) {
                for s in &statements {
                    catalog.apply(&s.node);
                }
                continue;
            }
            let undos = undo::undo_migration(&mut catalog, &statements);
            // The parse trees travel on and are freed by the renderer, off the fold's thread.
            let derived = Derived {
                migration,
                statements,
                undos,
            };
            if derived_tx.send(derived).is_err() {
                break; // the renderer panicked; joining it below re-raises that
            }
        }
        drop(derived_tx);
        Ok(renderer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// How many items a pipeline stage may hold ready for the next.
const STAGE_QUEUE: usize = 32;

/// The undo trees of one migration, on their way to being rendered.
struct Derived<'h> {
    migration: &'h Migration,
    statements: Vec<sql::Statement>,
    undos: Vec<Undo>,
}

impl Derived<'_> {
    /// Deparses the undo statements, settles the verdicts and renders the file texts.
    fn finish(self) -> (MigrationUndo, Vec<String>) {
        let mut counts = VerdictCounts::default();
        let statements: Vec<StatementUndo> = self
            .statements
            .into_iter()
            .zip(self.undos)
            .map(|(statement, mut undo)| {
                let (location, forward) = (statement.location, statement.text);
                undo::render(&mut undo);
                counts.add(undo.verdict);
                StatementUndo {
                    location,
                    forward,
                    undo,
                }
            })
            .collect();
        let verdict = statements
            .iter()
            .map(|s| s.undo.verdict)
            .max()
            .unwrap_or(Verdict::Exact);
        let undo = MigrationUndo {
            source: self.migration.name.clone(),
            source_checksum: self.migration.checksum.clone(),
            verdict,
            counts,
            statements,
            folders: Vec::new(),
        };
        let parts = render_parts(&undo);
        (undo, parts)
    }
}

fn assign_folders(
    history: &History,
    undos: &mut [MigrationUndo],
    rendered: Vec<Vec<String>>,
    requested: Option<Timestamp>,
    now: Timestamp,
    force: bool,
) -> Result<(), GenerateError> {
    let mut fresh = 0;
    let mut reused: Vec<Option<Vec<String>>> = Vec::with_capacity(undos.len());
    for (u, parts) in undos.iter().zip(&rendered) {
        let existing: Vec<String> = history
            .undos_of(&u.source)
            .map(|m| m.name.clone())
            .collect();
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

/// Writes the plan's folders into `target` (the migrations folder, or `--out`).
pub fn write(plan: &Plan, target: &Path, force: bool) -> Result<Vec<PathBuf>, GenerateError> {
    Ok(migrations::write_folders(target, &plan.folders(), force)?)
}
