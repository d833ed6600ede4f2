//! The generate pipeline: read the history, fold it into the schema model, derive the undo
//! of each selected migration, and lay the result out as new migration folders.
//!
//! A plan keeps each migration's texts (its files, and what the report and the guard need) in
//! a temporary file as soon as the migration is derived (`spool.rs`), and only a summary of it
//! in memory: folder names and the all-or-nothing write can only be decided once every
//! migration is derived, and the whole undo of a long history is many times its SQL.

mod dbmate;
pub mod down_sql;
mod flyway;
mod guard;
mod later;
mod new_migrations;
mod place_error;
mod spool;
mod sqlx;

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::migrations::{
    self, Among, Checksum, History, Layout, Migration, MigrationsError, NameError, NewFolder,
    NewFolders, Overwrite, Timestamp,
};
use crate::sql::SqlError;
use crate::undo::Verdict;
pub use down_sql::DownFile;
pub use later::Dependency;
pub use place_error::PlaceError;
use spool::{Span, Spool};

pub use crate::undo::{
    derive_each, derive_undos, render_parts, Files, LockTimeout, MigrationUndo, StatementUndo,
    VerdictCounts,
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
    /// The temporary file a plan keeps its texts in could not be made, written or read.
    #[error("cannot keep the generated files in a temporary file ({0}); nothing was written; is the temporary directory full or unwritable? (set TMPDIR to another)")]
    Spool(#[source] io::Error),
    /// A later migration that stays deployed depends on what the undo of an older one
    /// drops, renames back or changes (see `later.rs`).
    #[error("{}", later::message(dependencies, dir, *last, never_undone.as_deref()))]
    LaterDepends {
        dependencies: Vec<later::Dependency>,
        dir: PathBuf,
        /// The `--last N` that undoes from the newest migration down to the oldest refused.
        last: usize,
        /// A later migration among them that its tool never undoes (a Flyway repeatable
        /// one): then no `--last` helps.
        never_undone: Option<String>,
    },
    /// Where a layout keeps the undo cannot hold it, or holds something else already.
    #[error(transparent)]
    Place(#[from] PlaceError),
    /// A Flyway repeatable migration named with `--migration`.
    #[error(
        "{name} is a repeatable migration: Flyway applies it again whenever its file changes \
         and has no undo for it; undo it by changing or deleting its file"
    )]
    NeverUndone { name: String },
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

/// Everything `generate` decided, before anything is written: a summary of each undo in
/// memory, its texts in the plan's temporary file (read them with [`Plan::file`],
/// [`Plan::notes`], [`Plan::statements`]).
#[derive(Debug)]
pub struct Plan {
    /// Newest source first: the order folders are named in and the report lists them.
    pub undos: Vec<PlannedUndo>,
    spool: Spool,
}

/// The undo of one forward migration as a plan keeps it: what the totals and folder names
/// need, and where its texts stand in the plan's temporary file.
#[derive(Debug)]
pub struct PlannedUndo {
    pub source: String,
    pub source_checksum: Checksum,
    pub verdict: Verdict,
    pub counts: VerdictCounts,
    /// The folders to write, in deploy order (more than one when `CONCURRENTLY` statements
    /// must run alone).
    pub folders: Vec<PlannedFolder>,
    /// Its [`StatementUndo`]s, as JSON.
    statements: Span,
    /// Its statements whose undo is not exact, as JSON [`Note`]s.
    notes: Span,
    /// What each file must parse back to ([`Files::built`]), as JSON.
    built: Span,
}

/// A folder to write: its name, and where its `migration.sql` stands in the plan's file.
#[derive(Debug)]
pub struct PlannedFolder {
    pub name: String,
    file: Span,
}

/// A forward statement whose undo is not exact: where it stands, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Note {
    pub line: usize,
    #[serde(with = "VerdictName")]
    pub verdict: Verdict,
    pub reason: String,
}

/// A [`Note`] as it is written, borrowing the reason.
#[derive(Serialize)]
struct NoteRef<'a> {
    line: usize,
    verdict: Verdict,
    reason: &'a str,
}

/// Serialises the items of the iterator its function makes as a sequence, without
/// collecting them first.
struct Seq<F>(F);

impl<F: Fn() -> I, I: IntoIterator<Item = T>, T: Serialize> Serialize for Seq<F> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// [`Verdict`]'s JSON, read back as well as written (the undo engine only writes it).
#[derive(Serialize, Deserialize)]
#[serde(remote = "Verdict", rename_all = "lowercase")]
enum VerdictName {
    Exact,
    Lossy,
    Manual,
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

    /// The text of `folder`'s `migration.sql`.
    pub fn file(&self, folder: &PlannedFolder) -> io::Result<String> {
        self.spool.text(folder.file)
    }

    /// Every folder with its file, read back one at a time, in the order they are written.
    pub fn folders(&self) -> impl Iterator<Item = io::Result<NewFolder>> + '_ {
        self.undos.iter().flat_map(|u| &u.folders).map(|folder| {
            Ok(NewFolder {
                name: folder.name.clone(),
                sql: self.file(folder)?,
            })
        })
    }

    /// `undo`'s statements whose undo is not exact, in source order.
    pub fn notes(&self, undo: &PlannedUndo) -> io::Result<Vec<Note>> {
        self.spool.json(undo.notes)
    }

    /// `undo`'s [`StatementUndo`]s as JSON, as the JSON report shows them.
    pub fn statements(&self, undo: &PlannedUndo) -> io::Result<serde_json::Value> {
        self.spool.json(undo.statements)
    }

    /// Keeps one derived undo: its files are rendered straight into the spool (a large
    /// migration's are many times its SQL), with its report data and what the guard checks,
    /// and its summary is returned (the folders are named later, by [`assign_folders`]).
    fn keep(spool: &mut Spool, undo: MigrationUndo) -> io::Result<PlannedUndo> {
        let files = Files::new(&undo);
        let mut folders = Vec::with_capacity(files.len());
        for part in 0..files.len() {
            folders.push(PlannedFolder {
                name: String::new(),
                file: spool.put_text(|out| files.render(part, out))?,
            });
        }
        let notes = spool.put_json(&Seq(|| {
            undo.statements
                .iter()
                .filter(|s| s.undo.verdict != Verdict::Exact)
                .map(|s| NoteRef {
                    line: s.location.line,
                    verdict: s.undo.verdict,
                    reason: &s.undo.reason,
                })
        }))?;
        let statements = spool.put_json(&undo.statements)?;
        let files = &files;
        let built = spool.put_json(&Seq(|| {
            (0..files.len()).map(|part| Seq(move || files.built(part)))
        }))?;
        Ok(PlannedUndo {
            source: undo.source,
            source_checksum: undo.source_checksum,
            verdict: undo.verdict,
            counts: undo.counts,
            folders,
            statements,
            notes,
            built,
        })
    }

    /// Replaces a file's text, for the guard's tests.
    #[cfg(test)]
    fn replace_file(&mut self, undo: usize, part: usize, sql: &str) {
        let span = self.spool.put(sql.as_bytes()).unwrap();
        io::Write::flush(&mut self.spool).unwrap();
        self.undos[undo].folders[part].file = span;
    }
}

/// The plan's folders as the writer reads them: one file at a time, from the spool.
struct PlanFolders<'p> {
    plan: &'p Plan,
    folders: Vec<&'p PlannedFolder>,
}

impl NewFolders for PlanFolders<'_> {
    fn count(&self) -> usize {
        self.folders.len()
    }

    fn name(&self, i: usize) -> &str {
        &self.folders[i].name
    }

    fn sql(&self, i: usize) -> io::Result<Cow<'_, str>> {
        self.plan.file(self.folders[i]).map(Cow::Owned)
    }
}

/// Derives the undo of the selected migrations. Folder names use timestamps after every
/// existing folder, newest source first, so deploying them in order rolls back in reverse.
/// Each file sets `lock_timeout` for itself when one is given (see [`LockTimeout`]).
pub fn plan(
    history: &History,
    selection: &Selection,
    requested: Option<Timestamp>,
    now: Timestamp,
    force: bool,
    lock_timeout: Option<&LockTimeout>,
) -> Result<Plan, GenerateError> {
    let selected = select(history, selection)?;
    let mut spool = Spool::new().map_err(GenerateError::Spool)?;
    let mut undos = Vec::with_capacity(selected.len());
    let mut reaches = Vec::with_capacity(selected.len());
    derive_each(history, &selected, lock_timeout, |undo| {
        reaches.push(later::Reach::of(&undo));
        undos.push(Plan::keep(&mut spool, undo).map_err(GenerateError::Spool)?);
        Ok::<_, GenerateError>(())
    })?;
    if let Some((dependencies, last)) = later::check(history, &selected, &reaches)? {
        let never_undone = dependencies
            .iter()
            .filter_map(|d| history.find(&d.later))
            .find(|m| history.layout.never_undone(m))
            .map(|m| m.name.clone());
        return Err(GenerateError::LaterDepends {
            dependencies,
            dir: history.dir.clone(),
            last,
            never_undone,
        });
    }
    io::Write::flush(&mut spool).map_err(GenerateError::Spool)?;
    undos.reverse(); // newest source first
    match history.layout {
        Layout::Prisma => assign_folders(history, &mut undos, requested, now, force)?,
        // Another tool's undo goes where that tool keeps it (see `down_sql`), named there.
        _ => name_parts(&mut undos),
    }
    Ok(Plan { undos, spool })
}

fn select<'h>(
    history: &'h History,
    selection: &Selection,
) -> Result<Vec<&'h Migration>, GenerateError> {
    // Flyway's repeatable migrations have no undo: `--last` counts the others.
    let mut forward = history.forward();
    forward.retain(|m| !history.layout.never_undone(m));
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
                if history.layout.never_undone(m) {
                    return Err(GenerateError::NeverUndone {
                        name: m.name.clone(),
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
    undos: &mut [PlannedUndo],
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
    for u in undos.iter() {
        let parts = &u.folders;
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
    for (u, names) in undos.iter_mut().zip(reused) {
        let count = u.folders.len();
        for (i, folder) in u.folders.iter_mut().enumerate() {
            folder.name = match &names {
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
        }
    }
    Ok(())
}

/// Names each part after its source (`<source>`, `<source>_part2`, …) where no Prisma folder
/// is written, so a guard's message still says which undo it means.
fn name_parts(undos: &mut [PlannedUndo]) {
    for u in undos {
        for (i, folder) in u.folders.iter_mut().enumerate() {
            folder.name = match i {
                0 => u.source.clone(),
                _ => format!("{}_part{}", u.source, i + 1),
            };
        }
    }
}

/// Checks that every file of the plan parses back to exactly the statements the generator
/// built, in order, as it would be written ([`migrations::normalise`]); anything else is an
/// internal error. Each file is read back from the plan's temporary file, as it is written.
pub fn verify(plan: &Plan) -> Result<(), GenerateError> {
    for undo in &plan.undos {
        let built: Vec<Vec<String>> = plan.spool.json(undo.built).map_err(GenerateError::Spool)?;
        for (folder, built) in undo.folders.iter().zip(built) {
            let sql = plan.file(folder).map_err(GenerateError::Spool)?;
            guard::check(migrations::normalise(&sql), &built).map_err(|detail| {
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
    let folders = PlanFolders {
        plan,
        folders: plan.undos.iter().flat_map(|u| &u.folders).collect(),
    };
    Ok(migrations::write_new_folders(target, &folders, overwrite)?)
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
        let timeout = LockTimeout::default_timeout();
        let plan = plan(
            &history,
            &Selection::Last(1),
            Some(ts),
            ts,
            false,
            Some(&timeout),
        )
        .unwrap();
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
        let sql = plan.file(&plan.undos[0].folders[0]).unwrap();
        let tampered = [
            // A comment the generator let a carriage return end.
            sql.replace("-- lossy:", "-- lossy:\rDROP TABLE \"Keep\"; --"),
            // A statement changed after it was built.
            sql.replace("DROP COLUMN n", "DROP COLUMN id"),
            // Statements missing.
            sql.lines().take(3).collect::<Vec<_>>().join("\n"),
        ];
        for sql in tampered {
            plan.replace_file(0, 0, &sql);
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
