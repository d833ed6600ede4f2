//! sqlx's simple layout has no downs: each undo is a new forward migration
//! `<version>_undo_<name>.sql` after every existing one (see `new_migrations.rs`), which
//! `sqlx migrate run` applies last.
//!
//! sqlx versions are `i64`s, and most teams use 14-digit UTC timestamps (what `sqlx migrate
//! add` writes): the first new version is now, in UTC, or one after the newest version when
//! now is not after it (or `--timestamp`, which must be after it). sqlx runs each file in a
//! transaction unless it starts with `-- no-transaction`: a part that holds a statement that
//! cannot run in one (a lone `CREATE INDEX CONCURRENTLY`) gets that line first, before the
//! undo's header.

use std::path::Path;

use super::down_sql::{blocking, Placing};
use super::new_migrations::{self, part_suffix, Forward};
use super::{DownFile, GenerateError, PlaceError, Plan};
use crate::migrations::layouts::sqlx::{after_no_transaction, version, NO_TRANSACTION};
use crate::migrations::{History, Layout, Timestamp};

/// The new migrations of every undo of the plan, in a sqlx (simple) history.
pub(super) fn new_migrations(
    plan: &Plan,
    history: &History,
    placing: &Placing,
) -> Result<Vec<DownFile>, GenerateError> {
    let sqlx = Sqlx {
        requested: placing.requested,
        now: placing.now,
    };
    new_migrations::place(plan, history, placing.overwrite, &sqlx)
}

/// `sql` as a file sqlx sends as it is, outside a transaction.
pub(super) fn without_transaction(sql: String) -> String {
    format!("{NO_TRANSACTION}\n{sql}")
}

struct Sqlx {
    requested: Option<Timestamp>,
    now: Timestamp,
}

/// A timestamp as the version it stands for (`20240101120000`).
fn as_version(ts: Timestamp) -> i64 {
    ts.to_string().parse().expect("a timestamp is 14 digits")
}

/// The version `n` after `version`: a timestamp's are the next seconds (still timestamps, so
/// `…0059` is followed by `…0100`), any other version's the next integers.
fn after(version: i64, n: usize) -> Option<i64> {
    match Timestamp::parse(&version.to_string()) {
        Ok(ts) => ts.plus_seconds(n as u64).map(as_version),
        Err(_) => version.checked_add(i64::try_from(n).ok()?),
    }
}

impl Forward for Sqlx {
    fn versions(&self, history: &History, count: usize) -> Result<Vec<String>, PlaceError> {
        let newest = history
            .migrations
            .iter()
            .filter_map(|m| Some((version(&m.name)?, m.name.as_str())))
            .max();
        let no_room = || PlaceError::NoVersionLeft {
            layout: Layout::SqlxSimple.name(),
            newest: newest.map_or_else(String::new, |(_, name)| name.to_string()),
            count,
        };
        let start = match (self.requested.map(as_version), newest) {
            (Some(requested), Some((last, name))) if requested <= last => {
                return Err(PlaceError::VersionTooOld {
                    requested,
                    version: last,
                    newest: name.to_string(),
                })
            }
            (Some(requested), _) => requested,
            (None, Some((last, _))) if as_version(self.now) <= last => {
                after(last, 1).ok_or_else(no_room)?
            }
            (None, _) => as_version(self.now),
        };
        (0..count)
            .map(|i| {
                let next = if i == 0 { Some(start) } else { after(start, i) };
                next.map(|v| v.to_string()).ok_or_else(no_room)
            })
            .collect()
    }

    fn file_name(&self, version: &str, source: &str, part: usize) -> String {
        let name = source.split_once('_').map_or(source, |(_, name)| name);
        format!("{version}_undo_{name}{}.sql", part_suffix(part))
    }

    fn text(&self, path: &Path, part: String) -> Result<String, GenerateError> {
        Ok(match blocking(path, &part)? {
            Some(_) => without_transaction(part),
            None => part,
        })
    }

    fn generated<'t>(&self, text: &'t str) -> &'t str {
        after_no_transaction(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::test_files;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn versions(files: &[(&str, &str)], requested: Option<&str>, count: usize) -> Vec<String> {
        let dir = test_files(files);
        let (history, _) =
            crate::migrations::layouts::read(dir.path(), Some(Layout::SqlxSimple)).unwrap();
        let sqlx = Sqlx {
            requested: requested.map(ts),
            now: ts("20260102030405"),
        };
        sqlx.versions(&history, count).unwrap()
    }

    #[test]
    fn new_versions_are_now_or_after_the_newest() {
        let sql = "SELECT 1;\n";
        assert_eq!(
            versions(&[("1_a.sql", sql), ("2_b.sql", sql)], None, 2),
            ["20260102030405", "20260102030406"]
        );
        // The newest is in the future (another clock): one after it.
        assert_eq!(
            versions(&[("20300101000059_a.sql", sql)], None, 2),
            ["20300101000100", "20300101000101"]
        );
        // Not a timestamp: the next integers.
        assert_eq!(
            versions(&[("99999999999999999_a.sql", sql)], None, 2),
            ["100000000000000000", "100000000000000001"]
        );
        assert_eq!(
            versions(&[("1_a.sql", sql)], Some("20250101000000"), 1),
            ["20250101000000"]
        );
    }

    #[test]
    fn a_requested_version_must_come_after_the_newest() {
        let dir = test_files(&[("20260101000000_a.sql", "SELECT 1;\n")]);
        let (history, _) =
            crate::migrations::layouts::read(dir.path(), Some(Layout::SqlxSimple)).unwrap();
        let sqlx = Sqlx {
            requested: Some(ts("20260101000000")),
            now: ts("20260102030405"),
        };
        let err = sqlx.versions(&history, 1).unwrap_err();
        assert!(
            matches!(
                err,
                PlaceError::VersionTooOld {
                    version: 20260101000000,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("20260101000000_a"), "{err}");
    }

    #[test]
    fn names_keep_the_source_name_and_number_parts() {
        let sqlx = Sqlx {
            requested: None,
            now: ts("20260102030405"),
        };
        assert_eq!(
            sqlx.file_name("7", "20220421174016_larger-commands", 0),
            "7_undo_larger-commands.sql"
        );
        assert_eq!(
            sqlx.file_name("8", "9_Nine With Spaces", 1),
            "8_undo_Nine With Spaces_part2.sql"
        );
    }
}
