//! dbmate histories: one file `<version>_<name>.sql` per migration, split by its
//! `-- migrate:up` and `-- migrate:down` lines into the up and down sections, as dbmate's
//! `pkg/dbmate/migration.go` splits it.
//!
//! - A migration is a file (not a folder) whose name starts with ASCII digits (the version,
//!   recorded in `schema_migrations`) and ends in `.sql`; dbmate applies them in byte order
//!   of their file names (`sort.Slice` on `FileName`), so `10_b.sql` comes before `1_a.sql`.
//!   Two files with one version are refused: dbmate would record the version twice.
//! - A marker is a line starting `--`, then optional whitespace, then `migrate:up` (or
//!   `migrate:down`), then the end of the line or whitespace and options (`-- migrate:up
//!   transaction:false`). Options are `key:value` words; `transaction:false` sends that
//!   section as it is, without dbmate's `BEGIN`/`COMMIT`.
//! - The up section runs from its marker line (included: it is a comment) to the down marker;
//!   the down section from its marker to the end of the file. Only blank lines and comments
//!   may come before the up marker. A file without an up or a down marker is refused, as
//!   dbmate refuses it.
//! - Recent dbmate allows several up/down pairs in one file, each applied in a transaction of
//!   its own; a [`Migration`] holds one pair, so such a file is refused with a way out.
//!
//! Both sections keep [`Migration::sql_path`] (and [`DownSql::path`]) the file itself: each
//! section's text is the file's text with every line before the section left empty, so line
//! N of a section is line N of the file and error positions point into the file. The checksum
//! is of the section's own bytes, what dbmate sends.
//!
//! Where unmigrate differs: a leading byte-order mark is removed (dbmate then finds no marker
//! on line 1 and refuses the file), and a file name that is not UTF-8 is read with its
//! invalid bytes replaced (dbmate records only the version's digits).

use std::collections::HashMap;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::migrations::history::{decode_utf8, read_regular};
use crate::migrations::{Checksum, DownSql, Migration, MigrationsError, Transaction};

/// Every migration of the history in `dir`, in the order dbmate applies them.
pub(super) fn read(dir: &Path) -> Result<Vec<Migration>, MigrationsError> {
    let files = migration_files(dir)?;
    let mut versions: HashMap<&str, &Path> = HashMap::new();
    for (name, path) in &files {
        if let Some(first) = versions.insert(version(name), path) {
            return Err(MigrationsError::DuplicateVersion {
                what: format!("version {}", version(name)),
                first: first.to_path_buf(),
                second: path.clone(),
                consequence: "dbmate records a version once, so it fails on the second",
            });
        }
    }
    files
        .iter()
        .map(|(name, path)| read_migration(name, path))
        .collect()
}

/// The migration files of `dir` (name, path), in dbmate's order: file names, bytewise.
fn migration_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, MigrationsError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(MigrationsError::io(dir))? {
        let entry = entry.map_err(MigrationsError::io(dir))?;
        let kind = entry
            .file_type()
            .map_err(MigrationsError::io(entry.path()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !kind.is_dir() && is_migration(&name) {
            files.push((name, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// dbmate's `^(\d+).*\.sql$`.
fn is_migration(name: &str) -> bool {
    !version(name).is_empty() && name.ends_with(".sql")
}

/// The leading ASCII digits of a file name: dbmate's version.
pub(super) fn version(name: &str) -> &str {
    let end = name
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(name.len());
    &name[..end]
}

fn read_migration(name: &str, path: &Path) -> Result<Migration, MigrationsError> {
    let bytes = read_regular(path)?.ok_or_else(|| {
        MigrationsError::io(path)(std::io::Error::from(std::io::ErrorKind::NotFound))
    })?;
    let text = decode_utf8(path, &bytes)?;
    let sections = Sections::of(path, &text)?;
    let up = &text[sections.up.clone()];
    Ok(Migration {
        name: name.strip_suffix(".sql").unwrap_or(name).to_string(),
        checksum: Checksum::of(up.as_bytes()),
        sql: in_place(&text, sections.up.clone()),
        sql_path: path.into(),
        undo_of: None,
        down: Some(Box::new(DownSql {
            path: path.into(),
            sql: in_place(&text, sections.down.clone()),
            transaction: transaction(&text[sections.down]),
        })),
        transaction: transaction(up),
    })
}

/// Byte ranges of a file's up and down sections, each from its marker line.
#[derive(Debug, PartialEq, Eq)]
struct Sections {
    up: Range<usize>,
    down: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Up,
    Down,
}

impl Sections {
    fn of(path: &Path, text: &str) -> Result<Sections, MigrationsError> {
        let markers: Vec<(usize, Marker)> = line_starts(text)
            .filter_map(|start| marker(&text[start..]).map(|m| (start, m)))
            .collect();
        let ups: Vec<usize> = markers
            .iter()
            .filter(|(_, m)| *m == Marker::Up)
            .map(|(start, _)| *start)
            .collect();
        let Some(&up) = ups.first() else {
            return Err(MigrationsError::DbmateNoUp { path: path.into() });
        };
        if let Some(start) = line_starts(&text[..up]).find(|&s| is_statement(&text[s..up])) {
            return Err(MigrationsError::DbmateBeforeUp {
                path: path.into(),
                line: line_of(text, start),
            });
        }
        if let Some(&second) = ups.get(1) {
            return Err(MigrationsError::DbmateSecondSection {
                path: path.into(),
                line: line_of(text, second),
                marker: "up",
            });
        }
        let mut downs = markers
            .iter()
            .filter(|(start, m)| *m == Marker::Down && *start > up)
            .map(|(start, _)| *start);
        let Some(down) = downs.next() else {
            return Err(MigrationsError::DbmateNoDown {
                path: path.into(),
                up_line: line_of(text, up),
            });
        };
        if let Some(second) = downs.next() {
            return Err(MigrationsError::DbmateSecondSection {
                path: path.into(),
                line: line_of(text, second),
                marker: "down",
            });
        }
        Ok(Sections {
            up: up..down,
            down: down..text.len(),
        })
    }
}

/// Where the down section of a dbmate file starts: the byte offset of its `-- migrate:down`
/// line, as [`read`] finds it (the first one after the up marker); `None` without one. For
/// `generate`, which rewrites the down section of a file [`read`] accepted and must leave
/// everything before it as it is.
pub(crate) fn down_marker(text: &str) -> Option<usize> {
    let up = line_starts(text).find(|&start| marker(&text[start..]) == Some(Marker::Up))?;
    line_starts(text).find(|&start| start > up && marker(&text[start..]) == Some(Marker::Down))
}

/// The 1-based line of `text` that dbmate would read as a section marker, if any: text put
/// into a section must have none, or dbmate would cut the file there.
pub(crate) fn marker_line(text: &str) -> Option<usize> {
    line_starts(text)
        .find(|&start| marker(&text[start..]).is_some())
        .map(|start| line_of(text, start))
}

/// Byte offsets at which the lines of `text` start.
fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1))
}

/// The marker `rest` starts with: dbmate's `^--\s*migrate:up(\s*$|\s+\S+)` (and `down`).
/// Its `\s` is ASCII whitespace, newlines included, as here.
fn marker(rest: &str) -> Option<Marker> {
    let rest = rest
        .strip_prefix("--")?
        .trim_start_matches(|c: char| c.is_ascii_whitespace());
    [("migrate:up", Marker::Up), ("migrate:down", Marker::Down)]
        .into_iter()
        .find_map(|(word, marker)| {
            let after = rest.strip_prefix(word)?;
            let ends = after.is_empty() || after.starts_with(|c: char| c.is_ascii_whitespace());
            ends.then_some(marker)
        })
}

/// Whether the line `rest` starts with is neither blank nor a `--` comment.
fn is_statement(rest: &str) -> bool {
    let line = rest.split('\n').next().unwrap_or_default();
    let line = line.trim_start_matches(|c: char| c.is_ascii_whitespace());
    !line.is_empty() && !line.starts_with("--")
}

/// 1-based line of the byte at `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The section `range` of `text`, with each line before it left empty, so its lines keep
/// their numbers in the file.
fn in_place(text: &str, range: Range<usize>) -> String {
    let before = text[..range.start].matches('\n').count();
    let mut sql = "\n".repeat(before);
    sql.push_str(&text[range]);
    sql
}

/// How dbmate sends a section, from the options on its marker line: in a transaction unless
/// `transaction:false`.
pub(crate) fn transaction(section: &str) -> Transaction {
    let line = section.split('\n').next().unwrap_or_default();
    let options = line
        .strip_prefix("--")
        .unwrap_or(line)
        .trim_start_matches(|c: char| c.is_ascii_whitespace());
    let options = ["migrate:up", "migrate:down"]
        .iter()
        .find_map(|word| options.strip_prefix(word))
        .unwrap_or(options);
    let off = options
        .split_ascii_whitespace()
        .filter_map(|word| {
            let mut parts = word.split(':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(key), Some(value), None) => Some((key, value)),
                _ => None,
            }
        })
        .rfind(|(key, _)| *key == "transaction")
        .is_some_and(|(_, value)| value == "false");
    match off {
        true => Transaction::AsIs,
        false => Transaction::Wrapped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::test_files;

    fn read_one(text: &str) -> Result<Migration, MigrationsError> {
        let dir = test_files(&[("20260101000000_a.sql", text)]);
        read(dir.path()).map(|mut m| m.remove(0))
    }

    #[test]
    fn sections_keep_their_line_numbers_and_the_file() {
        let text = "-- a comment first\n\n-- migrate:up\nCREATE TABLE t ();\n\
                    -- migrate:down\nDROP TABLE t;\n";
        let m = read_one(text).unwrap();
        assert_eq!(m.name, "20260101000000_a");
        assert_eq!(m.sql, "\n\n-- migrate:up\nCREATE TABLE t ();\n");
        assert_eq!(m.transaction, Transaction::Wrapped);
        assert_eq!(
            m.checksum,
            Checksum::of(b"-- migrate:up\nCREATE TABLE t ();\n")
        );
        let down = m.down.unwrap();
        assert_eq!(down.sql, "\n\n\n\n-- migrate:down\nDROP TABLE t;\n");
        assert_eq!(down.sql.lines().nth(5), text.lines().nth(5));
        assert_eq!(down.path, m.sql_path);
        assert_eq!(down.transaction, Transaction::Wrapped);
    }

    #[test]
    fn options_on_the_marker_lines() {
        let m = read_one(
            "--migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\
             -- migrate:down   foo:bar transaction:false\nDROP INDEX CONCURRENTLY i;\n",
        )
        .unwrap();
        assert_eq!(m.transaction, Transaction::AsIs);
        assert_eq!(m.down.unwrap().transaction, Transaction::AsIs);
        for line in [
            "-- migrate:up transaction:true",
            "-- migrate:up transaction:FALSE",
            "-- migrate:up transaction:false:x",
        ] {
            let m = read_one(&format!("{line}\nSELECT 1;\n-- migrate:down\n")).unwrap();
            assert_eq!(m.transaction, Transaction::Wrapped, "{line}");
        }
    }

    #[test]
    fn a_file_without_an_up_section_is_refused() {
        for text in [
            "CREATE TABLE t ();\n",
            "-- migrate:upgrade\nSELECT 1;\n-- migrate:down\n",
        ] {
            let err = read_one(text).unwrap_err();
            assert!(matches!(err, MigrationsError::DbmateNoUp { .. }), "{err}");
            assert!(err.to_string().contains("-- migrate:up"), "{err}");
        }
    }

    #[test]
    fn what_dbmate_refuses_is_refused_with_the_line() {
        let line = |text: &str| match read_one(text).unwrap_err() {
            MigrationsError::DbmateBeforeUp { line, .. }
            | MigrationsError::DbmateSecondSection { line, .. } => line,
            MigrationsError::DbmateNoDown { up_line, .. } => up_line,
            other => panic!("{other}"),
        };
        assert_eq!(line("-- c\nSELECT 1;\n-- migrate:up\n-- migrate:down\n"), 2);
        assert_eq!(line("\n-- migrate:up\nSELECT 1;\n"), 2);
        assert_eq!(line("-- migrate:up\n-- migrate:down\n-- migrate:down\n"), 3);
        assert_eq!(
            line("-- migrate:up\n-- migrate:down\n-- migrate:up\n-- migrate:down\n"),
            3
        );
        // A down marker among the leading comments is one of them.
        let m = read_one("-- migrate:down\n-- migrate:up\nSELECT 1;\n-- migrate:down\n");
        assert_eq!(m.unwrap().sql, "\n-- migrate:up\nSELECT 1;\n");
    }

    #[test]
    fn files_in_file_name_order_non_migrations_skipped() {
        let section = "-- migrate:up\nSELECT 1;\n-- migrate:down\n";
        let dir = test_files(&[
            ("2_b.sql", section),
            ("10_c.sql", section),
            ("1_a.sql", section),
            ("20260101000000_d.sql", section),
            ("README.md", "hi"),
            ("schema.sql", "CREATE TABLE t ();"),
            ("3_e.sql.bak", section),
        ]);
        fs::create_dir(dir.path().join("4_folder.sql")).unwrap();
        let names: Vec<String> = read(dir.path())
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["10_c", "1_a", "20260101000000_d", "2_b"]);
    }

    #[test]
    fn where_the_down_section_starts_and_lines_that_look_like_markers() {
        let text = "-- migrate:down\n-- migrate:up\nSELECT 1;\n-- migrate:down x:y\nSELECT 2;\n";
        assert_eq!(
            down_marker(text),
            Some(text.rfind("-- migrate:down").unwrap())
        );
        assert_eq!(down_marker("-- migrate:up\nSELECT 1;\n"), None);
        assert_eq!(marker_line("SELECT 1;\n--migrate:up\n"), Some(2));
        assert_eq!(marker_line("SELECT '\n-- migrate:downs';\n"), None);
    }

    #[test]
    fn two_files_of_one_version_are_refused() {
        let section = "-- migrate:up\n-- migrate:down\n";
        let dir = test_files(&[("1_a.sql", section), ("1-b.sql", section)]);
        let err = read(dir.path()).unwrap_err();
        assert!(
            matches!(err, MigrationsError::DuplicateVersion { ref what, .. } if what == "version 1"),
            "{err}"
        );
    }
}
