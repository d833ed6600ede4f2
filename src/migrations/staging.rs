//! The staging directory beside the target, where new folders are built before they are
//! renamed into place, and how a later run cleans up after a run that was killed outright
//! (SIGKILL, power loss) and so could neither finish nor put things back.
//!
//! A live run holds an exclusive lock (`flock`) on its staging directory for as long as it
//! exists; the kernel drops the lock when the process dies, however it dies. So a staging
//! directory nobody holds is stale. Before its first rename, a run writes a journal there
//! naming every target; from it a later run undoes the renames the killed run had done (new
//! folders go back out, replaced ones come back), then removes the directory.

use std::fs::{self, File};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::MigrationsError;
use crate::untrusted;

/// Staging directories are named `.unmigrate-<random>`.
pub(super) const PREFIX: &str = ".unmigrate-";
const JOURNAL: &str = "journal";

/// A staging directory this process owns and holds locked.
pub(super) struct Staging {
    dir: TempDir,
    _lock: File,
}

impl Staging {
    /// Creates a new staging directory in `parent`, locked. A cleanup by another run may
    /// remove it in the instant before the lock is taken; then another is made.
    pub(super) fn create(parent: &Path) -> Result<Staging, MigrationsError> {
        let mut attempts = 0;
        loop {
            let dir = tempfile::Builder::new()
                .prefix(PREFIX)
                .tempdir_in(parent)
                .map_err(MigrationsError::io(parent))?;
            let lock = File::open(dir.path()).map_err(MigrationsError::io(dir.path()))?;
            let locked = lock.try_lock().is_ok();
            if locked && same_file(&lock, dir.path()) {
                return Ok(Staging { dir, _lock: lock });
            }
            attempts += 1;
            if attempts == 3 {
                let e = io::Error::other("another unmigrate run keeps removing it");
                return Err(MigrationsError::io(dir.path())(e));
            }
        }
    }

    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Records the targets before the first rename: `targets[i]` is where `new-i` goes (and
    /// whence `old-i` came, when it replaces a folder).
    pub(super) fn write_journal(
        &self,
        target_dir: &Path,
        targets: &[&str],
    ) -> Result<(), MigrationsError> {
        let dir_name = target_dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| MigrationsError::NonUtf8Name {
                path: target_dir.to_path_buf(),
            })?;
        let mut text = format!("{}\n", untrusted::encode_name(dir_name));
        for target in targets {
            text.push_str(&untrusted::encode_name(target));
            text.push('\n');
        }
        let path = self.path().join(JOURNAL);
        let partial = self.path().join("journal.partial");
        let write = || -> io::Result<()> {
            let mut file = File::create_new(&partial)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            fs::rename(&partial, &path)?;
            File::open(self.path())?.sync_all()
        };
        write().map_err(MigrationsError::io(&path))
    }

    /// Removes the directory (what is left in it: the replaced folders, or nothing).
    pub(super) fn close(self) -> Result<(), MigrationsError> {
        let path = self.path().to_path_buf();
        self.dir
            .close()
            .map_err(|source| MigrationsError::Cleanup { path, source })
    }

    /// Keeps the directory (something in it could not be put back) and returns its path.
    pub(super) fn keep(self) -> PathBuf {
        self.dir.keep()
    }
}

/// Where the `i`th new folder is built in a staging directory.
pub(super) fn new_folder(staging: &Path, i: usize) -> PathBuf {
    staging.join(format!("new-{i}"))
}

/// Where the folder the `i`th new folder replaces waits until the run is over.
pub(super) fn old_folder(staging: &Path, i: usize) -> PathBuf {
    staging.join(format!("old-{i}"))
}

/// Whether the open directory is still the one at `path` (not removed and replaced).
#[cfg(unix)]
fn same_file(open: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (open.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.is_dir()
}

/// Puts back what killed runs left half done beside `target_dir` and removes their staging
/// directories; returns the directories cleaned up. Live runs' directories are left alone.
/// Where `target_dir` cannot be written (no parent) there is nothing to recover.
pub fn recover_interrupted(target_dir: &Path) -> Result<Vec<PathBuf>, MigrationsError> {
    let mut recovered = Vec::new();
    for (staging, _lock) in stale(target_dir)? {
        recover_one(&staging)?;
        recovered.push(staging);
    }
    Ok(recovered)
}

/// The staging directories killed runs left beside `target_dir`, touching nothing (for a
/// dry run, which writes nothing and so cannot clean up).
pub fn interrupted_runs(target_dir: &Path) -> Result<Vec<PathBuf>, MigrationsError> {
    Ok(stale(target_dir)?.into_iter().map(|(dir, _)| dir).collect())
}

/// Stale staging directories beside `target_dir`, each with the lock that proves it stale,
/// held until dropped.
fn stale(target_dir: &Path) -> Result<Vec<(PathBuf, File)>, MigrationsError> {
    let Ok(parent) = super::writer::staging_parent(target_dir) else {
        return Ok(Vec::new());
    };
    let entries = match fs::read_dir(&parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(MigrationsError::io(&parent)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(MigrationsError::io(&parent))?;
        let is_staging = entry.file_name().to_string_lossy().starts_with(PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_staging {
            continue;
        }
        let path = entry.path();
        let lock = File::open(&path).map_err(MigrationsError::io(&path))?;
        if lock.try_lock().is_ok() {
            found.push((path, lock)); // nobody holds it: its run is gone
        }
    }
    Ok(found)
}

/// Puts back what the run of a stale staging directory did, then removes the directory.
fn recover_one(staging: &Path) -> Result<(), MigrationsError> {
    let parent = staging.parent().unwrap_or(Path::new("."));
    let stuck = |reason: String| MigrationsError::StaleStaging {
        path: staging.to_path_buf(),
        reason,
    };
    match fs::read_to_string(staging.join(JOURNAL)) {
        // No journal: the run never renamed anything; its staged folders are all it left.
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(MigrationsError::io(staging.join(JOURNAL))(e)),
        Ok(journal) => roll_back_journal(parent, staging, &journal).map_err(stuck)?,
    }
    fs::remove_dir_all(staging).map_err(MigrationsError::io(staging))
}

/// Undoes a killed run's renames, newest first, from its journal.
fn roll_back_journal(parent: &Path, staging: &Path, journal: &str) -> Result<(), String> {
    let mut lines = journal
        .lines()
        .map(|l| untrusted::decode_name(l).into_owned());
    let dir_name = lines.next().ok_or("its journal is empty")?;
    let target_dir = parent.join(dir_name);
    let targets: Vec<String> = lines.collect();
    for (i, name) in targets.iter().enumerate().rev() {
        let target = target_dir.join(name);
        let new = new_folder(staging, i);
        let old = old_folder(staging, i);
        let exists = |p: &Path| fs::symlink_metadata(p).is_ok();
        if !exists(&new) && exists(&target) {
            // Only what unmigrate wrote goes, as ever: the folder the killed run placed.
            super::writer::check_replaceable(&target).map_err(|e| e.to_string())?;
            fs::rename(&target, &new)
                .map_err(|e| format!("cannot move {} back: {e}", target.display()))?;
        }
        if exists(&old) && !exists(&target) {
            fs::rename(&old, &target)
                .map_err(|e| format!("cannot restore {}: {e}", target.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every file under `dir` (relative path → text).
    fn files(dir: &Path) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for entry in walk(dir) {
            let rel = entry
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, fs::read_to_string(&entry).unwrap());
        }
        out
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    fn folder(dir: &Path, text: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("migration.sql"), text).unwrap();
    }

    /// A project with `migrations/1_init` and a stale staging directory beside it.
    fn project() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let migrations = tmp.path().join("migrations");
        folder(&migrations.join("1_init"), "CREATE TABLE a();\n");
        let staging = tmp.path().join(format!("{PREFIX}killed"));
        fs::create_dir(&staging).unwrap();
        (tmp, migrations, staging)
    }

    #[test]
    fn a_run_killed_while_staging_left_only_its_staging_directory() {
        let (tmp, migrations, staging) = project();
        folder(&staging.join("new-0"), "new\n");
        let before = files(&migrations);
        assert_eq!(
            recover_interrupted(&migrations).unwrap(),
            vec![staging.clone()]
        );
        assert_eq!(files(&migrations), before);
        assert!(!staging.exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_run_killed_while_renaming_is_rolled_back_from_its_journal() {
        let (_tmp, migrations, staging) = project();
        let before = {
            folder(&migrations.join("3_undo_b"), "old b\n");
            files(&migrations)
        };
        // What a kill leaves after `2_undo_a` was placed and `3_undo_b` moved aside for its
        // replacement; `4_undo_c` was never touched.
        fs::write(
            staging.join(JOURNAL),
            "migrations\n2_undo_a\n3_undo_b\n4_undo_c\n",
        )
        .unwrap();
        folder(
            &migrations.join("2_undo_a"),
            "-- unmigrate: undo of 1_a\nnew a\n",
        );
        fs::rename(migrations.join("3_undo_b"), staging.join("old-1")).unwrap();
        folder(&staging.join("new-1"), "new b\n");
        folder(&staging.join("new-2"), "new c\n");

        assert_eq!(
            recover_interrupted(&migrations).unwrap(),
            vec![staging.clone()]
        );
        assert_eq!(files(&migrations), before);
        assert!(!staging.exists());
    }

    #[test]
    fn a_folder_unmigrate_did_not_write_is_never_moved_by_a_rollback() {
        let (_tmp, migrations, staging) = project();
        fs::write(staging.join(JOURNAL), "migrations\n2_undo_a\n").unwrap();
        folder(&migrations.join("2_undo_a"), "-- mine, not generated\n");
        let before = files(&migrations);
        let err = recover_interrupted(&migrations).unwrap_err();
        assert!(matches!(err, MigrationsError::StaleStaging { .. }), "{err}");
        assert!(
            err.to_string().contains("not written by unmigrate"),
            "{err}"
        );
        assert_eq!(files(&migrations), before);
        assert!(staging.exists());
    }

    #[test]
    fn a_live_run_keeps_its_staging_directory() {
        let (_tmp, migrations, _) = project();
        let live = Staging::create(migrations.parent().unwrap()).unwrap();
        folder(&live.path().join("new-0"), "new\n");
        let recovered = recover_interrupted(&migrations).unwrap();
        assert!(
            !recovered.contains(&live.path().to_path_buf()),
            "{recovered:?}"
        );
        assert!(live.path().join("new-0/migration.sql").exists());
        live.close().unwrap();
    }
}
