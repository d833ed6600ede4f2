//! Where a Prisma project keeps `SHADOW_DATABASE_URL` when the shell does not set it: the
//! `.env` files Prisma 6's CLI reads, in its order (the project root, the schema's folder,
//! `./prisma`), never overriding the environment, and refusing a variable set differently in
//! two of them, as Prisma does. Prisma 7 reads no `.env` itself: its `prisma.config.ts` loads
//! one, usually with `import "dotenv/config"` (the root `.env`), which is followed here too.
//!
//! The value is returned with where it came from, for every message that names the URL.

use std::path::{Path, PathBuf};

use super::ScratchError;

/// Prisma 7's configuration file, in the project root.
const PRISMA_CONFIG: &str = "prisma.config.ts";

/// A variable's value and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub value: String,
    /// `SHADOW_DATABASE_URL`, or `SHADOW_DATABASE_URL (from prisma/.env)`.
    pub origin: String,
}

/// `name` from the environment (`env`), else from the project's `.env` files. `root` is the
/// project's root (the working directory, as for Prisma's CLI) and `schema_dir` the folder of
/// `schema.prisma` (the migrations folder's parent).
pub fn lookup(
    name: &str,
    env: impl Fn(&str) -> Option<String>,
    root: &Path,
    schema_dir: Option<&Path>,
) -> Result<Option<Found>, ScratchError> {
    if let Some(value) = env(name).filter(|v| !v.is_empty()) {
        return Ok(Some(Found {
            value,
            origin: name.to_string(),
        }));
    }
    let mut found: Option<(String, PathBuf)> = None;
    for file in files(root, schema_dir) {
        let Some(value) = read(&file, name)? else {
            continue;
        };
        match &found {
            None => found = Some((value, file)),
            Some((first, first_file)) if *first != value => {
                return Err(ScratchError::EnvConflict {
                    name: name.to_string(),
                    first: first_file.clone(),
                    second: file,
                })
            }
            Some(_) => {}
        }
    }
    Ok(found
        .filter(|(value, _)| !value.is_empty())
        .map(|(value, file)| Found {
            value,
            origin: format!("{name} (from {})", shown(&file, root)),
        }))
}

/// The `.env` files Prisma reads, in its order, each once.
fn files(root: &Path, schema_dir: Option<&Path>) -> Vec<PathBuf> {
    let config = root.join(PRISMA_CONFIG);
    if config.is_file() {
        // Prisma 7 (and 6 with a config file) loads only what the config file loads.
        let loads_dotenv = std::fs::read_to_string(&config)
            .is_ok_and(|text| text.contains("dotenv/config") || text.contains("dotenv.config("));
        return match loads_dotenv {
            true => vec![root.join(".env")],
            false => Vec::new(),
        };
    }
    let mut files = vec![root.join(".env")];
    for dir in schema_dir
        .into_iter()
        .map(Path::to_path_buf)
        .chain([root.join("prisma")])
    {
        let file = dir.join(".env");
        if !files.iter().any(|f| same_file(f, &file)) {
            files.push(file);
        }
    }
    files.retain(|f| f.is_file());
    files
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `name` as set in one `.env` file.
fn read(file: &Path, name: &str) -> Result<Option<String>, ScratchError> {
    let fail = |message: String| ScratchError::EnvFile {
        path: file.to_path_buf(),
        message,
    };
    let entries = dotenvy::from_path_iter(file).map_err(|e| fail(e.to_string()))?;
    let mut value = None;
    for entry in entries {
        let (key, v) = entry.map_err(|e| fail(e.to_string()))?;
        if key == name {
            value = Some(v);
        }
    }
    Ok(value)
}

/// A file's path relative to the project root when it is inside it.
fn shown(file: &Path, root: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::test_files;

    const NAME: &str = "SHADOW_DATABASE_URL";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_environment_wins_over_files() {
        let dir = test_files(&[(".env", "SHADOW_DATABASE_URL=postgres://file/db\n")]);
        let env = |name: &str| (name == NAME).then(|| "postgres://env/db".to_string());
        let found = lookup(NAME, env, dir.path(), None).unwrap().unwrap();
        assert_eq!(found.value, "postgres://env/db");
        assert_eq!(found.origin, NAME);
    }

    #[test]
    fn prisma_env_is_read_and_named() {
        let dir = test_files(&[(
            "prisma/.env",
            "# shadow\nHOST=db.example\nSHADOW_DATABASE_URL=\"postgres://u@${HOST}/shadow?schema=public\"\n",
        )]);
        let schema_dir = dir.path().join("prisma");
        let found = lookup(NAME, no_env, dir.path(), Some(&schema_dir))
            .unwrap()
            .unwrap();
        assert_eq!(found.value, "postgres://u@db.example/shadow?schema=public");
        assert_eq!(found.origin, "SHADOW_DATABASE_URL (from prisma/.env)");
    }

    #[test]
    fn two_files_that_disagree_are_refused_as_prisma_does() {
        let dir = test_files(&[
            (".env", "SHADOW_DATABASE_URL=postgres://a/db\n"),
            ("prisma/.env", "SHADOW_DATABASE_URL=postgres://b/db\n"),
        ]);
        let error = lookup(NAME, no_env, dir.path(), None).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("prisma/.env"), "{message}");
    }

    #[test]
    fn a_prisma_config_file_loads_only_what_it_imports() {
        let with = test_files(&[
            (".env", "SHADOW_DATABASE_URL=postgres://a/db\n"),
            (
                PRISMA_CONFIG,
                "import \"dotenv/config\";\nexport default {};\n",
            ),
        ]);
        assert!(lookup(NAME, no_env, with.path(), None).unwrap().is_some());
        let without = test_files(&[
            (".env", "SHADOW_DATABASE_URL=postgres://a/db\n"),
            (PRISMA_CONFIG, "export default {};\n"),
        ]);
        assert!(lookup(NAME, no_env, without.path(), None)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_malformed_file_names_itself() {
        let dir = test_files(&[(".env", "SHADOW_DATABASE_URL='unterminated\n")]);
        let message = lookup(NAME, no_env, dir.path(), None)
            .unwrap_err()
            .to_string();
        assert!(message.contains(".env"), "{message}");
    }
}
