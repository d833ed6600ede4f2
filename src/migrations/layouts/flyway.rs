//! Flyway histories, read with Flyway's default naming (prefixes `V`, `U`, `R`, separator
//! `__`, suffix `.sql`), as `flyway migrate` applies them:
//!
//! - versioned `V<version>__<description>.sql`, in version order: the version's `_` are read
//!   as `.`, its parts compared as numbers (`V2 < V2.1 < V10`, `V055 = V55`, and trailing
//!   zero parts dropped, so `V1.0 = V1`, as Flyway's `MigrationVersion`); two files of one
//!   version are refused, as Flyway refuses them;
//! - then repeatable `R__<description>.sql`, by description (`_` read as a space);
//! - `U<version>__<description>.sql` is the undo (Flyway Teams) of the versioned migration of
//!   its version: its [`Migration::down`].
//!
//! Anything else is not a migration (`V57__readme.md`, `V1_init.sql` without the double
//! separator, a version with letters): Flyway skips such files too unless told to validate
//! names. Flyway scans its locations recursively, so sub-folders are read as well (real
//! folders only: linked folders are not followed, as `Files.walk` does not follow them).
//!
//! Flyway runs a migration in a transaction unless it holds a statement PostgreSQL refuses in
//! one (Flyway's own SQL parser decides; here the project's, through
//! [`outside_transaction_only`]): such a migration is [`Transaction::EachStatement`], as
//! Flyway then sends its statements one by one. Flyway refuses a migration mixing both kinds
//! unless `mixed = true`; this reader does not check the setting. A file that does not parse stays
//! [`Transaction::Wrapped`]: the drill then reports PostgreSQL's own error.
//!
//! A migration is named by its file stem (`V10__drop_unique_constraint_on_job_name`); a file
//! name that is not UTF-8 is read with its invalid bytes replaced. A versioned file whose first
//! line is unmigrate's undo header is the undo of the migration it names
//! ([`Migration::undo_of`]): `generate --forward` writes them.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::migrations::history::{decode_utf8, read_regular};
use crate::migrations::{undo_source, Checksum, DownSql, Migration, MigrationsError, Transaction};
use crate::sql;
use crate::sql::blocks::outside_transaction_only;

/// Every migration of the history in `dir`, in the order Flyway applies them.
pub(super) fn read(dir: &Path) -> Result<Vec<Migration>, MigrationsError> {
    let mut versioned: BTreeMap<Version, Named> = BTreeMap::new();
    let mut undos: BTreeMap<Version, Named> = BTreeMap::new();
    let mut repeatable: BTreeMap<String, Named> = BTreeMap::new();
    for path in files(dir)? {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((kind, description)) = parse_name(&name) else {
            continue;
        };
        let file = Named { path, description };
        match kind {
            Kind::Versioned(version) => insert(&mut versioned, version, file)?,
            Kind::Undo(version) => insert(&mut undos, version, file)?,
            Kind::Repeatable => insert(&mut repeatable, file.description.clone(), file)?,
        }
    }
    if let Some((version, undo)) = undos.iter().find(|(v, _)| !versioned.contains_key(v)) {
        return Err(MigrationsError::FlywayUndoWithoutMigration {
            path: undo.path.clone(),
            version: version.text.clone(),
        });
    }
    let mut migrations = Vec::with_capacity(versioned.len() + repeatable.len());
    for (version, file) in &versioned {
        let mut migration = read_migration(&file.path)?;
        migration.undo_of = undo_source(&migration.sql);
        if let Some(undo) = undos.get(version) {
            migration.down = Some(Box::new(read_down(&undo.path)?));
        }
        migrations.push(migration);
    }
    for file in repeatable.values() {
        migrations.push(read_migration(&file.path)?);
    }
    Ok(migrations)
}

/// A migration file and its description.
struct Named {
    path: PathBuf,
    description: String,
}

/// Adds `file` under `key`, refusing a key already taken.
fn insert<K: Ord + Described>(
    map: &mut BTreeMap<K, Named>,
    key: K,
    file: Named,
) -> Result<(), MigrationsError> {
    if let Some(first) = map.get(&key) {
        return Err(MigrationsError::DuplicateVersion {
            what: key.describe(),
            first: first.path.clone(),
            second: file.path,
            consequence: "Flyway refuses to apply the folder",
        });
    }
    map.insert(key, file);
    Ok(())
}

/// What a key is, in an error message.
trait Described {
    fn describe(&self) -> String;
}

impl Described for Version {
    fn describe(&self) -> String {
        format!("version {}", self.text)
    }
}

impl Described for String {
    fn describe(&self) -> String {
        format!("the repeatable migration \"{self}\"")
    }
}

/// Every file under `dir`, its real sub-folders included.
fn files(dir: &Path) -> Result<Vec<PathBuf>, MigrationsError> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).map_err(MigrationsError::io(&folder))? {
            let entry = entry.map_err(MigrationsError::io(&folder))?;
            let kind = entry
                .file_type()
                .map_err(MigrationsError::io(entry.path()))?;
            match kind.is_dir() {
                true => folders.push(entry.path()),
                false => files.push(entry.path()),
            }
        }
    }
    Ok(files)
}

/// What a file is to Flyway, by its name.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Versioned(Version),
    Undo(Version),
    Repeatable,
}

/// The kind and description (`_` read as a space) of a migration file's name; `None` for a
/// file that is not one.
fn parse_name(name: &str) -> Option<(Kind, String)> {
    let stem = name.strip_suffix(".sql")?;
    let description = |d: &str| d.replace('_', " ");
    if let Some(rest) = stem.strip_prefix("R__") {
        return Some((Kind::Repeatable, description(rest)));
    }
    let (prefix, rest) = stem.split_at_checked(1)?;
    let (version, rest) = rest.split_once("__")?;
    let version = Version::parse(version)?;
    match prefix {
        "V" => Some((Kind::Versioned(version), description(rest))),
        "U" => Some((Kind::Undo(version), description(rest))),
        _ => None,
    }
}

/// The version (as Flyway records it: `_` read as `.`; `None` for a repeatable migration)
/// and description of the migration named by its file stem `name`.
pub(super) fn version_and_description(name: &str) -> Option<(Option<String>, String)> {
    let (kind, description) = parse_name(&format!("{name}.sql"))?;
    let version = match kind {
        Kind::Versioned(v) | Kind::Undo(v) => Some(v.text),
        Kind::Repeatable => None,
    };
    Some((version, description))
}

/// Whether the migration named `name` (a file stem) is repeatable (`R__…`): Flyway re-applies
/// it whenever its file changes and has no undo for it.
pub(crate) fn is_repeatable(name: &str) -> bool {
    matches!(
        parse_name(&format!("{name}.sql")),
        Some((Kind::Repeatable, _))
    )
}

/// The file name of the undo (Flyway Teams' `U…`) of the versioned migration named `name`
/// (a file stem): its version and description under the prefix `U`.
pub(crate) fn undo_file_name(name: &str) -> Option<String> {
    match parse_name(&format!("{name}.sql"))? {
        (Kind::Versioned(_), _) => Some(format!("U{}.sql", &name[1..])),
        _ => None,
    }
}

/// The first part of the version of the versioned migration named `name` (`74` for
/// `V74.1__x`); `None` for a file that is not versioned, or a part past `u64`.
pub(crate) fn major_version(name: &str) -> Option<u64> {
    match parse_name(&format!("{name}.sql"))? {
        (Kind::Versioned(version), _) => match version.parts[0].as_str() {
            "" => Some(0),
            digits => digits.parse().ok(),
        },
        _ => None,
    }
}

/// The description of a versioned or repeatable migration named `name`, as its file name
/// writes it (`drop_index` for `V3__drop_index`).
pub(crate) fn written_description(name: &str) -> &str {
    name.split_once("__")
        .map_or(name, |(_, description)| description)
}

/// A Flyway version: numeric parts compared one by one, a missing part counting as zero.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    /// Each part's digits without leading zeros (`""` for zero), trailing zero parts dropped.
    parts: Vec<String>,
    /// As written, `_` read as `.` (Flyway's display text).
    text: String,
}

impl Version {
    fn parse(written: &str) -> Option<Version> {
        let text = written.replace('_', ".");
        let mut parts = Vec::new();
        for part in text.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts.push(part.trim_start_matches('0').to_string());
        }
        while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        Some(Version { parts, text })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = String::new();
        let count = self.parts.len().max(other.parts.len());
        (0..count)
            .map(|i| {
                let a = self.parts.get(i).unwrap_or(&zero);
                let b = other.parts.get(i).unwrap_or(&zero);
                a.len().cmp(&b.len()).then_with(|| a.cmp(b))
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn read_migration(path: &Path) -> Result<Migration, MigrationsError> {
    let (bytes, sql) = read_text(path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Migration {
        name,
        checksum: Checksum::of(&bytes),
        transaction: transaction(path, &sql),
        sql,
        sql_path: path.into(),
        undo_of: None,
        down: None,
    })
}

fn read_down(path: &Path) -> Result<DownSql, MigrationsError> {
    let (_, sql) = read_text(path)?;
    Ok(DownSql {
        transaction: transaction(path, &sql),
        sql,
        path: path.into(),
    })
}

/// A file's bytes and its text (UTF-8 checked, byte-order mark removed).
fn read_text(path: &Path) -> Result<(Vec<u8>, String), MigrationsError> {
    let bytes = read_regular(path)?.ok_or_else(|| {
        MigrationsError::io(path)(std::io::Error::from(std::io::ErrorKind::NotFound))
    })?;
    let text = decode_utf8(path, &bytes)?;
    Ok((bytes, text))
}

/// Wrapped, unless a statement of the file cannot run in a transaction; a file that does not
/// parse stays wrapped.
fn transaction(path: &Path, text: &str) -> Transaction {
    let mut outside = false;
    for statement in sql::statements(path, text) {
        match statement {
            Ok(statement) => outside |= outside_transaction_only(&statement.node).is_some(),
            Err(_) => return Transaction::Wrapped,
        }
    }
    match outside {
        true => Transaction::EachStatement,
        false => Transaction::Wrapped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::test_files;

    fn names(files: &[(&str, &str)]) -> Vec<String> {
        let dir = test_files(files);
        read(dir.path())
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect()
    }

    fn version(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn versions_compare_part_by_part_as_numbers() {
        assert!(version("2") < version("2.1"));
        assert!(version("2.1") < version("10"));
        assert!(version("55.1") < version("55.2"));
        assert!(version("9") < version("10"));
        assert!(version("1_2") == version("1.2"));
        assert_eq!(version("1.0").cmp(&version("1")), Ordering::Equal);
        assert_eq!(version("007").cmp(&version("7")), Ordering::Equal);
        assert!(version("1.0.1") > version("1"));
        for bad in ["", "1.", "1..2", "1a", "x"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn versioned_in_version_order_then_repeatables_by_description() {
        let sql = "SELECT 1;";
        let found = names(&[
            ("R__b_view.sql", sql),
            ("V10__c.sql", sql),
            ("V2.1__b.sql", sql),
            ("V2__a.sql", sql),
            ("R__a_function.sql", sql),
            ("V55.3__f.sql", sql),
            ("V55.1__d.sql", sql),
            ("V55.2__e.sql", sql),
            ("V57.1__g.sql", sql),
            ("V57__readme.md", "# not SQL"),
            ("V1_init.sql", sql),
            ("Vx__letters.sql", sql),
            ("README.md", "hi"),
            ("sub/V100__deep.sql", sql),
        ]);
        assert_eq!(
            found,
            [
                "V2__a",
                "V2.1__b",
                "V10__c",
                "V55.1__d",
                "V55.2__e",
                "V55.3__f",
                "V57.1__g",
                "V100__deep",
                "R__a_function",
                "R__b_view",
            ]
        );
    }

    #[test]
    fn a_lone_create_index_concurrently_is_sent_as_it_is() {
        let dir = test_files(&[
            ("V1__t.sql", "CREATE TABLE t (a int);"),
            (
                "V2__i.sql",
                "-- built without locking\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            ),
            ("V3__bad.sql", "CREATE INDEX CONCURRENTLY i ON;"),
        ]);
        let found: Vec<Transaction> = read(dir.path())
            .unwrap()
            .iter()
            .map(|m| m.transaction)
            .collect();
        assert_eq!(
            found,
            [
                Transaction::Wrapped,
                Transaction::EachStatement,
                Transaction::Wrapped
            ]
        );
    }

    #[test]
    fn duplicate_versions_and_descriptions_are_refused() {
        for (files, what) in [
            (&[("V1__a.sql", ""), ("V1.0__b.sql", "")], "version "),
            (&[("V1__a.sql", ""), ("V01__b.sql", "")], "version "),
            (
                &[("R__a_b.sql", ""), ("sub/R__a b.sql", "")],
                "the repeatable migration \"a b\"",
            ),
        ] {
            let dir = test_files(files);
            let err = read(dir.path()).unwrap_err();
            let MigrationsError::DuplicateVersion { what: found, .. } = &err else {
                panic!("{err}");
            };
            assert!(found.starts_with(what), "{found}");
            assert!(err.to_string().contains("Flyway"), "{err}");
        }
    }

    #[test]
    fn an_undo_file_is_the_down_of_its_version() {
        let dir = test_files(&[
            ("V1__t.sql", "CREATE TABLE t (a int);"),
            ("V1.1__i.sql", "CREATE INDEX i ON t (a);"),
            ("U1.1__i.sql", "DROP INDEX CONCURRENTLY i;"),
        ]);
        let migrations = read(dir.path()).unwrap();
        assert_eq!(migrations.len(), 2);
        assert_eq!(migrations[0].down, None);
        let down = migrations[1].down.as_ref().unwrap();
        assert_eq!(down.sql, "DROP INDEX CONCURRENTLY i;");
        assert_eq!(down.transaction, Transaction::EachStatement);
        assert!(down.path.ends_with("U1.1__i.sql"));

        fs::remove_file(dir.path().join("V1.1__i.sql")).unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(
            matches!(err, MigrationsError::FlywayUndoWithoutMigration { ref version, .. } if version == "1.1"),
            "{err}"
        );
    }

    #[test]
    fn names_of_undo_files_and_new_versions() {
        assert_eq!(
            undo_file_name("V1.1__add_b").as_deref(),
            Some("U1.1__add_b.sql")
        );
        assert_eq!(undo_file_name("R__view"), None);
        assert_eq!(major_version("V074.3__x"), Some(74));
        assert_eq!(major_version("V0__x"), Some(0));
        assert_eq!(major_version("R__x"), None);
        assert!(is_repeatable("R__a_view"));
        assert!(!is_repeatable("V1__a"));
        assert_eq!(written_description("V10__drop_unique"), "drop_unique");
    }

    #[test]
    fn a_versioned_file_unmigrate_wrote_is_the_undo_of_its_source() {
        let header = crate::migrations::undo_header("V1__t");
        let dir = test_files(&[
            ("V1__t.sql", "CREATE TABLE t (a int);"),
            ("V2__undo_t.sql", &format!("{header}\nDROP TABLE t;\n")),
        ]);
        let undo_of: Vec<Option<String>> = read(dir.path())
            .unwrap()
            .into_iter()
            .map(|m| m.undo_of)
            .collect();
        assert_eq!(undo_of, [None, Some("V1__t".to_string())]);
    }

    #[test]
    fn text_and_checksum() {
        let dir = test_files(&[("V1__a.sql", "\u{feff}SELECT 1;\n")]);
        let m = read(dir.path()).unwrap().remove(0);
        assert_eq!(m.sql, "SELECT 1;\n");
        assert_eq!(m.checksum, Checksum::of("\u{feff}SELECT 1;\n".as_bytes()));
        assert_eq!(m.undo_of, None);
        assert!(m.sql_path.ends_with("V1__a.sql"));
    }
}
