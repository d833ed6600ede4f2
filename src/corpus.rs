//! Where the real migration histories live that the corpus tests, `just corpus` and the benches
//! read: `$UNMIGRATE_CORPUS` when set, else `../shared/corpus` beside the checkout.
//!
//! A clone of the repository alone has no corpora. Its tests then skip the corpus checks and
//! say so; `.ci/run` sets `UNMIGRATE_REQUIRE_CORPUS=1`, which turns a missing corpus into a
//! failure, so CI always runs every one. `bash .ci/fetch-corpus` fetches the pinned histories
//! for contributors with network access.

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Names the folder that holds one sub-folder per corpus.
pub const DIR_VAR: &str = "UNMIGRATE_CORPUS";

/// When set to anything but empty or `0`, a missing corpus fails the tests instead of skipping.
pub const REQUIRE_VAR: &str = "UNMIGRATE_REQUIRE_CORPUS";

/// The corpora folder when `UNMIGRATE_CORPUS` is not set, relative to the crate root.
const DEFAULT_DIR: &str = "../shared/corpus";

/// A corpus that is not where it was looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub path: PathBuf,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "corpus {} not found: put the corpora there, set {DIR_VAR} to the folder that holds \
             them, or fetch them with `bash .ci/fetch-corpus`",
            self.path.display()
        )
    }
}

impl std::error::Error for Missing {}

/// The corpora the benchmarks and tools measure when given no folder: the two Prisma
/// histories, under [`root`].
pub const PRISMA: [&str; 2] = ["langfuse", "triggerdev"];

/// The other tools' histories, each in its corpus's `migrations` folder under [`root`].
pub const OTHER_TOOLS: [&str; 6] = [
    "diesel-cratesio/migrations",
    "golang-migrate-openmeter/migrations",
    "sqlx-docsrs/migrations",
    "sqlx-atuin/migrations",
    "dbmate-ncps/migrations",
    "flyway-marquez/migrations",
];

/// `dirs`, or every corpus ([`PRISMA`], then [`OTHER_TOOLS`]) when it is empty.
pub fn dirs_or_all(dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    if dirs.is_empty() {
        let root = root();
        PRISMA
            .iter()
            .chain(&OTHER_TOOLS)
            .map(|d| root.join(d))
            .collect()
    } else {
        dirs
    }
}

/// A corpus's name from its folder: the folder's, or its parent's for a `migrations` folder.
pub fn name_of(dir: &Path) -> String {
    let named = match dir.file_name() {
        Some(name) if name == "migrations" => dir.parent().unwrap_or(dir),
        _ => dir,
    };
    named
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// `dirs`, or the [`PRISMA`] corpora when it is empty.
pub fn dirs_or_prisma(dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    if dirs.is_empty() {
        let root = root();
        PRISMA.iter().map(|d| root.join(d)).collect()
    } else {
        dirs
    }
}

/// The folder holding the corpora.
pub fn root() -> PathBuf {
    root_from(std::env::var_os(DIR_VAR))
}

fn root_from(var: Option<OsString>) -> PathBuf {
    match var.filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_DIR),
    }
}

/// The folder of the corpus `name` (`langfuse`, `triggerdev`, `diesel-cratesio`, …).
pub fn locate(name: &str) -> Result<PathBuf, Missing> {
    let path = root().join(name);
    if path.is_dir() {
        Ok(path)
    } else {
        Err(Missing { path })
    }
}

/// Whether a missing corpus must fail rather than skip (`UNMIGRATE_REQUIRE_CORPUS`).
pub fn required() -> bool {
    std::env::var_os(REQUIRE_VAR).is_some_and(|value| !value.is_empty() && value != "0")
}

/// For tests: the corpus folder, or `None` after telling the terminal that the test is skipped.
/// Panics when the corpus is missing and [`required`].
///
/// The notice is written straight to stdout, past the test harness's capture, so `cargo test`
/// shows which checks did not run (one whole line under stdout's lock, as the harness writes).
pub fn for_test(name: &str) -> Option<PathBuf> {
    match locate(name) {
        Ok(path) => Some(path),
        Err(missing) if required() => panic!("{missing} ({REQUIRE_VAR} is set)"),
        Err(missing) => {
            let line = format!("skipped: {missing}\n");
            let _ = std::io::stdout().lock().write_all(line.as_bytes());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_and_an_empty_one_means_the_default() {
        assert_eq!(
            root_from(Some("/data/corpora".into())),
            PathBuf::from("/data/corpora")
        );
        let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        assert_eq!(root_from(Some("".into())), default);
        assert_eq!(root_from(None), default);
    }

    #[test]
    fn a_missing_corpus_says_where_it_was_looked_for_and_how_to_get_it() {
        let text = Missing {
            path: "/nowhere/langfuse".into(),
        }
        .to_string();
        assert!(text.contains("/nowhere/langfuse"), "{text}");
        assert!(text.contains(DIR_VAR), "{text}");
        assert!(text.contains(".ci/fetch-corpus"), "{text}");
    }
}
