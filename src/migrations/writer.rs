//! Writing new migration folders into a history, all or nothing, never clobbering.
//!
//! Prisma treats every directory inside `migrations/` as a migration, so nothing may appear
//! there half-written, not even for a moment: folders are built in a temporary directory
//! beside `migrations/` (same file system, so `rename` is atomic) and renamed into place.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, ErrorKind, Write};
use std::path::{Component, Path, PathBuf};

use tempfile::TempDir;

use super::history::decode_utf8;
use super::naming::{seal_state, undo_source, without_seal, SealState};
use super::{MigrationsError, MAX_FOLDER_NAME_BYTES, MIGRATION_SQL};

/// A folder to create: `<name>/migration.sql` containing `sql`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewFolder {
    pub name: String,
    /// Must start with the [`super::undo_header`] line.
    pub sql: String,
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

/// Writes each folder as `target_dir/<name>/migration.sql` (UTF-8, no BOM, LF line endings)
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
    validate(folders)?;
    let parent = staging_parent(target_dir)?;
    let existing = check_targets(target_dir, folders, overwrite)?;
    let staging = tempfile::Builder::new()
        .prefix(".unmigrate-")
        .tempdir_in(&parent)
        .map_err(MigrationsError::io(&parent))?;
    let plans = plan(target_dir, staging.path(), folders, &existing);
    for (plan, folder) in plans.iter().zip(folders) {
        stage(&plan.staged, &folder.sql)?;
    }
    sync_dir(staging.path())?;
    let created_target = create_target_dir(target_dir)?;
    if let Err(err) = commit(&plans) {
        return Err(abandon(err, staging, target_dir, created_target));
    }
    sync_dir(target_dir)?;
    let path = staging.path().to_path_buf();
    staging
        .close()
        .map_err(|source| MigrationsError::Cleanup { path, source })?;
    Ok(plans.into_iter().map(|p| p.target).collect())
}

/// Names must be one plain path component we could have generated, each used once, and
/// every file must carry the undo marker so a later `--force` can recognise it.
fn validate(folders: &[NewFolder]) -> Result<(), MigrationsError> {
    for (i, folder) in folders.iter().enumerate() {
        check_name(&folder.name)?;
        if folders[..i].iter().any(|f| f.name == folder.name) {
            return Err(MigrationsError::DuplicateFolder {
                name: folder.name.clone(),
            });
        }
        if undo_source(&normalise(&folder.sql)).is_none() {
            return Err(MigrationsError::MissingUndoMarker {
                name: folder.name.clone(),
            });
        }
    }
    Ok(())
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
fn staging_parent(target_dir: &Path) -> Result<PathBuf, MigrationsError> {
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
    folders: &[NewFolder],
    overwrite: Overwrite,
) -> Result<Vec<bool>, MigrationsError> {
    let mut existing = Vec::with_capacity(folders.len());
    let mut edited = Vec::new();
    for folder in folders {
        let target = target_dir.join(&folder.name);
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
                if let Some(how) = hand_edit(&old, &folder.sql) {
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

/// How an existing generated file differs from what unmigrate wrote, if it does.
fn hand_edit(old: &str, new: &str) -> Option<&'static str> {
    match seal_state(old) {
        SealState::Intact => None,
        SealState::Edited => Some("edited since it was generated"),
        SealState::Unsealed if old.replace("\r\n", "\n") == without_seal(&normalise(new)) => None,
        SealState::Unsealed => Some(
            "written before unmigrate recorded checksums, and not what it would write now",
        ),
    }
}

/// Where each folder is staged, where it goes, and where the folder it replaces is parked.
fn plan(target_dir: &Path, staging: &Path, folders: &[NewFolder], existing: &[bool]) -> Vec<Plan> {
    let plan = |(i, (folder, exists)): (usize, (&NewFolder, &bool))| Plan {
        target: target_dir.join(&folder.name),
        staged: staging.join(format!("new-{i}")),
        old: exists.then(|| staging.join(format!("old-{i}"))),
    };
    folders.iter().zip(existing).enumerate().map(plan).collect()
}

/// Only a plain folder holding nothing but an unmigrate-written `migration.sql` may be
/// replaced: anything else is somebody's work, and `--force` must never destroy it. Returns
/// the file's text.
fn check_replaceable(target: &Path) -> Result<String, MigrationsError> {
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
    let bytes =
        fs::read(&sql_path).map_err(|e| refuse(format!("cannot read {MIGRATION_SQL} ({e})")))?;
    let sql = decode_utf8(&sql_path, &bytes).map_err(|e| refuse(e.to_string()))?;
    match undo_source(&sql) {
        Some(_) => Ok(sql),
        None => Err(refuse(format!(
            "its {MIGRATION_SQL} was not written by unmigrate"
        ))),
    }
}

/// The bytes we write: no byte-order mark, LF line endings (what Prisma itself writes, and
/// what keeps the checksum stable across operating systems).
pub fn normalise(sql: &str) -> String {
    sql.strip_prefix('\u{feff}')
        .unwrap_or(sql)
        .replace("\r\n", "\n")
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
/// On failure returns the error and the renames done so far, newest last.
fn commit(plans: &[Plan]) -> Result<(), (MigrationsError, Vec<Done>)> {
    let mut done = Vec::new();
    for plan in plans {
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
    staging: TempDir,
    target_dir: &Path,
    created_target: bool,
) -> MigrationsError {
    let failures = roll_back(done);
    let outcome = if failures.is_empty() {
        if created_target {
            let _ = fs::remove_dir(target_dir); // empty again; leaving it would be harmless
        }
        "nothing was changed".to_string()
    } else {
        let kept = staging.keep();
        format!(
            "undoing the earlier renames also failed ({}); the folders moved aside are in {}",
            failures.join("; "),
            kept.display()
        )
    };
    if let MigrationsError::Rename { rollback, .. } = &mut err {
        *rollback = outcome;
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
mod tests {
    use super::*;
    use crate::migrations::{read_history, undo_header};
    use std::collections::BTreeSet;

    fn undo(name: &str, source: &str, body: &str) -> NewFolder {
        NewFolder {
            name: name.to_string(),
            sql: format!("{}\n{body}", undo_header(source)),
        }
    }

    fn listing(dir: &Path) -> BTreeSet<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// A project dir with `migrations/` holding one forward migration; returns (tmp, migrations).
    fn project() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let migrations = tmp.path().join("migrations");
        fs::create_dir_all(migrations.join("20240101000000_init")).unwrap();
        fs::write(
            migrations.join("20240101000000_init/migration.sql"),
            "CREATE TABLE a();\n",
        )
        .unwrap();
        (tmp, migrations)
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap()
    }

    #[test]
    fn writes_normalised_folders_and_leaves_no_stray_dirs() {
        let (tmp, migrations) = project();
        let folders = [
            undo(
                "20240201000000_undo_init",
                "20240101000000_init",
                "DROP TABLE a;\r\n",
            ),
            NewFolder {
                name: "20240201000001_undo_init".into(),
                sql: format!("\u{feff}{}\r\nSELECT 1;\r\n", undo_header("x")),
            },
        ];
        let paths = write_folders(&migrations, &folders, Overwrite::Never).unwrap();
        assert_eq!(
            paths,
            [
                migrations.join("20240201000000_undo_init"),
                migrations.join("20240201000001_undo_init")
            ]
        );
        assert_eq!(
            read(&paths[0].join(MIGRATION_SQL)),
            "-- unmigrate: undo of 20240101000000_init\nDROP TABLE a;\n"
        );
        assert_eq!(
            read(&paths[1].join(MIGRATION_SQL)),
            "-- unmigrate: undo of x\nSELECT 1;\n"
        );
        assert_eq!(
            listing(tmp.path()),
            BTreeSet::from(["migrations".to_string()])
        );
        assert_eq!(
            listing(&paths[0]),
            BTreeSet::from([MIGRATION_SQL.to_string()])
        );
        let h = read_history(&migrations).unwrap();
        assert_eq!(h.migrations.len(), 3);
        assert_eq!(
            h.migrations[1].undo_of.as_deref(),
            Some("20240101000000_init")
        );
    }

    #[test]
    fn existing_target_is_an_error_and_nothing_is_written() {
        let (tmp, migrations) = project();
        let existing = undo("20240201000001_undo_b", "b", "SELECT 2;\n");
        write_folders(&migrations, std::slice::from_ref(&existing), Overwrite::Never).unwrap();
        let before = listing(&migrations);
        let folders = [undo("20240201000000_undo_a", "a", "SELECT 1;\n"), existing];
        let err = write_folders(&migrations, &folders, Overwrite::Never).unwrap_err();
        assert!(matches!(err, MigrationsError::TargetExists { .. }), "{err}");
        assert!(
            err.to_string().contains("20240201000001_undo_b")
                && err.to_string().contains("--force")
        );
        assert_eq!(listing(&migrations), before);
        assert_eq!(
            listing(tmp.path()),
            BTreeSet::from(["migrations".to_string()])
        );
    }

    #[test]
    fn force_replaces_only_unmigrate_folders() {
        let (tmp, migrations) = project();
        write_folders(
            &migrations,
            &[undo(
                "20240201000000_undo_init",
                "20240101000000_init",
                "OLD;\n",
            )],
            Overwrite::Never,
        )
        .unwrap();
        let new = undo("20240201000000_undo_init", "20240101000000_init", "NEW;\n");
        write_folders(&migrations, std::slice::from_ref(&new), Overwrite::DiscardEdits).unwrap();
        assert!(
            read(&migrations.join("20240201000000_undo_init/migration.sql")).ends_with("NEW;\n")
        );

        let forward = undo("20240101000000_init", "whatever", "DROP TABLE a;\n");
        let err = write_folders(&migrations, &[forward], Overwrite::DiscardEdits).unwrap_err();
        assert!(matches!(err, MigrationsError::ForceRefused { .. }), "{err}");
        assert_eq!(
            read(&migrations.join("20240101000000_init/migration.sql")),
            "CREATE TABLE a();\n"
        );

        fs::write(migrations.join("20240201000000_undo_init/notes.md"), "mine").unwrap();
        let err = write_folders(&migrations, &[new], Overwrite::DiscardEdits).unwrap_err();
        assert!(err.to_string().contains("notes.md"), "{err}");
        assert_eq!(
            listing(tmp.path()),
            BTreeSet::from(["migrations".to_string()])
        );
    }

    #[test]
    fn force_keeps_hand_edits_unless_told_to_discard_them() {
        let (_tmp, migrations) = project();
        let name = "20240201000000_undo_init";
        let sealed = |body: &str| NewFolder {
            name: name.into(),
            sql: crate::migrations::seal(&format!("{}\n{body}", undo_header("1_init"))),
        };
        let path = migrations.join(name).join(MIGRATION_SQL);
        write_folders(&migrations, &[sealed("OLD;\n")], Overwrite::Never).unwrap();
        write_folders(&migrations, &[sealed("NEW;\n")], Overwrite::Unedited).unwrap();
        assert!(read(&path).ends_with("NEW;\n"));

        let edited = format!("{}-- mine\n", read(&path));
        fs::write(&path, &edited).unwrap();
        let err = write_folders(&migrations, &[sealed("NEWER;\n")], Overwrite::Unedited)
            .unwrap_err();
        assert!(matches!(err, MigrationsError::HandEdited { .. }), "{err}");
        assert!(err.to_string().contains(name) && err.to_string().contains("--discard-edits"));
        assert_eq!(read(&path), edited);
        write_folders(&migrations, &[sealed("NEWER;\n")], Overwrite::DiscardEdits).unwrap();
        assert!(read(&path).ends_with("NEWER;\n"));

        // Written before checksums: replaced only when it is what would be written now.
        let old = format!("{}\nNEWEST;\n", undo_header("1_init"));
        fs::write(&path, &old).unwrap();
        let err = write_folders(&migrations, &[sealed("OTHER;\n")], Overwrite::Unedited)
            .unwrap_err();
        assert!(err.to_string().contains("before unmigrate recorded checksums"), "{err}");
        assert_eq!(read(&path), old);
        write_folders(&migrations, &[sealed("NEWEST;\n")], Overwrite::Unedited).unwrap();
        assert_eq!(read(&path), crate::migrations::seal(&old));
    }

    #[test]
    fn failed_second_rename_undoes_the_first_and_restores_replaced_folder() {
        let (tmp, migrations) = project();
        let old = undo("20240201000001_undo_b", "b", "OLD;\n");
        write_folders(&migrations, &[old], Overwrite::Never).unwrap();
        let before = listing(&migrations);
        let folders = [
            undo("20240201000000_undo_a", "a", "NEW A;\n"),
            undo("20240201000001_undo_b", "b", "NEW B;\n"),
            undo("20240201000002_undo_c", "c", "NEW C;\n"),
        ];
        // Renames: place a (0), move b aside (1), place b (2) ← fails.
        fault::RENAMES_BEFORE_FAILURE.with(|c| c.set(Some(2)));
        let err = write_folders(&migrations, &folders, Overwrite::DiscardEdits).unwrap_err();
        fault::RENAMES_BEFORE_FAILURE.with(|c| c.set(None));
        assert!(matches!(err, MigrationsError::Rename { .. }), "{err}");
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(listing(&migrations), before);
        assert!(read(&migrations.join("20240201000001_undo_b/migration.sql")).ends_with("OLD;\n"));
        assert_eq!(
            listing(tmp.path()),
            BTreeSet::from(["migrations".to_string()])
        );
    }

    #[test]
    fn creates_missing_target_dir_but_not_missing_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("migrations");
        write_folders(&target, &[undo("20240201000000_undo_a", "a", "")], Overwrite::Never).unwrap();
        assert_eq!(
            listing(&target),
            BTreeSet::from(["20240201000000_undo_a".to_string()])
        );
        let deep = tmp.path().join("no/such/migrations");
        let err =
            write_folders(&deep, &[undo("20240201000000_undo_a", "a", "")], Overwrite::Never).unwrap_err();
        assert!(
            matches!(err, MigrationsError::TargetParentMissing { .. }),
            "{err}"
        );
        assert_eq!(
            listing(tmp.path()),
            BTreeSet::from(["migrations".to_string()])
        );
    }

    #[test]
    fn rejects_bad_names_duplicates_and_missing_marker() {
        let (_tmp, migrations) = project();
        for name in ["", ".x", "a/b", "..", "a\\b", &"x".repeat(201)] {
            let err = write_folders(&migrations, &[undo(name, "a", "")], Overwrite::Never).unwrap_err();
            assert!(
                matches!(err, MigrationsError::InvalidFolderName { .. }),
                "{name}: {err}"
            );
        }
        let dup = [undo("1_a", "a", ""), undo("1_a", "a", "")];
        assert!(matches!(
            write_folders(&migrations, &dup, Overwrite::Never),
            Err(MigrationsError::DuplicateFolder { .. })
        ));
        let plain = NewFolder {
            name: "1_a".into(),
            sql: "SELECT 1;\n".into(),
        };
        assert!(matches!(
            write_folders(&migrations, &[plain], Overwrite::Never),
            Err(MigrationsError::MissingUndoMarker { .. })
        ));
    }
}
