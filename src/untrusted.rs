//! Text from outside unmigrate (folder names, SQL excerpts, reasons naming identifiers, server
//! messages) made safe for the place it is shown. One owner for every such place:
//!
//! - a SQL `--` comment, which PostgreSQL ends at a line feed *and* at a carriage return, so
//!   either would turn the rest of the text into live SQL;
//! - a terminal, where escape sequences and BEL drive the terminal instead of showing;
//! - a Markdown table cell, which a line break or `|` would split.
//!
//! Control characters (C0, DEL, C1) and the invisible bidirectional overrides are written as
//! Rust-style escapes (`\n`, `\r`, `\x1b`, `\u{85}`, `\u{202e}`). A tab is kept: it ends no
//! comment, drives no terminal, and breaks no cell.

use std::borrow::Cow;
use std::fmt::Write;

/// Text for a SQL `--` comment: it stays on the comment's line whatever it holds.
pub fn sql_comment(text: &str) -> Cow<'_, str> {
    escape(text, false, false)
}

/// Text for a terminal: shown, never interpreted.
pub fn terminal(text: &str) -> Cow<'_, str> {
    escape(text, false, false)
}

/// A whole text of several lines for a terminal or a file (a report, an error message):
/// like [`terminal`], but its line breaks stay line breaks.
pub fn multiline(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&terminal(line));
    }
    Cow::Owned(out)
}

/// Text for one cell of a Markdown table (also fine inside a code span in it).
pub fn markdown_cell(text: &str) -> Cow<'_, str> {
    escape(text, false, true)
}

/// A name for a comment that must be read back exactly (the undo header's source folder
/// name): like [`sql_comment`], and `\` is doubled so [`decode_name`] can undo it.
pub fn encode_name(text: &str) -> Cow<'_, str> {
    escape(text, true, false)
}

/// Reverses [`encode_name`]. A `\` before anything but a known escape is kept as written, so
/// headers written before names were encoded read back as they were.
pub fn decode_name(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escaped = &rest[at..];
        match decode_one(escaped) {
            Some((c, len)) => {
                out.push(c);
                rest = &escaped[len..];
            }
            None => {
                out.push('\\');
                rest = &escaped[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The character a leading escape stands for, and the escape's length in bytes.
fn decode_one(escaped: &str) -> Option<(char, usize)> {
    let mut chars = escaped.chars().skip(1);
    match chars.next()? {
        '\\' => Some(('\\', 2)),
        'n' => Some(('\n', 2)),
        'r' => Some(('\r', 2)),
        'x' => {
            let hex = escaped.get(2..4)?;
            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            needs_escape(c).then_some((c, 4))
        }
        'u' => {
            let body = escaped.get(2..)?.strip_prefix('{')?;
            let end = body.find('}')?;
            let c = char::from_u32(u32::from_str_radix(&body[..end], 16).ok()?)?;
            needs_escape(c).then_some((c, 2 + 1 + end + 1))
        }
        _ => None,
    }
}

/// Whether a character is escaped everywhere: control characters but tab, and the invisible
/// bidirectional embeddings, overrides and isolates (which reorder what a reviewer reads).
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn escape(text: &str, backslash: bool, pipe: bool) -> Cow<'_, str> {
    let special = |c: char| needs_escape(c) || (backslash && c == '\\') || (pipe && c == '|');
    if !text.chars().any(special) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' if backslash => out.push_str("\\\\"),
            '|' if pipe => out.push_str("\\|"),
            c if needs_escape(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_text_never_leaves_its_line() {
        let text = "add\nDROP TABLE \"Keep\";\r--\x1b[31m\x07\u{85}\u{202e}\ttab";
        let safe = sql_comment(text);
        assert_eq!(
            safe,
            "add\\nDROP TABLE \"Keep\";\\r--\\x1b[31m\\x07\\u{85}\\u{202e}\ttab"
        );
        assert!(!safe.contains(['\n', '\r', '\x1b', '\x07']));
        assert!(matches!(sql_comment("plain \\ text é"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_text_has_no_escape_sequences() {
        assert_eq!(terminal("a\x1b]0;title\x07b"), "a\\x1b]0;title\\x07b");
        assert_eq!(terminal("naïve | name"), "naïve | name");
    }

    #[test]
    fn multiline_text_keeps_its_line_breaks_only() {
        assert_eq!(multiline("a\x1b[2J\nb\rc\n"), "a\\x1b[2J\nb\\rc\n");
        assert!(matches!(multiline("a\n\tb"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_cells_keep_one_row() {
        assert_eq!(markdown_cell("a|b\nc\r\x1b"), "a\\|b\\nc\\r\\x1b");
    }

    #[test]
    fn names_round_trip() {
        for name in [
            "20240102000000_add",
            "20240102000000_add\nDROP TABLE \"Keep\";",
            "back\\slash\\n not a newline",
            "\\x1b literally, and \x1b really",
            "bidi \u{202e} and \u{85} and \\u{85}",
            "trailing \\",
        ] {
            let encoded = encode_name(name);
            assert!(!encoded.contains(['\n', '\r', '\x1b']), "{encoded}");
            assert_eq!(decode_name(&encoded), name, "{encoded}");
        }
    }

    #[test]
    fn old_headers_with_plain_backslashes_read_back_as_written() {
        for old in ["a\\b", "C:\\x", "\\u{zz}", "\\xzz", "\\x41", "end\\"] {
            assert_eq!(decode_name(old), old);
        }
    }
}
