//! Finding `initdb` and `postgres`: one directory must hold both, so the cluster format and the
//! server always come from the same installation.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::ScratchError;

/// Where Debian and Ubuntu put each installed major version (`<root>/<version>/bin`).
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// The directory holding the PostgreSQL server binaries used for embedded clusters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    dir: PathBuf,
}

impl Binaries {
    /// The directory holding `initdb` and `postgres`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }

    pub fn postgres(&self) -> PathBuf {
        self.dir.join("postgres")
    }
}

/// Finds the binaries: `explicit` when given, else `pg_config --bindir`, then `PATH`, then
/// `/usr/lib/postgresql/*/bin` newest version first (Debian installs them off `PATH`).
pub fn locate(explicit: Option<&Path>) -> Result<Binaries, ScratchError> {
    if let Some(dir) = explicit {
        return usable(dir).ok_or_else(|| ScratchError::BinariesNotFoundIn {
            dir: dir.to_path_buf(),
        });
    }
    let candidates = candidates();
    candidates
        .iter()
        .find_map(|dir| usable(dir))
        .ok_or(ScratchError::BinariesNotFound {
            searched: candidates,
        })
}

/// Every directory worth trying, in search order.
fn candidates() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = pg_config_bindir().into_iter().collect();
    dirs.extend(path_dirs());
    dirs.extend(debian_dirs(Path::new(DEBIAN_ROOT)));
    dirs
}

/// `dir` as a [`Binaries`] when it holds both programs. A `PATH` entry often holds only
/// symlinks, so the directory `initdb` resolves to is tried too.
fn usable(dir: &Path) -> Option<Binaries> {
    let holds_both =
        |d: &Path| is_executable(&d.join("initdb")) && is_executable(&d.join("postgres"));
    if holds_both(dir) {
        return Some(Binaries {
            dir: dir.to_path_buf(),
        });
    }
    let resolved = std::fs::canonicalize(dir.join("initdb")).ok()?;
    let parent = resolved.parent()?;
    holds_both(parent).then(|| Binaries {
        dir: parent.to_path_buf(),
    })
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let dir = text.trim();
    (output.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default()
}

/// `<root>/<version>/bin` for every installed version, newest first.
fn debian_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            Some((version_key(&name)?, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// "9.6" → [9, 6], "15" → [15]; anything else is not a version directory.
fn version_key(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically_newest_first() {
        let root = tempfile::tempdir().unwrap();
        for name in ["9.6", "15", "10", "16", "notes"] {
            std::fs::create_dir(root.path().join(name)).unwrap();
        }
        let expected: Vec<PathBuf> = ["16", "15", "10", "9.6"]
            .iter()
            .map(|version| root.path().join(version).join("bin"))
            .collect();
        assert_eq!(debian_dirs(root.path()), expected);
    }

    #[test]
    fn an_explicit_directory_without_initdb_is_refused_with_a_hint() {
        let empty = tempfile::tempdir().unwrap();
        let message = locate(Some(empty.path())).unwrap_err().to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
    }
}
