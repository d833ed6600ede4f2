//! Names and header lines of the undo folders unmigrate writes.

use super::{Timestamp, UNDO_MARKER};

/// Longest folder name we generate, in bytes. Prisma stores the name in
/// `_prisma_migrations.migration_name VARCHAR(255)` and file systems cap a name at 255 bytes;
/// 200 leaves room for a human to append a suffix by hand.
pub const MAX_FOLDER_NAME_BYTES: usize = 200;

/// The folder name for the undo of `source_name`: `<ts>_undo_<slug>`.
///
/// The slug is the source name without its timestamp prefix, lower-cased, with every
/// character outside `[a-z0-9]` turned into `_`, runs collapsed and ends trimmed, so that the
/// name is portable (no spaces, no case clashes on macOS) and still says what it undoes. It is
/// cut so that the whole name fits in [`MAX_FOLDER_NAME_BYTES`]; a source name with nothing
/// left after the timestamp gives `<ts>_undo`.
pub fn undo_folder_name(ts: Timestamp, source_name: &str) -> String {
    let head = format!("{ts}_undo");
    let room = MAX_FOLDER_NAME_BYTES - head.len() - 1;
    let slug = slug(strip_timestamp_prefix(source_name));
    let slug = slug[..slug.len().min(room)].trim_end_matches('_');
    if slug.is_empty() {
        head
    } else {
        format!("{head}_{slug}")
    }
}

/// The first line of an undo file written for `source_name` (without a line break).
pub fn undo_header(source_name: &str) -> String {
    format!("{UNDO_MARKER}{source_name}")
}

/// The source name recorded in an undo file's first line, if the file is one of ours.
pub(crate) fn undo_source(sql: &str) -> Option<String> {
    let first = sql.lines().next()?;
    let rest = first.strip_prefix(UNDO_MARKER)?;
    Some(rest.trim().to_string())
}

/// The name after its leading digits and one `_`, e.g. `20250625_add_x` → `add_x`.
fn strip_timestamp_prefix(name: &str) -> &str {
    let rest = name.trim_start_matches(|c: char| c.is_ascii_digit());
    rest.strip_prefix('_').unwrap_or(rest)
}

/// `[a-z0-9_]` only (ASCII, so any byte index is a char boundary), no `__`, no `_` at the ends.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && (out.is_empty() || out.ends_with('_'))) {
            out.push(c);
        }
    }
    out.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts() -> Timestamp {
        Timestamp::parse("20240201093000").unwrap()
    }

    #[test]
    fn slug_keeps_lowercase_alnum_and_single_underscores() {
        assert_eq!(
            undo_folder_name(ts(), "20240126184148_new_models copy"),
            "20240201093000_undo_new_models_copy"
        );
        assert_eq!(
            undo_folder_name(ts(), "20250625_add_pivot_table_charttype"),
            "20240201093000_undo_add_pivot_table_charttype"
        );
        assert_eq!(
            undo_folder_name(ts(), "20240101000000__Add--Users  Table!!_"),
            "20240201093000_undo_add_users_table"
        );
        assert_eq!(
            undo_folder_name(ts(), "20240101000000_café_ü"),
            "20240201093000_undo_caf"
        );
        assert_eq!(undo_folder_name(ts(), "init"), "20240201093000_undo_init");
    }

    #[test]
    fn empty_slug_gives_bare_undo() {
        assert_eq!(
            undo_folder_name(ts(), "20240101000000"),
            "20240201093000_undo"
        );
        assert_eq!(
            undo_folder_name(ts(), "20240101000000_ !!"),
            "20240201093000_undo"
        );
    }

    #[test]
    fn name_is_capped_at_200_bytes_without_trailing_underscore() {
        let long = format!("20240101000000_{}", "ab_".repeat(200));
        let name = undo_folder_name(ts(), &long);
        assert!(name.len() <= MAX_FOLDER_NAME_BYTES, "{}", name.len());
        assert!(name.len() >= MAX_FOLDER_NAME_BYTES - 2);
        assert!(!name.ends_with('_'));
        assert!(name.starts_with("20240201093000_undo_ab_ab"));
    }

    #[test]
    fn header_round_trips_through_undo_source() {
        let sql = format!(
            "{}\r\nDROP TABLE \"a\";\n",
            undo_header("20240126184148_new_models copy")
        );
        assert_eq!(
            undo_source(&sql).as_deref(),
            Some("20240126184148_new_models copy")
        );
        assert_eq!(undo_source("-- a comment\n-- unmigrate: undo of x\n"), None);
        assert_eq!(undo_source(""), None);
    }
}
