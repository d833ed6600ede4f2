//! Which tool's layout a migrations folder has, from its entries' names (and, where two tools
//! name files alike, from what else is there), with the reason said.
//!
//! golang-migrate and sqlx (reversible) both write `<version>_<name>.up.sql` and `.down.sql`;
//! what tells them apart, in order: Atlas's `atlas.sum` (written for golang-migrate), a
//! `go.mod` or `Cargo.toml` in a folder above, a file opening with sqlx's `-- no-transaction`,
//! a file with its own `BEGIN`/`COMMIT` (sqlx runs each file in a transaction of its own,
//! golang-migrate does not), then the versions: sqlx-cli writes 14-digit timestamps,
//! golang-migrate's `migrate create` sequence numbers or Unix times.

use std::fs;
use std::path::Path;

use super::Layout;
use crate::migrations::{MigrationsError, LOCK_FILE, MIGRATION_SQL};

/// A layout, and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub layout: Layout,
    /// Said in reports: `a folder per migration with up.sql`.
    pub why: String,
}

/// The layout of `dir`.
pub fn detect(dir: &Path) -> Result<Detected, MigrationsError> {
    let entries = Entries::read(dir)?;
    let found = |layout: Layout, why: &str| {
        Ok(Detected {
            layout,
            why: why.to_string(),
        })
    };
    if entries.files.iter().any(|f| f == LOCK_FILE) || entries.folders_with(dir, MIGRATION_SQL) {
        return found(Layout::Prisma, "migration folders with migration.sql");
    }
    if entries.folders_with(dir, "up.sql") {
        return found(Layout::Diesel, "migration folders with up.sql");
    }
    let sql: Vec<&String> = entries
        .files
        .iter()
        .filter(|f| f.ends_with(".sql"))
        .collect();
    if sql.iter().any(|f| is_flyway(f)) {
        return found(Layout::Flyway, "V<version>__<description>.sql files");
    }
    let versioned: Vec<&&String> = sql.iter().filter(|f| version_of(f).is_some()).collect();
    if versioned
        .iter()
        .any(|f| f.ends_with(".up.sql") || f.ends_with(".down.sql"))
    {
        return up_down(dir, &entries, &versioned);
    }
    if versioned.iter().any(|f| has_dbmate_sections(&dir.join(f))) {
        return found(Layout::Dbmate, "files with -- migrate:up sections");
    }
    if !versioned.is_empty() {
        return found(Layout::SqlxSimple, "<version>_<name>.sql files");
    }
    Err(MigrationsError::UnknownLayout {
        dir: dir.to_path_buf(),
    })
}

/// golang-migrate or sqlx (reversible): see the module's documentation.
fn up_down(
    dir: &Path,
    entries: &Entries,
    versioned: &[&&String],
) -> Result<Detected, MigrationsError> {
    let golang = |why: &str| Detected {
        layout: Layout::GolangMigrate,
        why: format!(".up.sql and .down.sql files, {why}"),
    };
    let sqlx = |why: &str| Detected {
        layout: Layout::SqlxReversible,
        why: format!(".up.sql and .down.sql files, {why}"),
    };
    if entries.files.iter().any(|f| f == "atlas.sum") {
        return Ok(golang("with Atlas's atlas.sum"));
    }
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for folder in canonical.ancestors().skip(1) {
        if folder.join("go.mod").is_file() {
            return Ok(golang("in a Go module"));
        }
        if folder.join("Cargo.toml").is_file() {
            return Ok(sqlx("in a Rust crate"));
        }
    }
    let texts: Vec<String> = versioned
        .iter()
        .filter_map(|f| fs::read_to_string(dir.join(f)).ok())
        .collect();
    if texts
        .iter()
        .any(|t| t.trim_start().starts_with("-- no-transaction"))
    {
        return Ok(sqlx("one opening with -- no-transaction"));
    }
    if texts.iter().any(|t| has_own_transaction(t)) {
        return Ok(golang(
            "one with its own BEGIN and COMMIT (sqlx wraps each file in a transaction)",
        ));
    }
    let timestamps = versioned
        .iter()
        .all(|f| version_of(f).is_some_and(|v| v.len() == 14));
    Ok(match timestamps {
        true => sqlx("versioned by 14-digit timestamps as sqlx-cli names them (pass --layout golang-migrate if it is)"),
        false => golang("versioned as golang-migrate's migrate create names them (pass --layout sqlx-reversible if it is)"),
    })
}

/// The leading digits of a file name before its `_`: a version.
fn version_of(name: &str) -> Option<&str> {
    let (version, _) = name.split_once('_')?;
    (!version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())).then_some(version)
}

/// `V<version>__<description>.sql` (or a repeatable `R__`), Flyway's names.
fn is_flyway(name: &str) -> bool {
    if name.starts_with("R__") {
        return true;
    }
    let Some(rest) = name.strip_prefix('V') else {
        return false;
    };
    let Some((version, _)) = rest.split_once("__") else {
        return false;
    };
    !version.is_empty()
        && version
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
}

fn has_dbmate_sections(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .any(|line| line.trim_start().starts_with("-- migrate:up"))
    })
}

/// A line that is a `BEGIN;` or `COMMIT;` of its own.
fn has_own_transaction(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line
            .trim()
            .trim_end_matches(';')
            .trim()
            .to_ascii_uppercase();
        matches!(
            line.as_str(),
            "BEGIN" | "COMMIT" | "BEGIN TRANSACTION" | "START TRANSACTION"
        )
    })
}

/// A folder's entries by kind.
struct Entries {
    files: Vec<String>,
    folders: Vec<String>,
}

impl Entries {
    fn read(dir: &Path) -> Result<Entries, MigrationsError> {
        if !dir.exists() {
            return Err(MigrationsError::DirNotFound {
                dir: dir.to_path_buf(),
            });
        }
        let mut entries = Entries {
            files: Vec::new(),
            folders: Vec::new(),
        };
        for entry in super::files::entries(dir)? {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let kind = entry
                .file_type()
                .map_err(MigrationsError::io(entry.path()))?;
            if kind.is_dir() {
                entries.folders.push(name);
            } else if kind.is_file() {
                entries.files.push(name);
            }
        }
        Ok(entries)
    }

    fn folders_with(&self, dir: &Path, file: &str) -> bool {
        self.folders
            .iter()
            .any(|f| dir.join(f).join(file).is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::test_files;

    fn layout(files: &[(&str, &str)]) -> Layout {
        detect(test_files(files).path()).unwrap().layout
    }

    #[test]
    fn each_layout_is_told_by_its_names() {
        assert_eq!(layout(&[("1_a/migration.sql", "")]), Layout::Prisma);
        assert_eq!(
            layout(&[("2017-09-23-182408_a/up.sql", "")]),
            Layout::Diesel
        );
        assert_eq!(
            layout(&[("V1__a.sql", ""), ("R__v.sql", "")]),
            Layout::Flyway
        );
        assert_eq!(
            layout(&[(
                "20260101000000_a.sql",
                "-- migrate:up\nSELECT 1;\n-- migrate:down\n"
            )]),
            Layout::Dbmate
        );
        assert_eq!(
            layout(&[("20210425153745_a.sql", "SELECT 1;")]),
            Layout::SqlxSimple
        );
    }

    #[test]
    fn up_and_down_files_are_golang_migrate_or_sqlx_by_what_else_is_there() {
        let pair = |version: &str, up: &'static str| {
            [
                (format!("{version}_a.up.sql"), up),
                (format!("{version}_a.down.sql"), ""),
            ]
        };
        let files = |pairs: &[[(String, &'static str); 2]],
                     extra: &[(&'static str, &'static str)]| {
            let mut all: Vec<(String, &str)> = pairs.iter().flatten().cloned().collect();
            all.extend(extra.iter().map(|(p, t)| (p.to_string(), *t)));
            all
        };
        let detect_in = |all: Vec<(String, &str)>| {
            let refs: Vec<(&str, &str)> = all.iter().map(|(p, t)| (p.as_str(), *t)).collect();
            layout(&refs)
        };
        let ts = pair("20240826120919", "SELECT 1;");
        assert_eq!(
            detect_in(files(std::slice::from_ref(&ts), &[])),
            Layout::SqlxReversible
        );
        assert_eq!(
            detect_in(files(std::slice::from_ref(&ts), &[("atlas.sum", "h1:")])),
            Layout::GolangMigrate
        );
        let own = pair("20240826120919", "BEGIN;\nSELECT 1;\nCOMMIT;\n");
        assert_eq!(detect_in(files(&[own], &[])), Layout::GolangMigrate);
        let seq = pair("000001", "SELECT 1;");
        assert_eq!(detect_in(files(&[seq], &[])), Layout::GolangMigrate);
        let no_tx = pair(
            "000001",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);",
        );
        assert_eq!(detect_in(files(&[no_tx], &[])), Layout::SqlxReversible);
    }

    #[test]
    fn a_folder_of_nothing_known_says_how_to_choose() {
        let dir = test_files(&[("README.md", "hi")]);
        let message = detect(dir.path()).unwrap_err().to_string();
        assert!(
            message.contains("point at the migrations folder"),
            "{message}"
        );
    }
}
