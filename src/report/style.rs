//! How a human report looks: the palette every report paints with, colour on or off, and
//! prose wrapped at the terminal's width. Whether to colour and how wide to wrap is decided
//! once, by the command line for standard output (`cli::terminal`); reports only apply a
//! [`Styling`]. Reports written to files, and every format but human, use [`Styling::PLAIN`].

use std::fmt::Display;

use anstyle::{AnsiColor, Style};

use crate::undo::Verdict;

/// A failure, a manual step, an error.
pub(crate) const FAILED: Style = AnsiColor::Red.on_default().bold();
/// What passed or is exact.
pub(crate) const PASSED: Style = AnsiColor::Green.on_default();
/// A warning, a lossy step, a hazard.
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default();
/// What is there to be complete but rarely read (counts, statements under a trace).
pub(crate) const QUIET: Style = Style::new().dimmed();
pub(crate) const BOLD: Style = Style::new().bold();
/// Diff lines.
pub(crate) const REMOVED: Style = AnsiColor::Red.on_default();
pub(crate) const ADDED: Style = AnsiColor::Green.on_default();
pub(crate) const HUNK: Style = AnsiColor::Cyan.on_default();
/// No style: text painted with it is left as it is.
pub(crate) const PLAIN: Style = Style::new();

/// A verdict word's colour: green exact, yellow lossy, red manual.
pub(crate) fn verdict_style(verdict: Verdict) -> Style {
    match verdict {
        Verdict::Exact => PASSED,
        Verdict::Lossy => WARNING,
        Verdict::Manual => FAILED,
    }
}

/// How a human report is printed: with colours or not, and the width prose wraps at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Styling {
    /// Terminal colours (ANSI escape codes).
    pub color: bool,
    /// Prose lines wrap at this many columns; `None` leaves every line as long as it is
    /// (output that is not for a terminal: files, pipes, CI logs).
    pub width: Option<usize>,
}

impl Styling {
    /// No colour, no wrapping: for files, pipes and every format but human.
    pub const PLAIN: Styling = Styling {
        color: false,
        width: None,
    };

    /// `text` in `style` when colour is on; as it is otherwise, so plain output carries no
    /// escape codes at all.
    pub(crate) fn paint(self, style: Style, text: impl Display) -> String {
        if self.color && style != PLAIN {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    /// Prose `text` (one paragraph, no line break), each line ending in a newline: the first
    /// line starts with `first`, the next ones with `rest`, and each line's text is painted in
    /// `style` (the indents are not). `first` may hold painted text: escape codes take no
    /// width.
    pub(crate) fn prose(self, first: &str, rest: &str, style: Style, text: &str) -> String {
        let mut out = String::new();
        for (i, line) in wrap(text, self.width, first, rest).iter().enumerate() {
            let indent = if i == 0 { first } else { rest };
            out.push_str(indent);
            out.push_str(&self.paint(style, line));
            out.push('\n');
        }
        out
    }
}

/// `text` cut into lines that fit in `width` columns once the first is prefixed with `first`
/// and the others with `rest` (the prefixes are not in the lines returned). Lines break only
/// at spaces: a word, a path, a URL or a rule id is never split nor hyphenated, and a word
/// longer than the line stands alone on its own. Without a width, or for text with a line
/// break (SQL, diffs: text whose lines mean something), `text` is one line as it is.
pub fn wrap(text: &str, width: Option<usize>, first: &str, rest: &str) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_string()];
    };
    if text.contains('\n')
        || textwrap::core::display_width(first) + textwrap::core::display_width(text) <= width
    {
        return vec![text.to_string()];
    }
    let options = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    textwrap::wrap(text, options)
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let indent = if i == 0 { first } else { rest };
            line.strip_prefix(indent).unwrap_or(&line).to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROSE: &str = "fails only with data: the same file applies once tables are emptied \
                         (the tables it names, else every table), so an empty shadow database \
                         would not show this; see docs/rules/add-column-volatile-default.md";

    fn wrapped(first: &str, rest: &str, text: &str) -> Vec<String> {
        let lines = wrap(text, Some(40), first, rest);
        lines
            .iter()
            .enumerate()
            .map(|(i, line)| format!("{}{line}", if i == 0 { first } else { rest }))
            .collect()
    }

    #[test]
    fn prose_wraps_at_the_width_with_its_indentation_and_no_word_split() {
        let lines = wrapped("    ", "      ", PROSE);
        assert!(lines.len() > 3, "{lines:#?}");
        assert!(lines[0].starts_with("    fails"), "{lines:#?}");
        for line in &lines[1..] {
            assert!(line.starts_with("      ") && !line.starts_with("       "));
        }
        let (long, short): (Vec<_>, Vec<_>) = lines.iter().partition(|l| l.chars().count() > 40);
        // Only a word longer than the line may pass the width, and it stands alone.
        assert_eq!(
            long,
            ["      docs/rules/add-column-volatile-default.md"],
            "{short:#?}"
        );
        let words = |text: &str| {
            text.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            words(&lines.join(" ")),
            words(PROSE),
            "no word split or lost"
        );
    }

    #[test]
    fn sql_and_diffs_are_never_broken() {
        let sql = "ALTER TABLE \"Post\" ADD COLUMN \"published_at\" timestamp(3) DEFAULT now()";
        let diff = format!("-{sql}\n+{sql} NOT NULL");
        assert_eq!(wrap(&diff, Some(40), "", ""), [diff.as_str()]);
        assert_eq!(wrap(sql, None, "  ", "  "), [sql]);
    }

    #[test]
    fn colour_in_the_first_indent_takes_no_width() {
        let plain = wrap(PROSE, Some(40), "  hazard   ", "           ");
        let label = format!(
            "  {}   ",
            Styling {
                color: true,
                width: None
            }
            .paint(WARNING, "hazard")
        );
        assert_eq!(wrap(PROSE, Some(40), &label, "           "), plain);
    }

    #[test]
    fn prose_paints_each_line_but_not_its_indent() {
        let styling = Styling {
            color: true,
            width: Some(40),
        };
        let text = styling.prose("  ", "    ", FAILED, PROSE);
        for line in text.lines() {
            assert!(
                line.starts_with("  ") && line.ends_with("\u{1b}[0m"),
                "{line:?}"
            );
        }
        assert_eq!(
            Styling::PLAIN.prose("  ", "    ", FAILED, PROSE),
            format!("  {PROSE}\n")
        );
    }
}
