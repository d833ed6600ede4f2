//! Flyway with `generate --forward`: each undo as new versioned migrations
//! `V<next>__undo_<description>.sql`, for teams without Flyway Teams' undo (`U…` files, which
//! `down_sql.rs` writes by default). `next` is one above the first part of the highest
//! version (`V81` or `V81.2` → `V82`), and each further file takes the next one.
//!
//! Flyway runs a migration in a transaction unless it holds a statement that cannot run in
//! one, and refuses a migration that mixes both kinds: each `CONCURRENTLY` statement is a part
//! of its own, so a migration of its own, which Flyway then runs without a transaction.

use std::path::Path;

use super::down_sql::Placing;
use super::new_migrations::{self, part_suffix, Forward};
use super::{DownFile, GenerateError, PlaceError, Plan};
use crate::migrations::layouts::flyway::{major_version, written_description};
use crate::migrations::{History, Layout};

/// The new versioned migrations of every undo of the plan, in a Flyway history.
pub(super) fn new_migrations(
    plan: &Plan,
    history: &History,
    placing: &Placing,
) -> Result<Vec<DownFile>, GenerateError> {
    new_migrations::place(plan, history, placing.overwrite, &Flyway)
}

struct Flyway;

impl Forward for Flyway {
    fn versions(&self, history: &History, count: usize) -> Result<Vec<String>, PlaceError> {
        let newest = history
            .migrations
            .iter()
            .filter_map(|m| Some((major_version(&m.name)?, m.name.as_str())))
            .max();
        let next = match newest {
            Some((major, _)) => major.checked_add(1),
            None => Some(1),
        };
        (0..count)
            .map(|i| {
                next.and_then(|n| n.checked_add(u64::try_from(i).ok()?))
                    .map(|v| v.to_string())
                    .ok_or_else(|| PlaceError::NoVersionLeft {
                        layout: Layout::Flyway.name(),
                        newest: newest.map_or_else(String::new, |(_, name)| name.to_string()),
                        count,
                    })
            })
            .collect()
    }

    fn file_name(&self, version: &str, source: &str, part: usize) -> String {
        let description = written_description(source);
        format!("V{version}__undo_{description}{}.sql", part_suffix(part))
    }

    fn text(&self, _path: &Path, part: String) -> Result<String, GenerateError> {
        Ok(part)
    }

    fn generated<'t>(&self, text: &'t str) -> &'t str {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::test_files;

    fn versions(files: &[(&str, &str)], count: usize) -> Vec<String> {
        let dir = test_files(files);
        let (history, _) =
            crate::migrations::layouts::read(dir.path(), Some(Layout::Flyway)).unwrap();
        Flyway.versions(&history, count).unwrap()
    }

    #[test]
    fn next_versions_follow_the_first_part_of_the_highest() {
        let sql = "SELECT 1;\n";
        assert_eq!(
            versions(
                &[
                    ("V9__a.sql", sql),
                    ("V81.2__b.sql", sql),
                    ("V10__c.sql", sql),
                    ("R__view.sql", sql),
                    ("sub/V007__d.sql", sql),
                ],
                3
            ),
            ["82", "83", "84"]
        );
        assert_eq!(versions(&[("V1.1__a.sql", sql)], 1), ["2"]);
    }

    #[test]
    fn names_keep_the_description_and_number_parts() {
        assert_eq!(
            Flyway.file_name("82", "V10__drop_unique_constraint", 0),
            "V82__undo_drop_unique_constraint.sql"
        );
        assert_eq!(
            Flyway.file_name("83", "V2.1__b", 1),
            "V83__undo_b_part2.sql"
        );
    }
}
