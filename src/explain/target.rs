//! What `explain` looks at: the targets a user names (`.sql` files, migration folders,
//! migrations folders, migration names, `-` for standard input, or `--last N`), each resolved
//! to a [`Target`], duplicates dropped.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::ExplainError;
use crate::migrations::{Among, History, Layout};

/// The name SQL read from standard input goes by, in reports and in errors
/// (`<stdin>:2:30: syntax error …`).
pub const STDIN: &str = "<stdin>";

/// The target that asks for standard input.
const STDIN_ARG: &str = "-";

/// What `explain` looks at.
#[derive(Debug, Clone)]
pub enum Target {
    /// Every migration of a history, in the order Prisma applies them.
    History(History),
    /// One migration of a history; the ones before it are folded into the model first.
    Migration(History, String),
    /// Some migrations of a history (folder names), explained in the order Prisma applies
    /// them; the others before the last of them are folded into the model.
    Migrations(History, Vec<String>),
    /// A lone SQL file outside any history: the model starts empty.
    File(PathBuf),
    /// SQL read from standard input, named [`STDIN`]: the model starts empty.
    Stdin(String),
}

/// A migration explained by some target, to explain it once however often it is named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Migration(PathBuf, String),
    File(PathBuf),
    Stdin,
}

impl Target {
    /// Resolves what the user named: a migrations folder, a migration folder or its
    /// `migration.sql`, a lone `.sql` file, or a migration name in `dir` (see [`History::resolve`]).
    /// Folders are read in `layout`, else in the layout detected from them.
    pub fn resolve(
        target: &Path,
        dir: &Path,
        layout: Option<Layout>,
    ) -> Result<Target, ExplainError> {
        if target.is_file() {
            return Ok(match history_of_file(target, layout) {
                Some((history, name)) => Target::Migration(history, name),
                None => Target::File(target.to_path_buf()),
            });
        }
        if target.is_dir() {
            if target.join(crate::migrations::MIGRATION_SQL).is_file() {
                let file = target.join(crate::migrations::MIGRATION_SQL);
                if let Some((history, name)) = history_of_file(&file, layout) {
                    return Ok(Target::Migration(history, name));
                }
                return Ok(Target::File(file));
            }
            // Any tool's layout: explain reads them all (detected from the folder).
            let (history, _) = crate::migrations::layouts::read(target, layout)?;
            if history.migrations.is_empty() {
                return Err(ExplainError::Empty {
                    dir: target.to_path_buf(),
                });
            }
            return Ok(Target::History(history));
        }
        if target.symlink_metadata().is_ok() {
            return Err(ExplainError::NotRegular {
                path: target.to_path_buf(),
            });
        }
        if names_a_path(target) {
            return Err(ExplainError::NotFound {
                path: target.to_path_buf(),
            });
        }
        let name = target.to_string_lossy().into_owned();
        if !dir.is_dir() {
            return Err(ExplainError::NameWithoutHistory {
                name,
                dir: dir.to_path_buf(),
            });
        }
        let (history, _) = crate::migrations::layouts::read(dir, layout)?;
        let found = history.resolve(&name, Among::All)?.name.clone();
        Ok(Target::Migration(history, found))
    }

    /// Resolves every target named, in the order given ([`Target::resolve`] each; `-` reads
    /// `stdin`), and drops what an earlier one already explains: a migration named twice (by
    /// two spellings, or by its name and its folder) is explained once. Without targets, the
    /// migrations folder `dir`. With `last`, the last `last` forward migrations (as `generate`
    /// and `drill` count them) of `dir`, or of the one migrations folder named: with any
    /// other target it is an [`ExplainError::LastConflict`].
    pub fn resolve_all(
        targets: &[PathBuf],
        dir: &Path,
        last: Option<usize>,
        layout: Option<Layout>,
        stdin: &mut dyn Read,
    ) -> Result<Vec<Target>, ExplainError> {
        if let Some(n) = last {
            return Ok(vec![last_of(targets, dir, n, layout)?]);
        }
        let dir_alone = [dir.to_path_buf()];
        let targets = if targets.is_empty() {
            &dir_alone[..]
        } else {
            targets
        };
        let mut seen = HashSet::new();
        let mut resolved = Vec::new();
        for target in targets {
            let target = if target.as_os_str() == STDIN_ARG {
                if seen.contains(&Key::Stdin) {
                    continue;
                }
                Target::Stdin(read_stdin(stdin)?)
            } else {
                Target::resolve(target, dir, layout)?
            };
            resolved.extend(target.without(&mut seen));
        }
        Ok(resolved)
    }

    /// The history the target is part of, if it is.
    pub fn history(&self) -> Option<&History> {
        match self {
            Target::History(h) | Target::Migration(h, _) | Target::Migrations(h, _) => Some(h),
            Target::File(_) | Target::Stdin(_) => None,
        }
    }

    /// What this target explains: one key per migration or file.
    fn keys(&self) -> Vec<Key> {
        let of = |history: &History, name: &str| {
            let dir = std::fs::canonicalize(&history.dir).unwrap_or_else(|_| history.dir.clone());
            Key::Migration(dir, name.to_string())
        };
        match self {
            Target::History(h) => h.migrations.iter().map(|m| of(h, &m.name)).collect(),
            Target::Migration(h, name) => vec![of(h, name)],
            Target::Migrations(h, names) => names.iter().map(|name| of(h, name)).collect(),
            Target::File(path) => {
                vec![Key::File(
                    std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()),
                )]
            }
            Target::Stdin(_) => vec![Key::Stdin],
        }
    }

    /// This target without what `seen` holds (`None` when nothing is left), adding its own
    /// keys to `seen`.
    fn without(self, seen: &mut HashSet<Key>) -> Option<Target> {
        let keys = self.keys();
        let fresh: Vec<bool> = keys.iter().map(|k| !seen.contains(k)).collect();
        seen.extend(keys);
        if fresh.iter().all(|&f| f) {
            return Some(self);
        }
        if !fresh.iter().any(|&f| f) {
            return None;
        }
        // Only a history's targets name several migrations.
        let (history, names) = match self {
            Target::History(h) => {
                let names = h.migrations.iter().map(|m| m.name.clone()).collect();
                (h, names)
            }
            Target::Migrations(h, names) => (h, names),
            other => return Some(other),
        };
        let names = names
            .into_iter()
            .zip(fresh)
            .filter_map(|(name, fresh)| fresh.then_some(name))
            .collect();
        Some(Target::Migrations(history, names))
    }
}

/// `--last n`: the last `n` forward migrations of `dir`, or of the one migrations folder in
/// `targets`.
fn last_of(
    targets: &[PathBuf],
    dir: &Path,
    n: usize,
    layout: Option<Layout>,
) -> Result<Target, ExplainError> {
    let conflict = |with: &Path, what: &str| ExplainError::LastConflict {
        with: with.display().to_string(),
        what: what.to_string(),
    };
    let history = match targets {
        [] => Target::resolve(dir, dir, layout)?,
        [one] if one.as_os_str() == STDIN_ARG => return Err(conflict(one, "standard input")),
        [one] => Target::resolve(one, dir, layout)?,
        [_, second, ..] => return Err(conflict(second, "a second target")),
    };
    let what = match history {
        Target::History(history) => {
            let forward = history.forward();
            let names = forward[forward.len().saturating_sub(n)..]
                .iter()
                .map(|m| m.name.clone())
                .collect();
            return Ok(Target::Migrations(history, names));
        }
        Target::Migration(..) | Target::Migrations(..) => "one migration",
        Target::File(_) => "a lone SQL file",
        Target::Stdin(_) => "standard input",
    };
    Err(conflict(targets.first().map_or(dir, |t| t.as_path()), what))
}

/// Standard input's SQL, as [`super::read_sql`] reads a file's.
fn read_stdin(stdin: &mut dyn Read) -> Result<String, ExplainError> {
    let mut bytes = Vec::new();
    stdin
        .read_to_end(&mut bytes)
        .map_err(|source| ExplainError::Io {
            path: PathBuf::from(STDIN),
            source,
        })?;
    super::decode_sql(Path::new(STDIN), bytes)
}

/// Whether a target that does not exist was meant as a path (`nope.sql`, `dir/x`) rather than
/// a migration name to look up in the migrations folder.
fn names_a_path(target: &Path) -> bool {
    target.components().count() > 1
        || target
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("sql"))
}

/// The history `file` is a migration of, and that migration's name: the file is the forward
/// file of a migration of its folder (golang-migrate, sqlx, dbmate, Flyway) or of its
/// folder's parent (Prisma's `migration.sql`, diesel's `up.sql`), read in `layout` or the
/// layout detected there. Such a file is explained as its tool runs it (a dbmate file's up
/// section, not its down), after the migrations before it.
fn history_of_file(file: &Path, layout: Option<Layout>) -> Option<(History, String)> {
    let wanted = std::fs::canonicalize(file).ok()?;
    let folder = wanted.parent()?;
    for dir in [Some(folder), folder.parent()].into_iter().flatten() {
        let Ok((history, _)) = crate::migrations::layouts::read(dir, layout) else {
            continue;
        };
        let found = history
            .migrations
            .iter()
            .find(|m| std::fs::canonicalize(&m.sql_path).is_ok_and(|p| p == wanted))
            .map(|m| m.name.clone());
        if let Some(name) = found {
            return Some((history, name));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::test_history;

    fn names(targets: &[Target]) -> Vec<String> {
        targets
            .iter()
            .map(|t| match t {
                Target::History(h) => format!("all of {}", h.migrations.len()),
                Target::Migration(_, name) => name.clone(),
                Target::Migrations(_, names) => names.join("+"),
                Target::File(path) => path.display().to_string(),
                Target::Stdin(sql) => format!("stdin {sql}"),
            })
            .collect()
    }

    fn resolve(
        targets: &[&str],
        dir: &Path,
        last: Option<usize>,
    ) -> Result<Vec<String>, ExplainError> {
        let targets: Vec<PathBuf> = targets.iter().map(PathBuf::from).collect();
        let resolved = Target::resolve_all(&targets, dir, last, None, &mut &b"SELECT 1;"[..])?;
        Ok(names(&resolved))
    }

    #[test]
    fn a_migration_named_twice_or_inside_a_named_history_is_explained_once() {
        let (tmp, h) = test_history(&[
            "20240101000000_init",
            "20240102000000_add_user",
            "20240103000000_add_post",
        ]);
        let dir = tmp.path();
        let all = dir.display().to_string();
        assert_eq!(
            resolve(&["add_user", "20240102", "-", "-", "add_post"], dir, None).unwrap(),
            [
                "20240102000000_add_user",
                "stdin SELECT 1;",
                "20240103000000_add_post"
            ]
        );
        assert_eq!(
            resolve(&["add_post", &all, "add_user"], dir, None).unwrap(),
            [
                "20240103000000_add_post",
                "20240101000000_init+20240102000000_add_user"
            ],
            "the history without what was explained before it; nothing after it"
        );
        assert_eq!(resolve(&[], dir, None).unwrap(), ["all of 3"]);
        assert_eq!(h.migrations.len(), 3);
    }

    #[test]
    fn last_takes_the_last_forward_migrations_of_one_history() {
        let (tmp, _h) = test_history(&[
            "20240101000000_init",
            "20240102000000_add_user",
            "20240103000000_add_post",
            "20240301000000_undo_add_post undoes 20240103000000_add_post",
        ]);
        let dir = tmp.path();
        let all = dir.display().to_string();
        let last_two = ["20240102000000_add_user+20240103000000_add_post"];
        assert_eq!(resolve(&[], dir, Some(2)).unwrap(), last_two);
        assert_eq!(
            resolve(&[&all], Path::new("elsewhere"), Some(2)).unwrap(),
            last_two
        );
        assert_eq!(resolve(&[], dir, Some(9)).unwrap().len(), 1, "clamped");
        for (targets, with) in [
            (vec!["add_user"], "one migration"),
            (vec!["-"], "standard input"),
            (vec![all.as_str(), "add_user"], "a second target"),
        ] {
            let err = resolve(&targets, dir, Some(2)).unwrap_err();
            assert!(
                matches!(&err, ExplainError::LastConflict { what, .. } if what == with),
                "{targets:?}: {err}"
            );
        }
    }
}
