//! Names and header lines of the undo folders unmigrate writes.

use sha2::{Digest, Sha256};

use super::history::{sha256_hex, Checksum};
use super::{Timestamp, UNDO_MARKER};
use crate::untrusted;

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

/// The first line of an undo file written for `source_name` (without a line break). The name
/// is encoded ([`untrusted::encode_name`]) so that no character of it can end the comment.
pub fn undo_header(source_name: &str) -> String {
    format!("{UNDO_MARKER}{}", untrusted::encode_name(source_name))
}

/// The source name recorded in an undo file's first line, if the file is one of ours.
pub(crate) fn undo_source(sql: &str) -> Option<String> {
    let first = sql.lines().next()?;
    let rest = first.strip_prefix(UNDO_MARKER)?;
    Some(untrusted::decode_name(rest.trim()).into_owned())
}

/// Starts the second line of a generated file: the checksum of the file without this line.
const SEAL_PREFIX: &str = "-- content checksum (sha256, of this file without this line): ";

/// Adds the seal line after the first line of a generated file: a later `--force` replaces
/// the file only while its content still hashes to it, so hand edits are never lost silently.
/// Written through [`Sealed`], so a file rendered straight into a spool gets the same line.
pub fn seal(sql: String) -> String {
    let mut out = String::with_capacity(sql.len() + SEAL_LINE_LEN);
    let mut sealed = Sealed::new(&mut out, sha256_hex(sql.as_bytes()));
    std::fmt::Write::write_str(&mut sealed, &sql)
        .and_then(|()| sealed.finish())
        .expect("a string takes any text");
    out
}

/// A text sink that only hashes what is written to it: the first pass of sealing a text that
/// is rendered straight into a file ([`Sealed`]).
#[derive(Default)]
pub struct Sha256Text(Sha256);

impl Sha256Text {
    /// The hash, as the seal line shows it.
    pub fn finish(self) -> String {
        Checksum::from(self.0).to_string()
    }
}

impl std::fmt::Write for Sha256Text {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// Writes a text through to `out` with the seal line of `hash` after its first line: what
/// [`seal`] makes of the same text, given its [`Sha256Text`] hash, without holding it.
pub struct Sealed<'w, W> {
    out: &'w mut W,
    /// The seal line, until it is written.
    line: Option<String>,
}

impl<'w, W: std::fmt::Write> Sealed<'w, W> {
    pub fn new(out: &'w mut W, hash: String) -> Self {
        Sealed {
            out,
            line: Some(format!("{SEAL_PREFIX}{hash}\n")),
        }
    }

    /// Ends the text: a text of one line gets its seal line now, as [`seal`] adds it.
    pub fn finish(mut self) -> std::fmt::Result {
        match self.line.take() {
            Some(line) => {
                self.out.write_char('\n')?;
                self.out.write_str(&line)
            }
            None => Ok(()),
        }
    }
}

impl<W: std::fmt::Write> std::fmt::Write for Sealed<'_, W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let Some(line) = &self.line else {
            return self.out.write_str(s);
        };
        match s.find('\n') {
            Some(end) => {
                self.out.write_str(&s[..=end])?;
                self.out.write_str(line)?;
                self.line = None;
                self.out.write_str(&s[end + 1..])
            }
            None => self.out.write_str(s),
        }
    }
}

/// The length of the line [`seal`] adds (a SHA-256 is 64 hex digits).
pub const SEAL_LINE_LEN: usize = SEAL_PREFIX.len() + 64 + 1;

/// Whether a generated file is as unmigrate wrote it. Line endings do not count (a checkout
/// may turn LF into CRLF); a byte-order mark is already gone from `sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SealState {
    /// The content hashes to its seal.
    Intact,
    /// The content changed since it was sealed.
    Edited,
    /// No seal line: written before seals existed.
    Unsealed,
}

pub(crate) fn seal_state(sql: &str) -> SealState {
    // As written (a carriage return in a literal is data), or as a CRLF checkout shows it.
    match seal_state_exact(sql) {
        SealState::Edited if sql.contains("\r\n") => seal_state_exact(&sql.replace("\r\n", "\n")),
        state => state,
    }
}

fn seal_state_exact(sql: &str) -> SealState {
    let Some(first_end) = sql.find('\n') else {
        return SealState::Unsealed;
    };
    let after = &sql[first_end + 1..];
    let Some(line_and_rest) = after.strip_prefix(SEAL_PREFIX) else {
        return SealState::Unsealed;
    };
    let (hash, rest) = line_and_rest
        .split_once('\n')
        .unwrap_or((line_and_rest, ""));
    let unsealed = format!("{}{rest}", &sql[..=first_end]);
    if hash.trim() == sha256_hex(unsealed.as_bytes()) {
        SealState::Intact
    } else {
        SealState::Edited
    }
}

/// A sealed file without its seal line (for comparing an unsealed file with a fresh one).
pub(crate) fn without_seal(sql: &str) -> String {
    let Some(first_end) = sql.find('\n') else {
        return sql.to_string();
    };
    let after = &sql[first_end + 1..];
    match after.strip_prefix(SEAL_PREFIX) {
        Some(line_and_rest) => {
            let rest = line_and_rest.split_once('\n').map_or("", |(_, rest)| rest);
            format!("{}{rest}", &sql[..=first_end])
        }
        None => sql.to_string(),
    }
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
        for (forward, undo) in [
            ("20240126184148_new_models copy", "undo_new_models_copy"),
            (
                "20250625_add_pivot_table_charttype",
                "undo_add_pivot_table_charttype",
            ),
            (
                "20240101000000__Add--Users  Table!!_",
                "undo_add_users_table",
            ),
            ("20240101000000_café_ü", "undo_caf"),
            ("init", "undo_init"),
        ] {
            assert_eq!(
                undo_folder_name(ts(), forward),
                format!("20240201093000_{undo}")
            );
        }
    }

    #[test]
    fn empty_slug_gives_bare_undo() {
        for forward in ["20240101000000", "20240101000000_ !!"] {
            assert_eq!(undo_folder_name(ts(), forward), "20240201093000_undo");
        }
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
    fn the_seal_line_follows_the_first_line_however_the_text_arrives() {
        let text = "-- first\nSELECT 1;\n";
        let hash = sha256_hex(text.as_bytes());
        let line = format!("{SEAL_PREFIX}{hash}\n");
        assert_eq!(
            seal(text.to_string()),
            format!("-- first\n{line}SELECT 1;\n")
        );
        // In pieces that split the first line from its line feed, as a renderer writes.
        let mut out = String::new();
        let mut sealed = Sealed::new(&mut out, hash);
        for piece in ["-- fi", "rst", "\nSEL", "ECT 1;\n"] {
            std::fmt::Write::write_str(&mut sealed, piece).unwrap();
        }
        sealed.finish().unwrap();
        assert_eq!(out, seal(text.to_string()));
        // A text of one line without a line feed gets one before the seal line.
        let one = "-- only";
        let line = format!("{SEAL_PREFIX}{}\n", sha256_hex(one.as_bytes()));
        assert_eq!(seal(one.to_string()), format!("-- only\n{line}"));
    }

    #[test]
    fn seal_tells_intact_from_edited_and_unsealed() {
        let generated = format!("{}\nDROP TABLE \"a\";\n", undo_header("1_a"));
        let sealed = seal(generated.clone());
        assert!(sealed.starts_with(&format!("{}\n{SEAL_PREFIX}", undo_header("1_a"))));
        assert_eq!(seal_state(&sealed), SealState::Intact);
        assert_eq!(seal_state(&sealed.replace('\n', "\r\n")), SealState::Intact);
        let literal = seal(format!(
            "{}\nCOMMENT ON TABLE a IS 'x\r\ny';\n",
            undo_header("1_a")
        ));
        assert_eq!(seal_state(&literal), SealState::Intact);
        assert_eq!(
            seal_state(&literal.replace("\r\n", "\n")),
            SealState::Edited
        );
        assert_eq!(without_seal(&sealed), generated);
        let edited = sealed.replace("DROP TABLE", "DROP TABLE IF EXISTS");
        assert_eq!(seal_state(&edited), SealState::Edited);
        assert_eq!(seal_state(&format!("{sealed}-- note\n")), SealState::Edited);
        assert_eq!(seal_state(&generated), SealState::Unsealed);
        assert_eq!(without_seal(&generated), generated);
    }

    #[test]
    fn header_name_cannot_end_the_comment_and_reads_back() {
        let name = "20240102000000_add\nDROP TABLE \"Keep\";\r--";
        let header = undo_header(name);
        assert!(!header.contains(['\n', '\r']), "{header}");
        assert_eq!(undo_source(&format!("{header}\n")).as_deref(), Some(name));
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
