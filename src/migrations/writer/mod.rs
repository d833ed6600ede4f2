//! Writing new migration folders into a history, all or nothing, never clobbering.
//!
//! Prisma treats every directory inside `migrations/` as a migration, so nothing may appear
//! there half-written, not even for a moment: folders are built in a staging directory
//! beside `migrations/` (same file system, so `rename` is atomic) and renamed into place.
//! A failed rename, Ctrl-C or SIGTERM puts back the renames already done; after a SIGKILL
//! the next run does ([`super::staging`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io::{self, ErrorKind, Write};
use std::path::{Component, Path, PathBuf};

use super::history::{decode_utf8, read_regular};
use super::interrupt::Deferral;
use super::naming::{seal_state, undo_source, without_seal, SealState};
use super::staging::{new_folder, old_folder, recover_interrupted, Staging};
use super::{MigrationsError, MAX_FOLDER_NAME_BYTES, MIGRATION_SQL};

/// A folder to create: `<name>/migration.sql` containing `sql`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewFolder {
    pub name: String,
    /// Must start with the [`super::undo_header`] line.
    pub sql: String,
}

/// Folders to write whose files are read one at a time, when needed, so that a large set of
/// them is never held in memory whole (`generate` keeps its files in a temporary file).
pub trait NewFolders {
    /// How many folders there are.
    fn count(&self) -> usize;
    /// The name of folder `i`.
    fn name(&self, i: usize) -> &str;
    /// The text of folder `i`'s `migration.sql`; see [`NewFolder::sql`].
    fn sql(&self, i: usize) -> io::Result<Cow<'_, str>>;
}

impl NewFolders for &[NewFolder] {
    fn count(&self) -> usize {
        self.len()
    }

    fn name(&self, i: usize) -> &str {
        &self[i].name
    }

    fn sql(&self, i: usize) -> io::Result<Cow<'_, str>> {
        Ok(Cow::Borrowed(&self[i].sql))
    }
}

/// What may become of a folder already at a target path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Nothing: an existing target is an error.
    Never,
    /// A folder unmigrate wrote, while its file is as generated: its content checksum (second
    /// line) matches, or, for a file written before checksums, it equals the new file.
    Unedited,
    /// A folder unmigrate wrote, hand edits and all.
    DiscardEdits,
}

/// What to do at one target path, decided before anything is written.
struct Plan {
    target: PathBuf,
    staged: PathBuf,
    /// Where the existing folder goes while being replaced (`--force`), if there is one.
    old: Option<PathBuf>,
}

/// One rename already done during commit, so it can be undone.
enum Done {
    MovedOut { target: PathBuf, old: PathBuf },
    PlacedNew { staged: PathBuf, target: PathBuf },
}

/// Writes each folder as `target_dir/<name>/migration.sql` (UTF-8, no BOM, bytes as given)
/// and returns their paths (`target_dir.join(name)`), in input order.
///
/// All targets are checked before anything is written: an existing one is an error unless
/// `overwrite` allows it, and even then only folders unmigrate wrote itself are replaced, and
/// hand-edited ones only with [`Overwrite::DiscardEdits`]. If a rename
/// fails midway, the renames already done are undone. `target_dir` is created if missing
/// (its parent must exist); no other directory is ever created inside it.
pub fn write_folders(
    target_dir: &Path,
    folders: &[NewFolder],
    overwrite: Overwrite,
) -> Result<Vec<PathBuf>, MigrationsError> {
    write_new_folders(target_dir, &folders, overwrite)
}

/// [`write_folders`], reading each file only when it is checked or written.
pub fn write_new_folders(
    target_dir: &Path,
    folders: &dyn NewFolders,
    overwrite: Overwrite,
) -> Result<Vec<PathBuf>, MigrationsError> {
    validate(folders)?;
    let parent = staging_parent(target_dir)?;
    recover_interrupted(target_dir)?;
    let existing = check_targets(target_dir, folders, overwrite)?;
    // Declared before the staging directory, so dropped after it: a signal that arrives
    // after the last check ends the process only once the directory is gone.
    let deferral = Deferral::start().map_err(MigrationsError::SignalHandler)?;
    let staging = Staging::create(&parent)?;
    let plans = plan(target_dir, staging.path(), folders, &existing);
    for (i, plan) in plans.iter().enumerate() {
        if let Some(signal) = deferral.take() {
            staging.close()?;
            return Err(interrupted(signal, "nothing was written"));
        }
        stage(&plan.staged, &read_sql(folders, i)?)?;
    }
    sync_dir(staging.path())?;
    let names: Vec<&str> = (0..folders.count()).map(|i| folders.name(i)).collect();
    staging.write_journal(target_dir, &names)?;
    let created_target = create_target_dir(target_dir)?;
    if let Err(failure) = commit(&plans, &deferral) {
        return Err(abandon(failure, staging, target_dir, created_target));
    }
    sync_dir(target_dir)?;
    staging.close()?;
    Ok(plans.into_iter().map(|p| p.target).collect())
}

fn interrupted(signal: i32, outcome: &str) -> MigrationsError {
    MigrationsError::Interrupted {
        signal,
        outcome: outcome.to_string(),
    }
}

/// Names must be one plain path component we could have generated, each used once, and
/// every file must carry the undo marker so a later `--force` can recognise it.
fn validate(folders: &dyn NewFolders) -> Result<(), MigrationsError> {
    let mut seen = HashSet::new();
    for i in 0..folders.count() {
        let name = folders.name(i);
        check_name(name)?;
        if !seen.insert(name) {
            return Err(MigrationsError::DuplicateFolder {
                name: name.to_string(),
            });
        }
        if undo_source(normalise(&read_sql(folders, i)?)).is_none() {
            return Err(MigrationsError::MissingUndoMarker {
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

fn read_sql(folders: &dyn NewFolders, i: usize) -> Result<Cow<'_, str>, MigrationsError> {
    folders.sql(i).map_err(|source| MigrationsError::ReadBack {
        name: folders.name(i).to_string(),
        source,
    })
}

fn check_name(name: &str) -> Result<(), MigrationsError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_FOLDER_NAME_BYTES {
        Some("it is longer than 200 bytes")
    } else if name.starts_with('.') {
        Some("it starts with '.'")
    } else if name.contains(['/', '\\', '\0']) || !is_one_component(name) {
        Some("it must be a single folder name, not a path")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(MigrationsError::InvalidFolderName {
            name: name.to_string(),
            reason: reason.to_string(),
        }),
    }
}

fn is_one_component(name: &str) -> bool {
    let mut parts = Path::new(name).components();
    matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(_)), None)
    )
}

/// The directory beside `target_dir` where new folders are staged: its real parent.
///
/// Resolved through `canonicalize` so that a target like `.` or `prisma/migrations/..`
/// cannot make its "parent" the target itself, which would stage inside `migrations/`.
pub(super) fn staging_parent(target_dir: &Path) -> Result<PathBuf, MigrationsError> {
    let parent_missing = || MigrationsError::TargetParentMissing {
        dir: target_dir.to_path_buf(),
    };
    let target = match fs::canonicalize(target_dir) {
        Ok(target) if !target.is_dir() => {
            return Err(MigrationsError::NotADirectory {
                dir: target_dir.to_path_buf(),
            })
        }
        Ok(target) => target,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let name = target_dir.file_name().ok_or_else(parent_missing)?;
            let parent = nonempty_parent(target_dir).ok_or_else(parent_missing)?;
            fs::canonicalize(parent)
                .map_err(|_| parent_missing())?
                .join(name)
        }
        Err(e) => return Err(MigrationsError::io(target_dir)(e)),
    };
    Ok(target.parent().ok_or_else(parent_missing)?.to_path_buf())
}

/// `Path::parent` returns `""` for a bare relative name; that means the current directory.
fn nonempty_parent(path: &Path) -> Option<&Path> {
    path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    })
}

/// Checks every target before anything is written, so a refusal leaves no trace; returns
/// which targets exist (and may be replaced).
fn check_targets(
    target_dir: &Path,
    folders: &dyn NewFolders,
    overwrite: Overwrite,
) -> Result<Vec<bool>, MigrationsError> {
    let mut existing = Vec::with_capacity(folders.count());
    let mut edited = Vec::new();
    for i in 0..folders.count() {
        let target = target_dir.join(folders.name(i));
        let exists = match fs::symlink_metadata(&target) {
            Ok(_) => true,
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(e) => return Err(MigrationsError::io(&target)(e)),
        };
        if exists && overwrite == Overwrite::Never {
            return Err(MigrationsError::TargetExists { path: target });
        }
        if exists {
            let old = check_replaceable(&target)?;
            if overwrite != Overwrite::DiscardEdits {
                if let Some(how) = hand_edit(&old, &read_sql(folders, i)?) {
                    edited.push(format!("{} ({how})", target.display()));
                }
            }
        }
        existing.push(exists);
    }
    if !edited.is_empty() {
        return Err(MigrationsError::HandEdited { folders: edited });
    }
    Ok(existing)
}

/// Whether two texts are equal as they are, or once CRLF is read as LF on both sides.
fn same_but_line_endings(a: &str, b: &str) -> bool {
    a == b || a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
}

/// How an existing generated file differs from what unmigrate wrote, if it does.
fn hand_edit(old: &str, new: &str) -> Option<&'static str> {
    match seal_state(old) {
        SealState::Intact => None,
        SealState::Edited => Some("edited since it was generated"),
        SealState::Unsealed if same_but_line_endings(old, &without_seal(normalise(new))) => None,
        SealState::Unsealed => {
            Some("written before unmigrate recorded checksums, and not what it would write now")
        }
    }
}

/// Where each folder is staged, where it goes, and where the folder it replaces is parked.
fn plan(
    target_dir: &Path,
    staging: &Path,
    folders: &dyn NewFolders,
    existing: &[bool],
) -> Vec<Plan> {
    let plan = |(i, exists): (usize, &bool)| Plan {
        target: target_dir.join(folders.name(i)),
        staged: new_folder(staging, i),
        old: exists.then(|| old_folder(staging, i)),
    };
    existing.iter().enumerate().map(plan).collect()
}

/// Only a plain folder holding nothing but an unmigrate-written `migration.sql` may be
/// replaced: anything else is somebody's work, and `--force` must never destroy it. Returns
/// the file's text.
pub(super) fn check_replaceable(target: &Path) -> Result<String, MigrationsError> {
    let refuse = |reason: String| MigrationsError::ForceRefused {
        path: target.to_path_buf(),
        reason,
    };
    let meta = fs::symlink_metadata(target).map_err(MigrationsError::io(target))?;
    if !meta.is_dir() {
        return Err(refuse("it is not a folder".into()));
    }
    for entry in fs::read_dir(target).map_err(MigrationsError::io(target))? {
        let entry = entry.map_err(MigrationsError::io(target))?;
        if entry.file_name() != OsStr::new(MIGRATION_SQL) {
            let other = entry.file_name().to_string_lossy().into_owned();
            return Err(refuse(format!(
                "it contains {other} besides {MIGRATION_SQL}"
            )));
        }
    }
    let sql_path = target.join(MIGRATION_SQL);
    let bytes = match read_regular(&sql_path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(refuse(format!("it has no {MIGRATION_SQL}"))),
        Err(e) => return Err(refuse(format!("cannot read {MIGRATION_SQL} ({e})"))),
    };
    let sql = decode_utf8(&sql_path, &bytes).map_err(|e| refuse(e.to_string()))?;
    match undo_source(&sql) {
        Some(_) => Ok(sql),
        None => Err(refuse(format!(
            "its {MIGRATION_SQL} was not written by unmigrate"
        ))),
    }
}

/// The bytes we write: the text without a byte-order mark. Line endings are the caller's:
/// the generator writes LF (what Prisma writes, and what keeps the checksum the same on every
/// system), and a carriage return it writes is data inside a string literal (an earlier
/// comment or default restored as it was), which turning CRLF into LF here would change.
pub fn normalise(sql: &str) -> &str {
    sql.strip_prefix('\u{feff}').unwrap_or(sql)
}

/// Builds one folder in the staging area and makes it durable before it becomes visible.
fn stage(dir: &Path, sql: &str) -> Result<(), MigrationsError> {
    fs::create_dir(dir).map_err(MigrationsError::io(dir))?;
    let path = dir.join(MIGRATION_SQL);
    let write = || -> io::Result<()> {
        let mut file = fs::File::create_new(&path)?;
        file.write_all(normalise(sql).as_bytes())?;
        file.sync_all()
    };
    write().map_err(MigrationsError::io(&path))?;
    sync_dir(dir)
}

/// Creates the target directory if missing; returns whether it did, to undo that on failure.
fn create_target_dir(dir: &Path) -> Result<bool, MigrationsError> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(false),
        Err(e) => Err(MigrationsError::io(dir)(e)),
    }
}

/// Renames every staged folder into place, first moving aside any folder it replaces.
/// On failure or a signal returns the error and the renames done so far, newest last.
fn commit(plans: &[Plan], deferral: &Deferral) -> Result<(), (MigrationsError, Vec<Done>)> {
    let mut done = Vec::new();
    let pause = test_pause();
    for plan in plans {
        if let Some(signal) = deferral.take() {
            return Err((interrupted(signal, ""), done));
        }
        if let Some(pause) = pause {
            std::thread::sleep(pause);
        }
        if let Some(old) = &plan.old {
            match rename(&plan.target, old) {
                Ok(()) => done.push(Done::MovedOut {
                    target: plan.target.clone(),
                    old: old.clone(),
                }),
                Err(e) => return Err((rename_error(&plan.target, old, e), done)),
            }
        }
        if fs::symlink_metadata(&plan.target).is_ok() {
            let e = io::Error::new(ErrorKind::AlreadyExists, "it appeared while writing");
            return Err((rename_error(&plan.staged, &plan.target, e), done));
        }
        match rename(&plan.staged, &plan.target) {
            Ok(()) => done.push(Done::PlacedNew {
                staged: plan.staged.clone(),
                target: plan.target.clone(),
            }),
            Err(e) => return Err((rename_error(&plan.staged, &plan.target, e), done)),
        }
    }
    Ok(())
}

fn rename_error(from: &Path, to: &Path, source: io::Error) -> MigrationsError {
    MigrationsError::Rename {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        source,
        rollback: String::new(),
    }
}

/// Undoes the renames of a failed commit and says what happened in the error. If anything
/// could not be put back, the staging area is kept (it may hold a replaced folder) and the
/// message says where.
fn abandon(
    (mut err, done): (MigrationsError, Vec<Done>),
    staging: Staging,
    target_dir: &Path,
    created_target: bool,
) -> MigrationsError {
    let failures = roll_back(done);
    let outcome = if failures.is_empty() {
        if created_target {
            let _ = fs::remove_dir(target_dir); // empty again; leaving it would be harmless
        }
        match staging.close() {
            Ok(()) => "nothing was changed".to_string(),
            Err(e) => format!("nothing was changed, but {e}"),
        }
    } else {
        let kept = staging.keep();
        format!(
            "undoing the earlier renames also failed ({}); the folders moved aside are in {}",
            failures.join("; "),
            kept.display()
        )
    };
    match &mut err {
        MigrationsError::Rename { rollback, .. } => *rollback = outcome,
        MigrationsError::Interrupted { outcome: o, .. } => *o = outcome,
        _ => {}
    }
    err
}

/// Reverses the renames, newest first; returns a description of each one that failed.
fn roll_back(done: Vec<Done>) -> Vec<String> {
    let mut failures = Vec::new();
    for step in done.into_iter().rev() {
        let (from, to) = match step {
            Done::PlacedNew { staged, target } => (target, staged),
            Done::MovedOut { target, old } => (old, target),
        };
        if let Err(e) = rename(&from, &to) {
            failures.push(format!("{} → {}: {e}", from.display(), to.display()));
        }
    }
    failures
}

/// Makes a directory's entries (new files, renames) durable. Directories cannot be opened
/// for syncing on Windows; there the rename itself is all we can do.
fn sync_dir(dir: &Path) -> Result<(), MigrationsError> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(MigrationsError::io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A pause before each rename, for the tests that interrupt a run while it renames
/// (`UNMIGRATE_TEST_RENAME_PAUSE_MS`, at most one second). It only slows a run down.
fn test_pause() -> Option<std::time::Duration> {
    let ms: u64 = std::env::var("UNMIGRATE_TEST_RENAME_PAUSE_MS")
        .ok()?
        .parse()
        .ok()?;
    Some(std::time::Duration::from_millis(ms.min(1000)))
}

/// `fs::rename`, with a failure injection point for the rollback tests.
fn rename(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(test)]
    if fault::next_rename_fails() {
        return Err(io::Error::other("injected rename failure"));
    }
    fs::rename(from, to)
}

#[cfg(test)]
mod fault {
    use std::cell::Cell;

    thread_local! {
        /// How many renames succeed before one fails; `None` never fails.
        pub static RENAMES_BEFORE_FAILURE: Cell<Option<usize>> = const { Cell::new(None) };
    }

    pub fn next_rename_fails() -> bool {
        RENAMES_BEFORE_FAILURE.with(|c| match c.get() {
            Some(0) => {
                c.set(None);
                true
            }
            Some(n) => {
                c.set(Some(n - 1));
                false
            }
            None => false,
        })
    }
}

#[cfg(test)]
mod tests;
