//! Finding migrations in a history by the name a user typed: one set of rules for
//! `generate --migration`, `drill --from/--to` (and drill scripts) and `explain NAME`.
//!
//! A name is, in this order of preference:
//! 1. a whole folder name (`20240101000000_add_user`);
//! 2. the name after the 14-digit timestamp, as given to `prisma migrate dev --name`
//!    (`add_user`);
//! 3. the start of one folder name, such as its timestamp (`20240101000000`, `2024010100`).
//!
//! A name that fits several folders at the first rule that matches anything is ambiguous,
//! and the error lists them; a name that fits none suggests the nearest folder name.

use std::path::PathBuf;

use super::{History, Migration};

/// Which migrations a name is looked up among.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Among {
    /// Every folder, undo folders included.
    All,
    /// The forward migrations only ([`History::forward`]).
    Forward,
}

impl std::fmt::Display for Among {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Among::All => "migration",
            Among::Forward => "forward migration",
        })
    }
}

const HOW_TO_NAME: &str = "write a folder name, the name after its 14-digit timestamp, or a \
                           unique start of a folder name such as the timestamp";

/// A migration name that names no migration, or several.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty migration name; {HOW_TO_NAME}")]
    Empty,

    #[error(
        "no {among}s in {} to find \"{name}\" in; check that it is your prisma/migrations \
         folder",
        dir.display()
    )]
    NoMigrations {
        name: String,
        dir: PathBuf,
        among: Among,
    },

    #[error(
        "no {among} named \"{name}\" in {}{}; {HOW_TO_NAME} (ls {})",
        dir.display(),
        nearest.as_ref().map(|n| format!(" (did you mean \"{n}\"?)")).unwrap_or_default(),
        dir.display()
    )]
    Unknown {
        name: String,
        dir: PathBuf,
        among: Among,
        /// The folder name closest to `name`, when one is close enough to be a typo.
        nearest: Option<String>,
    },

    #[error(
        "\"{name}\" names several {among}s in {} ({}); write more of the name",
        dir.display(),
        list_names(matches)
    )]
    Ambiguous {
        name: String,
        dir: PathBuf,
        among: Among,
        matches: Vec<String>,
    },
}

impl History {
    /// The forward migrations (undo folders written by unmigrate skipped), in the order
    /// Prisma applies them.
    pub fn forward(&self) -> Vec<&Migration> {
        self.migrations
            .iter()
            .filter(|m| m.undo_of.is_none())
            .collect()
    }

    /// The names of the undo folders unmigrate wrote, in history order.
    pub fn undo_names(&self) -> impl Iterator<Item = &str> {
        self.migrations
            .iter()
            .filter(|m| m.undo_of.is_some())
            .map(|m| m.name.as_str())
    }

    /// The migration `name` names among `among` (see the module documentation for the rules).
    pub fn resolve(&self, name: &str, among: Among) -> Result<&Migration, NameError> {
        let candidates: Vec<&Migration> = match among {
            Among::All => self.migrations.iter().collect(),
            Among::Forward => self.forward(),
        };
        let index = self.resolve_in(&candidates, name, among)?;
        Ok(candidates[index])
    }

    /// The index in [`History::forward`] of the forward migration `name` names.
    pub fn resolve_forward(&self, name: &str) -> Result<usize, NameError> {
        self.resolve_in(&self.forward(), name, Among::Forward)
    }

    fn resolve_in(
        &self,
        candidates: &[&Migration],
        name: &str,
        among: Among,
    ) -> Result<usize, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if candidates.is_empty() {
            return Err(NameError::NoMigrations {
                name: name.into(),
                dir: self.dir.clone(),
                among,
            });
        }
        let other_tool = self.layout != super::Layout::Prisma;
        let rules: [&dyn Fn(&str) -> bool; 4] = [
            &|folder| folder == name,
            &|folder| prisma_name(folder) == Some(name),
            &|folder| other_tool && name_after_version(folder) == Some(name),
            &|folder| folder.starts_with(name),
        ];
        for rule in rules {
            let matches: Vec<usize> = (0..candidates.len())
                .filter(|&i| rule(&candidates[i].name))
                .collect();
            match matches.as_slice() {
                [] => continue,
                [index] => return Ok(*index),
                _ => {
                    return Err(NameError::Ambiguous {
                        name: name.into(),
                        dir: self.dir.clone(),
                        among,
                        matches: matches
                            .iter()
                            .map(|&i| candidates[i].name.clone())
                            .collect(),
                    })
                }
            }
        }
        Err(NameError::Unknown {
            name: name.into(),
            dir: self.dir.clone(),
            among,
            nearest: nearest(candidates, name),
        })
    }
}

/// The part of a folder name after `<14-digit timestamp>_`: what `prisma migrate dev --name`
/// was given.
fn prisma_name(folder: &str) -> Option<&str> {
    let (stamp, rest) = folder.split_at_checked(14)?;
    let rest = rest.strip_prefix('_')?;
    stamp.bytes().all(|b| b.is_ascii_digit()).then_some(rest)
}

/// The folder name closest to `name`, compared both as a whole folder name and as the name
/// In other tools' layouts, the part of a migration's name after its version: after `__` in
/// Flyway's `V1.2__name`, after the first `_` elsewhere (`2017-09-23-182408_name`, `7_name`).
fn name_after_version(migration: &str) -> Option<&str> {
    match migration.split_once("__") {
        Some((_, rest)) if migration.starts_with(['V', 'R', 'U']) => Some(rest),
        _ => migration.split_once('_').map(|(_, rest)| rest),
    }
}

/// after its timestamp (see [`crate::suggest::nearest`] for how close is close enough).
fn nearest(candidates: &[&Migration], name: &str) -> Option<String> {
    let spellings: Vec<(&str, &str)> = candidates
        .iter()
        .flat_map(|m| {
            std::iter::once(m.name.as_str())
                .chain(prisma_name(&m.name))
                .map(move |spelled| (spelled, m.name.as_str()))
        })
        .collect();
    let near = crate::suggest::nearest(name, spellings.iter().map(|(spelled, _)| *spelled))?;
    spellings
        .iter()
        .find(|(spelled, _)| std::ptr::eq(*spelled, near))
        .map(|(_, folder)| folder.to_string())
}

/// Up to five names, then how many more.
fn list_names(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut list = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(", and {} more", names.len() - SHOWN));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::test_history;

    fn demo() -> (tempfile::TempDir, History) {
        test_history(&[
            "20240101000000_init",
            "20240102000000_add_user",
            "20240103000000_add_user_age",
            "20240301000003_undo_add_user_age undoes 20240103000000_add_user_age",
            "20240201000000_add_post",
        ])
    }

    fn name_of(h: &History, name: &str, among: Among) -> Result<String, NameError> {
        h.resolve(name, among).map(|m| m.name.clone())
    }

    #[test]
    fn forward_skips_undo_folders() {
        let (_tmp, h) = demo();
        let names: Vec<&str> = h.forward().iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "20240101000000_init",
                "20240102000000_add_user",
                "20240103000000_add_user_age",
                "20240201000000_add_post",
            ]
        );
    }

    #[test]
    fn folder_name_then_prisma_name_then_unique_prefix() {
        let (_tmp, h) = demo();
        let all = |name| name_of(&h, name, Among::All).unwrap();
        assert_eq!(all("20240102000000_add_user"), "20240102000000_add_user");
        assert_eq!(
            all("add_user"),
            "20240102000000_add_user",
            "not add_user_age"
        );
        assert_eq!(all("add_user_age"), "20240103000000_add_user_age");
        assert_eq!(all("20240201"), "20240201000000_add_post");
        assert_eq!(
            all("undo_add_user_age"),
            "20240301000003_undo_add_user_age",
            "an undo folder is a migration"
        );
        assert_eq!(h.resolve_forward("add_post").unwrap(), 3);
        assert_eq!(h.resolve_forward("20240101000000").unwrap(), 0);
    }

    #[test]
    fn an_exact_folder_name_wins_over_a_longer_one() {
        let (_tmp, h) = test_history(&["20240101000000_x", "20240101000000_x copy"]);
        assert_eq!(
            name_of(&h, "20240101000000_x", Among::All).unwrap(),
            "20240101000000_x"
        );
        assert_eq!(
            name_of(&h, "20240101000000_x c", Among::All).unwrap(),
            "20240101000000_x copy"
        );
    }

    #[test]
    fn only_a_14_digit_timestamp_starts_a_prisma_name() {
        assert_eq!(prisma_name("20240101000000_add_user"), Some("add_user"));
        assert_eq!(prisma_name("20250625_add_pivot"), None);
        assert_eq!(prisma_name("2024010100000a_x"), None);
        assert_eq!(prisma_name("20240101000000"), None);
        assert_eq!(prisma_name("20240101000000é"), None);
        assert_eq!(prisma_name("ü"), None);
    }

    #[test]
    fn ambiguous_names_list_the_candidates() {
        let (tmp, h) = demo();
        let err = h.resolve("2024010", Among::All).unwrap_err();
        let NameError::Ambiguous { ref matches, .. } = err else {
            panic!("{err}");
        };
        assert_eq!(matches.len(), 3);
        assert_eq!(
            err.to_string(),
            format!(
                "\"2024010\" names several migrations in {} (20240101000000_init, \
                 20240102000000_add_user, 20240103000000_add_user_age); write more of the name",
                tmp.path().display()
            )
        );
        let (_tmp, twice) = test_history(&["20240101000000_same", "20240102000000_same"]);
        assert!(matches!(
            twice.resolve("same", Among::All),
            Err(NameError::Ambiguous { .. })
        ));
        let (_tmp, many) = test_history(&[
            "20240101000001_a",
            "20240101000002_a",
            "20240101000003_a",
            "20240101000004_a",
            "20240101000005_a",
            "20240101000006_a",
            "20240101000007_a",
        ]);
        let err = many.resolve_forward("2024").unwrap_err().to_string();
        assert!(err.contains("20240101000005_a, and 2 more"), "{err}");
        assert!(err.contains("several forward migrations"), "{err}");
    }

    #[test]
    fn unknown_names_suggest_a_near_miss() {
        let (tmp, h) = demo();
        let err = h.resolve("add_pots", Among::All).unwrap_err();
        assert_eq!(
            err,
            NameError::Unknown {
                name: "add_pots".into(),
                dir: tmp.path().into(),
                among: Among::All,
                nearest: Some("20240201000000_add_post".into()),
            }
        );
        let dir = tmp.path().display();
        assert_eq!(
            err.to_string(),
            format!(
                "no migration named \"add_pots\" in {dir} (did you mean \
                 \"20240201000000_add_post\"?); {HOW_TO_NAME} (ls {dir})"
            )
        );
        let err = h.resolve("20240201000001_add_post", Among::All);
        assert!(
            matches!(err, Err(NameError::Unknown { nearest: Some(ref n), .. }) if n == "20240201000000_add_post"),
            "{err:?}"
        );
        let err = h.resolve("nope", Among::All);
        assert!(
            matches!(err, Err(NameError::Unknown { nearest: None, .. })),
            "{err:?}"
        );
    }

    #[test]
    fn an_undo_folder_is_not_a_forward_migration() {
        let (_tmp, h) = demo();
        let err = h.resolve("undo_add_user_age", Among::Forward).unwrap_err();
        assert!(matches!(err, NameError::Unknown { .. }), "{err}");
        assert!(
            err.to_string().starts_with("no forward migration named"),
            "{err}"
        );
    }

    #[test]
    fn empty_name_and_empty_history() {
        let (_tmp, h) = demo();
        assert_eq!(h.resolve("", Among::All).unwrap_err(), NameError::Empty);
        let (tmp, empty) = test_history(&[]);
        let err = empty.resolve_forward("2024").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "no forward migrations in {} to find \"2024\" in; check that it is your \
                 prisma/migrations folder",
                tmp.path().display()
            )
        );
    }
}
