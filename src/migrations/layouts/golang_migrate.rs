//! golang-migrate histories, read as `migrate up` reads them (its `file` source, which
//! lists the folder through `source/iofs`, and `source.Parse`):
//!
//! - a file is a migration file when its name matches `^([0-9]+)_(.*)\.(down|up)\.(.*)$`:
//!   `<version>_<name>.up.sql` and `.down.sql` (any extension, in fact); every other entry
//!   (`atlas.sum`, a README, folders) is not a migration;
//! - the version is an unsigned 64-bit integer and migrations run in its numeric order
//!   (`9_` before `10_`); a version too large for it makes golang-migrate skip the file, as
//!   this reader does;
//! - two up (or two down) files of one version make golang-migrate refuse the folder, and so
//!   does this reader; a down without an up is refused too (it can never run);
//! - no transaction is opened: each file is sent as it is, in one query.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::files::{entries, SqlFile};
use super::Layout;
use crate::migrations::{Migration, MigrationsError, Transaction};

/// Which file of a migration a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// A migration file's name, understood.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    version: u64,
    /// `<version>_<name>`: the name without its direction and extension.
    stem: String,
    direction: Direction,
}

/// The up and down files of one version.
#[derive(Default)]
struct Files {
    up: Option<(String, PathBuf)>,
    down: Option<PathBuf>,
}

/// Every migration of the history in `dir`, in the order golang-migrate applies them.
pub(super) fn read(dir: &Path) -> Result<Vec<Migration>, MigrationsError> {
    let mut versions: BTreeMap<u64, Files> = BTreeMap::new();
    for entry in entries(dir)? {
        let file_type = entry
            .file_type()
            .map_err(MigrationsError::io(entry.path()))?;
        if file_type.is_dir() {
            continue;
        }
        let Some(parsed) = parse(&entry.file_name().to_string_lossy()) else {
            continue;
        };
        if entry.file_name().to_str().is_none() {
            return Err(MigrationsError::NonUtf8Name { path: entry.path() });
        }
        let files = versions.entry(parsed.version).or_default();
        let taken = match parsed.direction {
            Direction::Up => files
                .up
                .replace((parsed.stem, entry.path()))
                .map(|(_, p)| p),
            Direction::Down => files.down.replace(entry.path()),
        };
        if let Some(other) = taken {
            return Err(duplicate(parsed.version, other, entry.path()));
        }
    }
    versions.into_values().map(read_migration).collect()
}

/// The error for two files of one version and direction, named in a stable order.
fn duplicate(version: u64, a: PathBuf, b: PathBuf) -> MigrationsError {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    MigrationsError::DuplicateVersion {
        what: format!("version {version}"),
        first,
        second,
        consequence: "golang-migrate refuses the whole folder",
    }
}

fn read_migration(files: Files) -> Result<Migration, MigrationsError> {
    let Some((name, up)) = files.up else {
        return Err(MigrationsError::DownWithoutUp {
            layout: Layout::GolangMigrate.name(),
            down: files.down.unwrap_or_default(),
        });
    };
    let down = match files.down {
        Some(path) => Some(SqlFile::read_listed(path)?.into_down(Transaction::AsIs)),
        None => None,
    };
    Ok(SqlFile::read_listed(up)?.into_migration(name, Transaction::AsIs, down))
}

/// golang-migrate's `source.Parse`: `^([0-9]+)_(.*)\.(down|up)\.(.*)$`, where the greedy
/// `(.*)` makes the last `.up.` or `.down.` the direction; `None` for any other name, and
/// for a version too large for 64 bits (golang-migrate skips those files too).
fn parse(file_name: &str) -> Option<Parsed> {
    let digits = file_name.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = file_name[digits..].strip_prefix('_')?;
    let up = rest.rfind(".up.").map(|i| (i, Direction::Up));
    let down = rest.rfind(".down.").map(|i| (i, Direction::Down));
    let (at, direction) = up.into_iter().chain(down).max_by_key(|(i, _)| *i)?;
    Some(Parsed {
        version: file_name[..digits].parse().ok()?,
        stem: file_name[..digits + 1 + at].to_string(),
        direction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(migrations: &[Migration]) -> Vec<&str> {
        migrations.iter().map(|m| m.name.as_str()).collect()
    }

    #[test]
    fn names_are_parsed_as_golang_migrate_parses_them() {
        let parsed = |name| parse(name).map(|p| (p.version, p.stem, p.direction));
        let up = |v, s: &str| Some((v, s.to_string(), Direction::Up));
        let down = |v, s: &str| Some((v, s.to_string(), Direction::Down));
        assert_eq!(
            parsed("20240826120919_init.up.sql"),
            up(20240826120919, "20240826120919_init")
        );
        assert_eq!(parsed("0009_a b.down.sql"), down(9, "0009_a b"));
        assert_eq!(parsed("1_x.down.up.sql"), up(1, "1_x.down"));
        assert_eq!(parsed("1_x.up.txt"), up(1, "1_x"));
        assert_eq!(parsed("1_.up."), up(1, "1_"));
        for other in [
            "atlas.sum",
            "README.md",
            "1_x.sql",
            "_1_x.up.sql",
            "x1_x.up.sql",
            "1.up.sql",
            "1_x.upsql",
            "99999999999999999999_too_large.up.sql",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }

    #[test]
    fn versions_run_in_numeric_order_and_other_files_are_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for name in ["10_ten", "9_nine", "0100_Hundred With Spaces"] {
            fs::write(root.join(format!("{name}.up.sql")), format!("-- {name}\n")).unwrap();
            fs::write(root.join(format!("{name}.down.sql")), "").unwrap();
        }
        fs::write(root.join("atlas.sum"), "h1:…\n").unwrap();
        fs::write(root.join("README.md"), "# migrations\n").unwrap();
        fs::create_dir(root.join("11_folder.up.sql")).unwrap();
        let migrations = read(root).unwrap();
        assert_eq!(
            names(&migrations),
            ["9_nine", "10_ten", "0100_Hundred With Spaces"]
        );
        let m = &migrations[1];
        assert_eq!(*m.sql_path, *root.join("10_ten.up.sql"));
        assert_eq!(m.sql, "-- 10_ten\n");
        assert_eq!(m.checksum, crate::migrations::Checksum::of(b"-- 10_ten\n"));
        assert_eq!(m.transaction, Transaction::AsIs);
        let down = m.down.as_ref().unwrap();
        assert_eq!(*down.path, *root.join("10_ten.down.sql"));
        assert_eq!(down.sql, "", "an empty down is kept");
        assert_eq!(down.transaction, Transaction::AsIs);
    }

    #[test]
    fn an_up_without_a_down_has_none_a_down_without_an_up_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("1_a.up.sql"), "SELECT 1;\n").unwrap();
        assert_eq!(read(tmp.path()).unwrap()[0].down, None);
        fs::write(tmp.path().join("2_b.down.sql"), "SELECT 1;\n").unwrap();
        let err = read(tmp.path()).unwrap_err();
        assert!(
            matches!(err, MigrationsError::DownWithoutUp { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("2_b.down.sql"), "{err}");
    }

    #[test]
    fn two_ups_of_one_version_are_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("1_a.up.sql"), "SELECT 1;\n").unwrap();
        fs::write(tmp.path().join("01_b.up.sql"), "SELECT 1;\n").unwrap();
        let err = read(tmp.path()).unwrap_err();
        let MigrationsError::DuplicateVersion { ref what, .. } = err else {
            panic!("unexpected {err}");
        };
        assert_eq!(what, "version 1");
        let msg = err.to_string();
        assert!(
            msg.contains("01_b.up.sql") && msg.contains("1_a.up.sql"),
            "{msg}"
        );
    }

    #[test]
    fn an_up_and_a_down_of_one_version_pair_whatever_their_names() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("1_a.up.sql"), "CREATE TABLE a();\n").unwrap();
        fs::write(tmp.path().join("001_renamed.down.sql"), "DROP TABLE a;\n").unwrap();
        let migrations = read(tmp.path()).unwrap();
        assert_eq!(names(&migrations), ["1_a"]);
        assert_eq!(migrations[0].down.as_ref().unwrap().sql, "DROP TABLE a;\n");
    }
}
