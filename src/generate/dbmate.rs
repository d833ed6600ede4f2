//! dbmate keeps a migration's down in the `-- migrate:down` section of the migration's own
//! file: the undo is written there, and only there. Everything before the section's text (the
//! comments before `-- migrate:up`, the up section, the down marker line with its options such
//! as `transaction:false`) stays byte for byte as it was; a file without a down section gets
//! one at its end.
//!
//! The section's text is replaced as a down file would be (`down_sql::check_replace`): an
//! empty or comment-only one always, one unmigrate wrote (its header first, its seal intact)
//! with `--force`, any other only with `--force --discard-edits`. dbmate sends the section in
//! a transaction unless its marker line says `transaction:false`: an undo with a statement
//! that cannot run in one is refused there, with that change to make. dbmate cuts a file at
//! every marker line, so an undo with a line that looks like one is refused too.

use std::borrow::Cow;
use std::fs;

use super::down_sql::{blocking, check_replace, check_sent, one_part, DownFile, Place};
use super::{GenerateError, PlaceError, Plan, PlannedUndo};
use crate::migrations::layouts::dbmate::{down_marker, marker_line, transaction};
use crate::migrations::{History, Layout, MigrationsError, Overwrite, Transaction};

/// The marker line of a down section unmigrate adds.
const DOWN_MARKER: &str = "-- migrate:down";

/// Every undo of the plan in its migration file's down section.
pub(super) fn sections(
    plan: &Plan,
    history: &History,
    overwrite: Overwrite,
) -> Result<Vec<DownFile>, GenerateError> {
    plan.undos
        .iter()
        .map(|undo| section(plan, undo, history, overwrite))
        .collect()
}

fn section(
    plan: &Plan,
    undo: &PlannedUndo,
    history: &History,
    overwrite: Overwrite,
) -> Result<DownFile, GenerateError> {
    let part = one_part(plan, undo, Layout::Dbmate)?;
    let source = history
        .find(&undo.source)
        .expect("a planned undo's source is in its history");
    let path = source.sql_path.to_path_buf();
    if let Some(line) = marker_line(&part) {
        return Err(PlaceError::MarkerInUndo {
            source_name: undo.source.clone(),
            path,
            line,
        }
        .into());
    }
    let old = fs::read_to_string(&path)
        .map_err(|e| GenerateError::Migrations(MigrationsError::io(&path)(e)))?;
    let blocked = blocking(&path, &part)?;
    let split = Split::of(&old, blocked.is_some());
    check_sent(undo, Layout::Dbmate, split.sent, blocked)?;
    check_replace(&path, true, split.text, &part, overwrite)?;
    let sql = format!("{}{part}", split.head);
    Ok(DownFile {
        source: undo.source.clone(),
        path,
        sql,
        replaces: Some(old.clone()),
        place: Place::DownSection,
    })
}

/// A dbmate file cut where its down section's text begins.
#[derive(Debug, PartialEq, Eq)]
struct Split<'t> {
    /// Everything up to and including the down marker line (with one added when there is
    /// none).
    head: Cow<'t, str>,
    /// The down section's text, after its marker line.
    text: &'t str,
    /// How dbmate sends the down section.
    sent: Transaction,
}

impl<'t> Split<'t> {
    /// Cuts `file`; a down section it lacks is added, outside a transaction when `outside`
    /// (the undo needs it, and unmigrate writes the marker line).
    fn of(file: &'t str, outside: bool) -> Split<'t> {
        // dbmate refuses a file with a byte-order mark; it is kept as it is all the same.
        let bom = file.len() - file.strip_prefix('\u{feff}').unwrap_or(file).len();
        let Some(at) = down_marker(&file[bom..]).map(|at| bom + at) else {
            let mut head = file.to_string();
            if !head.is_empty() && !head.ends_with('\n') {
                head.push('\n');
            }
            head.push_str(DOWN_MARKER);
            if outside {
                head.push_str(" transaction:false");
            }
            head.push('\n');
            return Split {
                head: Cow::Owned(head),
                text: "",
                sent: match outside {
                    true => Transaction::AsIs,
                    false => Transaction::Wrapped,
                },
            };
        };
        let sent = transaction(&file[at..]);
        match file[at..].find('\n') {
            Some(end) => Split {
                head: Cow::Borrowed(&file[..at + end + 1]),
                text: &file[at + end + 1..],
                sent,
            },
            None => Split {
                head: Cow::Owned(format!("{file}\n")),
                text: "",
                sent,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_keeps_the_marker_line_and_its_options() {
        let file = "-- a note\n-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\r\nDROP TABLE t;\n";
        let split = Split::of(file, false);
        assert_eq!(
            split.head,
            "-- a note\n-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\r\n"
        );
        assert_eq!(split.text, "DROP TABLE t;\n");
        assert_eq!(split.sent, Transaction::AsIs);
        // A marker on the last line, without a line feed.
        let split = Split::of("-- migrate:up\nSELECT 1;\n-- migrate:down", false);
        assert_eq!(split.head, "-- migrate:up\nSELECT 1;\n-- migrate:down\n");
        assert_eq!((split.text, split.sent), ("", Transaction::Wrapped));
    }

    #[test]
    fn a_missing_down_section_is_added_at_the_end() {
        let split = Split::of("-- migrate:up\nSELECT 1;", false);
        assert_eq!(split.head, "-- migrate:up\nSELECT 1;\n-- migrate:down\n");
        assert_eq!(split.sent, Transaction::Wrapped);
        let split = Split::of("-- migrate:up\nSELECT 1;\n", true);
        assert_eq!(
            split.head,
            "-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\n"
        );
        assert_eq!(split.sent, Transaction::AsIs);
    }

    #[test]
    fn a_down_marker_among_the_leading_comments_is_not_the_section() {
        let file = "-- migrate:down\n-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n";
        let split = Split::of(file, false);
        assert_eq!(split.text, "SELECT 2;\n");
        let file = "\u{feff}-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n";
        assert_eq!(
            Split::of(file, false).head,
            "\u{feff}-- migrate:up\nSELECT 1;\n-- migrate:down\n"
        );
    }
}
