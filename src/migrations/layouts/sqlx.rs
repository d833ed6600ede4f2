//! sqlx histories, read as `sqlx migrate run` and `sqlx::migrate!` read them (sqlx-core's
//! `migrate/source.rs` and `migration_type.rs`):
//!
//! - every file (links followed) named `<version>_<description>.sql` is a migration file;
//!   other names, and folders, are not. Its kind comes from its own name, whatever the
//!   folder's layout: `.up.sql` is the up of a reversible migration, `.down.sql` its down,
//!   any other `.sql` a simple migration (an up without a down), so a reversible folder may
//!   hold simple files too;
//! - the version is a signed 64-bit integer (Rust's `i64` parse: a sign is allowed, leading
//!   zeros too); a `.sql` name whose part before the first `_` is not one makes sqlx refuse the
//!   folder, as this reader does; migrations run in numeric order;
//! - each file runs in a transaction unless its very first bytes are `-- no-transaction`
//!   (sqlx's `starts_with`, on the text as read: a byte-order mark in front defeats it); a
//!   down file is judged on its own first bytes;
//! - two ups of one version (sqlx fails on the second when it records it) and a down without
//!   an up (sqlx never runs it) are errors here.
//!
//! An up file whose first line (after a `-- no-transaction` line) is unmigrate's undo header
//! is the undo of the migration it names ([`Migration::undo_of`]): `generate` writes one per
//! undo in the simple layout, and must not take it for a migration to undo in turn.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::files::{entries, SqlFile};
use super::Layout;
use crate::migrations::{undo_source, Migration, MigrationsError, Transaction};

/// The marker opening a file sqlx must not run in a transaction.
pub(crate) const NO_TRANSACTION: &str = "-- no-transaction";

/// A file's text after its `-- no-transaction` line, if it starts with one: where unmigrate's
/// header and seal stand in a file it wrote that sqlx must not wrap.
pub(crate) fn after_no_transaction(text: &str) -> &str {
    match text.strip_prefix(NO_TRANSACTION) {
        Some(rest) if rest.starts_with(['\n', '\r']) || rest.is_empty() => {
            let rest = rest.strip_prefix('\r').unwrap_or(rest);
            rest.strip_prefix('\n').unwrap_or(rest)
        }
        _ => text,
    }
}

/// The version of a migration named `<version>_<description>` (its file stem), as sqlx reads
/// it.
pub(crate) fn version(name: &str) -> Option<i64> {
    name.split_once('_')?.0.parse().ok()
}

/// What a file is, by the end of its name (sqlx's `MigrationType::from_filename`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Up,
    Down,
}

impl Kind {
    fn of(file_name: &str) -> Self {
        if file_name.ends_with(".up.sql") {
            Kind::Up
        } else if file_name.ends_with(".down.sql") {
            Kind::Down
        } else {
            Kind::Simple
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Kind::Simple => ".sql",
            Kind::Up => ".up.sql",
            Kind::Down => ".down.sql",
        }
    }
}

/// The up (simple or reversible) and down files of one version.
#[derive(Default)]
struct Files {
    up: Option<(String, PathBuf)>,
    down: Option<PathBuf>,
}

/// Every migration of the history in `dir`, in the order sqlx applies them; `layout` (simple
/// or reversible) only names the tool in messages, since sqlx reads both alike.
pub(super) fn read(dir: &Path, layout: Layout) -> Result<Vec<Migration>, MigrationsError> {
    let mut versions: BTreeMap<i64, Files> = BTreeMap::new();
    for entry in entries(dir)? {
        let path = entry.path();
        // sqlx follows links here (std::fs::metadata), and so fails on a broken one.
        let meta = std::fs::metadata(&path).map_err(MigrationsError::io(&path))?;
        let lossy = entry.file_name().to_string_lossy().into_owned();
        let Some((version, rest)) = lossy.split_once('_') else {
            continue;
        };
        if !meta.is_file() || !rest.ends_with(".sql") {
            continue;
        }
        let version: i64 = version.parse().map_err(|e: std::num::ParseIntError| {
            MigrationsError::InvalidVersion {
                layout: layout.name(),
                path: path.clone(),
                version: version.to_string(),
                reason: e.to_string(),
            }
        })?;
        if entry.file_name().to_str().is_none() {
            return Err(MigrationsError::NonUtf8Name { path });
        }
        let kind = Kind::of(rest);
        let stem = lossy[..lossy.len() - kind.suffix().len()].to_string();
        let files = versions.entry(version).or_default();
        let taken = match kind {
            Kind::Simple | Kind::Up => files.up.replace((stem, path.clone())).map(|(_, p)| p),
            Kind::Down => files.down.replace(path.clone()),
        };
        if let Some(other) = taken {
            return Err(duplicate(version, kind, other, path));
        }
    }
    versions
        .into_values()
        .map(|files| read_migration(layout, files))
        .collect()
}

/// The error for two files of one version and direction, named in a stable order.
fn duplicate(version: i64, kind: Kind, a: PathBuf, b: PathBuf) -> MigrationsError {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let consequence = match kind {
        Kind::Down => "sqlx runs both when reverting that version",
        Kind::Simple | Kind::Up => "sqlx runs both, and fails on the second when it records it",
    };
    MigrationsError::DuplicateVersion {
        what: format!("version {version}"),
        first,
        second,
        consequence,
    }
}

fn read_migration(layout: Layout, files: Files) -> Result<Migration, MigrationsError> {
    let Some((name, up)) = files.up else {
        return Err(MigrationsError::DownWithoutUp {
            layout: layout.name(),
            down: files.down.unwrap_or_default(),
        });
    };
    let down = match files.down {
        Some(path) => {
            let down = SqlFile::read_listed(path)?;
            let transaction = transaction(&down);
            Some(down.into_down(transaction))
        }
        None => None,
    };
    let up = SqlFile::read_listed(up)?;
    let transaction = transaction(&up);
    let undo_of = undo_source(after_no_transaction(&up.sql));
    let mut migration = up.into_migration(name, transaction, down);
    migration.undo_of = undo_of;
    Ok(migration)
}

/// How sqlx sends a file: as it is when it starts with `-- no-transaction`, else wrapped.
fn transaction(file: &SqlFile) -> Transaction {
    if file.bytes.starts_with(NO_TRANSACTION.as_bytes()) {
        Transaction::AsIs
    } else {
        Transaction::Wrapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(migrations: &[Migration]) -> Vec<&str> {
        migrations.iter().map(|m| m.name.as_str()).collect()
    }

    fn write(root: &Path, name: &str, text: &str) {
        fs::write(root.join(name), text).unwrap();
    }

    #[test]
    fn simple_files_in_numeric_order_other_files_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for name in [
            "20220421174016_larger-commands.sql",
            "10_ten.sql",
            "9_Nine With Spaces.sql",
            "-1_negative.sql",
        ] {
            write(root, name, "SELECT 1;\n");
        }
        write(root, "README.md", "# migrations\n");
        write(root, "notes_about.txt", "not sql\n");
        write(root, "nounderscore.sql", "SELECT 1;\n");
        fs::create_dir(root.join("11_folder.sql")).unwrap();
        let migrations = read(root, Layout::SqlxSimple).unwrap();
        assert_eq!(
            names(&migrations),
            [
                "-1_negative",
                "9_Nine With Spaces",
                "10_ten",
                "20220421174016_larger-commands"
            ]
        );
        let m = &migrations[1];
        assert_eq!(*m.sql_path, *root.join("9_Nine With Spaces.sql"));
        assert_eq!(m.sql, "SELECT 1;\n");
        assert_eq!(m.checksum, crate::migrations::Checksum::of(b"SELECT 1;\n"));
        assert_eq!(
            (m.transaction, &m.down, &m.undo_of),
            (Transaction::Wrapped, &None, &None)
        );
    }

    #[test]
    fn reversible_pairs_and_a_simple_file_beside_them() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "20231021111635_initial.up.sql", "CREATE TABLE a();\n");
        write(root, "20231021111635_initial.down.sql", "");
        write(root, "20240221104457_simple.sql", "SELECT 1;\n");
        let migrations = read(root, Layout::SqlxReversible).unwrap();
        assert_eq!(
            names(&migrations),
            ["20231021111635_initial", "20240221104457_simple"]
        );
        let down = migrations[0].down.as_ref().unwrap();
        assert_eq!(*down.path, *root.join("20231021111635_initial.down.sql"));
        assert_eq!(down.sql, "", "an empty down is kept");
        assert_eq!(down.transaction, Transaction::Wrapped);
        assert_eq!(migrations[1].down, None);
    }

    #[test]
    fn no_transaction_only_as_the_very_first_bytes_of_each_file() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let concurrently = "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n";
        write(root, "1_concurrently.up.sql", concurrently);
        write(root, "1_concurrently.down.sql", "DROP INDEX i;\n");
        write(root, "2_later_line.sql", "\n-- no-transaction\nSELECT 1;\n");
        write(root, "3_bom.sql", "\u{feff}-- no-transaction\nSELECT 1;\n");
        write(root, "4_down_only.up.sql", "SELECT 1;\n");
        write(
            root,
            "4_down_only.down.sql",
            "-- no-transaction\nSELECT 1;\n",
        );
        let migrations = read(root, Layout::SqlxReversible).unwrap();
        let sent: Vec<_> = migrations
            .iter()
            .map(|m| (m.transaction, m.down.as_ref().map(|d| d.transaction)))
            .collect();
        use Transaction::{AsIs, Wrapped};
        assert_eq!(
            sent,
            [
                (AsIs, Some(Wrapped)),
                (Wrapped, None),
                (Wrapped, None),
                (Wrapped, Some(AsIs))
            ]
        );
        assert_eq!(migrations[0].sql, concurrently);
    }

    #[test]
    fn a_file_unmigrate_wrote_is_the_undo_of_its_source() {
        let tmp = tempfile::tempdir().unwrap();
        let header = crate::migrations::undo_header("1_a");
        write(tmp.path(), "1_a.sql", "CREATE TABLE a ();\n");
        write(
            tmp.path(),
            "2_undo_a.sql",
            &format!("{header}\nDROP TABLE a;\n"),
        );
        let concurrent = format!("-- no-transaction\n{header}\nDROP INDEX CONCURRENTLY i;\n");
        write(tmp.path(), "3_undo_a_part2.sql", &concurrent);
        write(tmp.path(), "4_later.sql", &format!("SELECT 1;\n{header}\n"));
        let migrations = read(tmp.path(), Layout::SqlxSimple).unwrap();
        let undo_of: Vec<Option<&str>> = migrations.iter().map(|m| m.undo_of.as_deref()).collect();
        assert_eq!(undo_of, [None, Some("1_a"), Some("1_a"), None]);
        assert_eq!(version("20240101000000_x y"), Some(20240101000000));
        assert_eq!(version("-3_x"), Some(-3));
        assert_eq!(version("x_y"), None);
        assert_eq!(after_no_transaction("-- no-transaction\r\nA"), "A");
        assert_eq!(
            after_no_transaction("-- no-transactions\nA"),
            "-- no-transactions\nA"
        );
    }

    #[test]
    fn a_version_that_is_not_an_integer_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "1_a.sql", "SELECT 1;\n");
        write(tmp.path(), "._1_a.sql", "apple double\n");
        let err = read(tmp.path(), Layout::SqlxSimple).unwrap_err();
        assert!(
            matches!(err, MigrationsError::InvalidVersion { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("._1_a.sql"), "{err}");
        assert!(err.to_string().contains("sqlx (simple)"), "{err}");
    }

    #[test]
    fn two_ups_of_one_version_are_an_error_whatever_their_kind() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "1_a.sql", "SELECT 1;\n");
        write(tmp.path(), "01_b.up.sql", "SELECT 1;\n");
        let err = read(tmp.path(), Layout::SqlxReversible).unwrap_err();
        let MigrationsError::DuplicateVersion { ref what, .. } = err else {
            panic!("unexpected {err}");
        };
        assert_eq!(what, "version 1");
        let msg = err.to_string();
        assert!(
            msg.contains("01_b.up.sql") && msg.contains("1_a.sql"),
            "{msg}"
        );
    }

    #[test]
    fn a_down_without_an_up_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "1_a.up.sql", "SELECT 1;\n");
        write(tmp.path(), "2_b.down.sql", "SELECT 1;\n");
        let err = read(tmp.path(), Layout::SqlxReversible).unwrap_err();
        assert!(
            matches!(err, MigrationsError::DownWithoutUp { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("2_b.down.sql"), "{err}");
    }
}
