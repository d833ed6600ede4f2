//! The generate pipeline: read the history, fold it into the schema model, derive the undo
//! of each selected migration, and lay the result out as new migration folders.

mod file;
mod guard;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::migrations::{
    self, Among, History, Migration, MigrationsError, NameError, NewFolder, Overwrite, Timestamp,
};
use crate::sql::{self, Location, SqlError};
use crate::undo::{self, Undo, Verdict};

pub use file::{built_statements, render_parts};

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

/// Folds the history in order and derives the undo of each selected migration against the
/// model as it stood just before it. Parsing stops after the last selected migration.
///
/// Two stages run at once: a thread parses statements ahead of the fold (parsing does not
/// depend on the model), and this thread folds the model, derives the undo and renders its
/// files. Parsing is the larger stage, so a third thread for rendering bought nothing but
/// hand-over costs (measured: it was slower on two cores). Parsed statements travel in
/// batches of several migrations' worth: waking the fold for every small file cost more than
/// a small file's parse. They travel statement by statement, not file by file, and the fold
/// drops each tree once folded, so a large file never has all its trees in memory at once
/// (a tree takes about a hundred times the memory of its text).
/// Returns each undo with its rendered file texts, in history order. Drills use it directly: they need the undo SQL,
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
        scope.spawn(move || parse_ahead(in_scope, parsed_tx));
        let mut parsed = parsed_rx.into_iter().flatten();
        let mut catalog = Catalog::default();
        let mut derived = Vec::with_capacity(wanted.len());
        for migration in in_scope {
            let undo_it = wanted.contains(migration.name.as_str());
            // Only a data statement asks for the scope; the file is parsed again then.
            let migration_scope = undo::LazyScope::new(|| {
                undo::MigrationScope::of_file(&migration.sql_path, &migration.sql)
            });
            let mut sources = Vec::new();
            let mut undos = Vec::new();
            loop {
                match parsed.next() {
                    Some(Parsed::Statement(statement)) => {
                        let statement = statement?;
                        if undo_it {
                            // The tree goes into the fold (which keeps parts of it in the
                            // model); only where the statement stands is kept for the files.
                            sources.push((statement.location, statement.text));
                            let node = statement.node;
                            undos.push(undo::undo_and_apply(&mut catalog, node, &migration_scope));
                        } else {
                            catalog.apply(statement.node);
                        }
                    }
                    Some(Parsed::End) => break,
                    None => return Ok(derived), // the parser stopped early
                }
            }
            catalog.end_migration();
            if undo_it {
                derived.push(finish(migration, sources, undos));
            }
        }
        Ok(derived)
    })
}

/// What the parsing stage hands to the fold: each statement of a migration, then its end.
// Nearly every item is a statement: boxing it would cost an allocation each, for nothing.
#[allow(clippy::large_enum_variant)]
enum Parsed {
    Statement(Result<sql::Statement, SqlError>),
    End,
}

/// The parsing stage: every statement of `migrations`, in batches.
fn parse_ahead(migrations: &[Migration], parsed_tx: std::sync::mpsc::SyncSender<Vec<Parsed>>) {
    let mut batch = Batch::new(migrations);
    for migration in migrations {
        for statement in sql::statements(&migration.sql_path, &migration.sql) {
            let failed = statement.is_err();
            let bytes = statement.as_ref().map_or(0, |s| s.text.len());
            if let Some(full) = batch.push(Parsed::Statement(statement), bytes, failed) {
                // The fold hangs up after an error of its own; stop parsing then too.
                if parsed_tx.send(full).is_err() || failed {
                    return;
                }
            }
        }
        if let Some(full) = batch.push(Parsed::End, 0, false) {
            if parsed_tx.send(full).is_err() {
                return;
            }
        }
    }
    let _ = parsed_tx.send(batch.items);
}

/// How many batches a pipeline stage may hold ready for the next.
const STAGE_QUEUE: usize = 8;

/// A batch is handed on once its statements hold this much SQL text (a rough measure of
/// the work in it), or less towards the end: the fold still has the last batch to do once
/// parsing is over, so the last batches are small.
const BATCH_BYTES: usize = 16 * 1024;

/// Parsed statements gathered until they are worth a hand-over to the fold.
struct Batch<T> {
    items: Vec<T>,
    bytes: usize,
    /// SQL text not yet added (statement texts, so an estimate: comments are not counted).
    remaining: usize,
}

impl<T> Batch<T> {
    fn new(migrations: &[Migration]) -> Self {
        Batch {
            items: Vec::new(),
            bytes: 0,
            remaining: migrations.iter().map(|m| m.sql.len()).sum(),
        }
    }

    /// Adds an item of `bytes` of SQL text; returns the batch when it is ready to go (or `now`).
    fn push(&mut self, item: T, bytes: usize, now: bool) -> Option<Vec<T>> {
        self.items.push(item);
        self.bytes += bytes;
        self.remaining = self.remaining.saturating_sub(bytes);
        if !now && self.bytes < BATCH_BYTES.min(self.remaining / 4) {
            return None;
        }
        self.bytes = 0;
        Some(std::mem::take(&mut self.items))
    }
}

/// Deparses the undo statements of one migration, settles the verdicts and renders the file
/// texts. `sources` are where its forward statements stand, and their text.
fn finish(
    migration: &Migration,
    sources: Vec<(Location, String)>,
    undos: Vec<Undo>,
) -> (MigrationUndo, Vec<String>) {
    let mut counts = VerdictCounts::default();
    let statements: Vec<StatementUndo> = sources
        .into_iter()
        .zip(undos)
        .map(|((location, forward), mut undo)| {
            undo::render(&mut undo);
            counts.add(undo.verdict);
            StatementUndo {
                location,
                forward,
                undo,
            }
        })
        .collect();
    let verdict = Verdict::least_exact(statements.iter().map(|s| s.undo.verdict));
    let undo = MigrationUndo {
        source: migration.name.clone(),
        source_checksum: migration.checksum.clone(),
        verdict,
        counts,
        statements,
        folders: Vec::new(),
    };
    let parts = render_parts(&undo);
    (undo, parts)
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
            guard::check(&migrations::normalise(&folder.sql), &built).map_err(|detail| {
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
            folder
                .sql
                .replace("DROP COLUMN \"n\"", "DROP COLUMN \"id\""),
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
