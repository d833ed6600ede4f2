//! The one colour and width policy of every human report, decided here and nowhere else.
//!
//! Colour is anstream's choice for the stream, the one clap makes for its own help and errors:
//! never with `NO_COLOR` set (it wins over everything, as <https://no-color.org> asks), always
//! with `CLICOLOR_FORCE` set (or `--color always`), never with `CLICOLOR=0` (or
//! `--color never`), and otherwise only on a terminal whose `TERM` is not `dumb`.
//!
//! Prose wraps when the report is for a terminal: standard output is one, or colour was
//! forced on (`CLICOLOR_FORCE`, `--color always`: `… | less -R`). The width is `COLUMNS` when
//! set, else the terminal's; with neither (a pipe), lines are left as they are, so files,
//! pipes and CI logs read as they always did.

use std::io::IsTerminal;

use anstream::ColorChoice;

use crate::report::Styling;

/// `--color`: overrides the environment for this run (clap's own value names).
pub(super) fn set_choice(choice: clap::ColorChoice) {
    let choice = match choice {
        clap::ColorChoice::Auto => ColorChoice::Auto,
        clap::ColorChoice::Always => ColorChoice::Always,
        clap::ColorChoice::Never => ColorChoice::Never,
    };
    choice.write_global();
}

/// How a human report printed to standard output looks. A report written to a file
/// (`--output`), or in another format, is [`Styling::PLAIN`].
pub(super) fn stdout() -> Styling {
    let stdout = std::io::stdout();
    let color = anstream::AutoStream::choice(&stdout) != ColorChoice::Never;
    let for_terminal = stdout.is_terminal() || color;
    let width = match for_terminal {
        true => columns().or_else(terminal_width),
        false => None,
    };
    Styling { color, width }
}

/// How a message on standard error looks (`error:`, `warning:`): coloured as a report on
/// standard output would be, never wrapped.
pub(super) fn stderr() -> Styling {
    let color = anstream::AutoStream::choice(&std::io::stderr()) != ColorChoice::Never;
    Styling { color, width: None }
}

/// `COLUMNS`, the width shells keep for the terminal, when it is a positive number.
fn columns() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()?
        .trim()
        .parse::<usize>()
        .ok()?;
    (columns > 0).then_some(columns)
}

/// The width of the terminal standard output is, if it is one.
fn terminal_width() -> Option<usize> {
    let (_rows, columns) = console::Term::stdout().size_checked()?;
    (columns > 0).then_some(usize::from(columns))
}

/// How a report looks: [`stdout`] for a human report printed there; plain for one written to
/// a file (`--output`) and for every other format.
pub(super) fn report(human: bool, output: Option<&std::path::Path>) -> Styling {
    match (human, output) {
        (true, None) => stdout(),
        _ => Styling::PLAIN,
    }
}
