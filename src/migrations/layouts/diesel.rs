//! diesel histories, read as `diesel migration run` reads them (diesel_migrations'
//! `FileBasedMigrations` and `MigrationHarness`):
//!
//! - every entry of the folder that is not a file and whose name does not start with `.` is a
//!   migration folder, which must hold `up.sql`; files (`README.md`, a loose `.sql`) are not
//!   migrations;
//! - a migration's version is its folder name up to the first `_`, every `-` removed, and
//!   migrations run in the order of their versions **as text**: `2017-09-23-182408_…`
//!   (version `20170923182408`) runs after `20170308140537_…`, though a plain sort of the
//!   folder names puts it first;
//! - each runs in a transaction unless its `metadata.toml` says otherwise; diesel reads that
//!   file leniently (see [`transaction`]);
//! - diesel refuses an empty `up.sql` when it comes to run it, and so does this reader;
//!   an empty `down.sql` is kept as it is (reported later as a migration declared
//!   irreversible).

use std::path::Path;

use super::files::{entries, utf8_name, SqlFile};
use crate::migrations::history::read_regular;
use crate::migrations::{Migration, MigrationsError, Transaction, DOWN_SQL};

/// The file diesel runs to apply a migration.
const UP_SQL: &str = "up.sql";
/// A migration's options, beside its `up.sql`.
const METADATA_TOML: &str = "metadata.toml";

/// Every migration of the history in `dir`, in the order diesel applies them.
pub(super) fn read(dir: &Path) -> Result<Vec<Migration>, MigrationsError> {
    let mut versioned = Vec::new();
    for entry in entries(dir)? {
        let file_type = entry
            .file_type()
            .map_err(MigrationsError::io(entry.path()))?;
        // diesel looks at the entry itself (a link to a folder is a migration folder).
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if file_type.is_file() || hidden {
            continue;
        }
        let name = utf8_name(&entry)?;
        versioned.push((version(&name), read_migration(&entry.path(), name)?));
    }
    versioned.sort_by(|(a, _), (b, _)| a.cmp(b));
    if let Some(pair) = versioned.windows(2).find(|w| w[0].0 == w[1].0) {
        let folder = |m: &Migration| m.sql_path.parent().unwrap_or(dir).to_path_buf();
        return Err(MigrationsError::DuplicateVersion {
            what: format!("version {}", pair[0].0.clone()),
            first: folder(&pair[0].1),
            second: folder(&pair[1].1),
            consequence: "diesel keeps one of the two at random and never runs the other",
        });
    }
    Ok(versioned.into_iter().map(|(_, m)| m).collect())
}

/// diesel's version of a migration folder: its name up to the first `_`, without `-`.
pub(super) fn version(name: &str) -> String {
    let prefix = name.split_once('_').map_or(name, |(version, _)| version);
    prefix.replace('-', "")
}

/// One migration folder: `up.sql`, `down.sql` if there is one, and how both are sent.
fn read_migration(folder: &Path, name: String) -> Result<Migration, MigrationsError> {
    let Some(up) = SqlFile::read(folder.join(UP_SQL))? else {
        return Err(MigrationsError::MissingUpSql {
            folder: folder.to_path_buf(),
        });
    };
    // diesel checks the text it read, before anything is sent: zero bytes, nothing else.
    if up.bytes.is_empty() {
        return Err(MigrationsError::EmptyMigration { path: up.path });
    }
    let transaction = transaction(folder)?;
    let down = SqlFile::read(folder.join(DOWN_SQL))?.map(|down| down.into_down(transaction));
    Ok(up.into_migration(name, transaction, down))
}

/// The options diesel reads from `metadata.toml`; other keys are kept by diesel for its
/// users and mean nothing to it.
#[derive(serde::Deserialize)]
struct Metadata {
    /// Missing from a file that parses: `false` (diesel's `#[serde(default)]` on a `bool`).
    #[serde(default)]
    run_in_transaction: bool,
}

/// How diesel sends a migration folder's files (up and down alike), as diesel_migrations
/// decides it:
///
/// - no `metadata.toml`: in a transaction;
/// - a `metadata.toml` that parses: as `run_in_transaction` says, and **without** it (an empty
///   file, one with other keys only) not in a transaction;
/// - a `metadata.toml` diesel cannot read (not TOML, `run_in_transaction = "false"` as a
///   string): in a transaction, silently.
fn transaction(folder: &Path) -> Result<Transaction, MigrationsError> {
    let Some(bytes) = read_regular(&folder.join(METADATA_TOML))? else {
        return Ok(Transaction::Wrapped);
    };
    let metadata = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| toml::from_str::<Metadata>(text).ok());
    let run_in_transaction = metadata.is_none_or(|m| m.run_in_transaction);
    Ok(if run_in_transaction {
        Transaction::Wrapped
    } else {
        Transaction::AsIs
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A migration folder with `up.sql` and, when given, `down.sql` and `metadata.toml`.
    fn folder(root: &Path, name: &str, down: Option<&str>, metadata: Option<&str>) {
        let dir = root.join(name);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(UP_SQL), format!("-- {name}\nSELECT 1;\n")).unwrap();
        if let Some(down) = down {
            fs::write(dir.join(DOWN_SQL), down).unwrap();
        }
        if let Some(metadata) = metadata {
            fs::write(dir.join(METADATA_TOML), metadata).unwrap();
        }
    }

    fn names(migrations: &[Migration]) -> Vec<&str> {
        migrations.iter().map(|m| m.name.as_str()).collect()
    }

    /// Real crates.io names: three spellings of a version, one with spaces and capitals.
    const CRATES_IO: [&str; 7] = [
        "00000000000000_diesel_initial_setup",
        "20170308140537_create_to_semver_no_prerelease",
        "2017-09-23-182408_move_tokens_to_emails_table",
        "2017-09-26-200549_users_lowercase_index",
        "2019-11-15-182353_Add email notifications to crate owners",
        "20191201000000_z_compact",
        "2024-10-01-120000-0000_eighteen_digits",
    ];

    #[test]
    fn versions_lose_their_dashes_and_compare_as_text() {
        assert_eq!(version(CRATES_IO[2]), "20170923182408");
        assert_eq!(version(CRATES_IO[6]), "202410011200000000");
        assert_eq!(version("no-underscore"), "nounderscore");
        let tmp = tempfile::tempdir().unwrap();
        for name in CRATES_IO.iter().rev() {
            folder(tmp.path(), name, Some(""), None);
        }
        let migrations = read(tmp.path()).unwrap();
        assert_eq!(names(&migrations), CRATES_IO);
        let mut plain = CRATES_IO;
        plain.sort();
        assert_ne!(plain, CRATES_IO, "a plain sort of the names would differ");
    }

    #[test]
    fn reads_up_down_and_checksum_and_ignores_files_and_hidden_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let name = "2019-11-15-182353_Add email notifications to crate owners";
        folder(root, name, Some("DROP TABLE t;\n"), None);
        folder(root, "20140924113530_no_down", None, None);
        fs::write(root.join("README.md"), "# migrations\n").unwrap();
        fs::write(root.join("data_oauth_github.sql"), "INSERT …;\n").unwrap();
        fs::create_dir(root.join(".git")).unwrap();
        let migrations = read(root).unwrap();
        assert_eq!(names(&migrations), ["20140924113530_no_down", name]);
        let m = &migrations[1];
        assert_eq!(*m.sql_path, *root.join(name).join(UP_SQL));
        assert_eq!(m.sql, format!("-- {name}\nSELECT 1;\n"));
        assert_eq!(
            m.checksum,
            crate::migrations::Checksum::of(m.sql.as_bytes())
        );
        assert_eq!(m.undo_of, None);
        assert_eq!(m.transaction, Transaction::Wrapped);
        let down = m.down.as_ref().unwrap();
        assert_eq!(*down.path, *root.join(name).join(DOWN_SQL));
        assert_eq!(down.sql, "DROP TABLE t;\n");
        assert_eq!(down.transaction, Transaction::Wrapped);
        assert_eq!(migrations[0].down, None);
    }

    #[test]
    fn metadata_toml_is_read_as_diesel_reads_it() {
        let tmp = tempfile::tempdir().unwrap();
        let cases = [
            ("20200101000001_no_metadata", None, Transaction::Wrapped),
            (
                "20200101000002_false",
                Some("run_in_transaction = false\n"),
                Transaction::AsIs,
            ),
            (
                "20200101000003_true",
                Some("run_in_transaction = true\n"),
                Transaction::Wrapped,
            ),
            (
                "20200101000004_other_keys_only",
                Some("owner = \"ops\"\n[extra]\nx = 1\n"),
                Transaction::AsIs,
            ),
            ("20200101000005_empty", Some(""), Transaction::AsIs),
            (
                "20200101000006_string_not_bool",
                Some("run_in_transaction = \"false\"\n"),
                Transaction::Wrapped,
            ),
            (
                "20200101000007_not_toml",
                Some("run_in_transaction: false\n"),
                Transaction::Wrapped,
            ),
        ];
        for (name, metadata, _) in &cases {
            folder(tmp.path(), name, Some("SELECT 1;\n"), *metadata);
        }
        let migrations = read(tmp.path()).unwrap();
        for (m, (name, _, transaction)) in migrations.iter().zip(&cases) {
            assert_eq!(m.name, *name);
            assert_eq!(m.transaction, *transaction, "{name}");
            assert_eq!(m.down.as_ref().unwrap().transaction, *transaction, "{name}");
        }
    }

    #[test]
    fn a_folder_without_up_sql_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        folder(tmp.path(), "20200101000000_ok", None, None);
        let broken = tmp.path().join("20200101000001_Only down");
        fs::create_dir(&broken).unwrap();
        fs::write(broken.join(DOWN_SQL), "SELECT 1;\n").unwrap();
        let err = read(tmp.path()).unwrap_err();
        assert!(matches!(err, MigrationsError::MissingUpSql { .. }), "{err}");
        assert!(
            err.to_string().contains("20200101000001_Only down"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_up_is_refused_as_diesel_refuses_it_an_empty_down_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        folder(tmp.path(), "20200101000000_empty_down", Some(""), None);
        let migrations = read(tmp.path()).unwrap();
        assert_eq!(migrations[0].down.as_ref().unwrap().sql, "");

        fs::write(
            tmp.path().join("20200101000000_empty_down").join(UP_SQL),
            "",
        )
        .unwrap();
        let err = read(tmp.path()).unwrap_err();
        assert!(
            matches!(err, MigrationsError::EmptyMigration { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("empty_down/up.sql"), "{err}");
    }

    #[test]
    fn two_folders_of_one_version_are_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        folder(tmp.path(), "2020-01-01-000000_a", None, None);
        folder(tmp.path(), "20200101000000_b", None, None);
        let err = read(tmp.path()).unwrap_err();
        let MigrationsError::DuplicateVersion { ref what, .. } = err else {
            panic!("unexpected {err}");
        };
        assert_eq!(what, "version 20200101000000");
        let msg = err.to_string();
        assert!(
            msg.contains("2020-01-01-000000_a") && msg.contains("_b"),
            "{msg}"
        );
    }

    #[test]
    fn a_bom_is_stripped_from_the_text_not_the_checksum() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("20200101000000_bom");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(UP_SQL), b"\xEF\xBB\xBFSELECT 1;\n").unwrap();
        let m = &read(tmp.path()).unwrap()[0];
        assert_eq!(m.sql, "SELECT 1;\n");
        assert_eq!(
            m.checksum,
            crate::migrations::Checksum::of(b"\xEF\xBB\xBFSELECT 1;\n")
        );
    }
}
