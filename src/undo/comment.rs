//! Text copied into the `--` comments of a generated undo file (forward statements, notes):
//! kept on its line, folded and escaped so nothing in it can end the comment and become SQL.

use std::fmt::Write;

use crate::untrusted;

/// The lines of `text`, ended by a line feed, a carriage return or both: PostgreSQL ends a
/// `--` comment at either, so a lone carriage return is a line break here too.
pub(super) fn any_lines(text: &str) -> impl Iterator<Item = &str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    text.split('\n')
        .flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'))
}

/// Whether `text` is printable ASCII with single spaces between words and none at either
/// end, so folding white space and escaping would leave it as it is.
fn is_one_line(text: &str) -> bool {
    let mut previous = b' '; // as if preceded by a space: no leading space allowed
    for &b in text.as_bytes() {
        let space = b == b' ';
        if !b.is_ascii() || b.is_ascii_control() || (space && previous == b' ') {
            return false;
        }
        previous = b;
    }
    previous != b' ' || text.is_empty()
}

/// How many characters of a forward statement's first line a comment shows.
pub(super) const SHOWN_CHARS: usize = 100;

/// The first line of `text`, at most [`SHOWN_CHARS`] characters, with ` …` when there is more;
/// safe for a comment.
pub(super) fn push_first_line(out: &mut impl Write, text: &str) -> std::fmt::Result {
    let mut lines = any_lines(text);
    let line = lines.next().unwrap_or("").trim();
    let more = lines.next().is_some();
    let (shown, cut) = match line.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => (&line[..end], true),
        None => (line, false),
    };
    out.write_str(&untrusted::sql_comment(shown))?;
    if more || cut {
        out.write_str(" …")?;
    }
    Ok(())
}

/// Folds runs of white space (line breaks included) into single spaces and escapes what
/// else could end or disturb a comment.
pub(super) fn push_one_line(out: &mut impl Write, text: &str) -> std::fmt::Result {
    if is_one_line(text) {
        return out.write_str(text); // the usual reason: nothing to fold
    }
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    out.write_str(&untrusted::sql_comment(&folded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_white_space_whatever_the_path() {
        let cases = [
            "",
            "drops table \"Job\"",
            " leading",
            "trailing ",
            "two  spaces",
            "line\nbreak",
            "tab\there",
            "vertical\x0btab",
            "non-breaking\u{a0}space",
            "naïve name",
            "   ",
        ];
        for text in cases {
            let mut out = String::new();
            push_one_line(&mut out, text).unwrap();
            let folded: Vec<&str> = text.split_whitespace().collect();
            assert_eq!(out, folded.join(" "), "{text:?}");
        }
    }

    #[test]
    fn first_line_is_cut_at_100_characters() {
        let mut out = String::new();
        push_first_line(&mut out, &"é".repeat(101)).unwrap();
        assert_eq!(out, format!("{} …", "é".repeat(100)));
        out.clear();
        push_first_line(&mut out, "  one\ntwo").unwrap();
        assert_eq!(out, "one …");
        out.clear();
        push_first_line(&mut out, &"x".repeat(100)).unwrap();
        assert_eq!(out, "x".repeat(100));
    }

    #[test]
    fn comment_text_stays_on_its_line() {
        let mut out = String::new();
        push_first_line(
            &mut out,
            "ADD COLUMN \"n\" text DEFAULT 'a\rDROP TABLE \"Keep\"; --'",
        )
        .unwrap();
        assert_eq!(out, "ADD COLUMN \"n\" text DEFAULT 'a …");
        out.clear();
        push_first_line(&mut out, "x\x1b[2J\x07y").unwrap();
        assert_eq!(out, "x\\x1b[2J\\x07y");
        out.clear();
        push_one_line(&mut out, "drops \"a\rb\x1b\"").unwrap();
        assert_eq!(out, "drops \"a b\\x1b\"");
        let lines: Vec<&str> = any_lines("one\r\ntwo\rthree\nfour\r").collect();
        assert_eq!(lines, ["one", "two", "three", "four"]);
    }
}
