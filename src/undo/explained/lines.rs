//! Where each statement of an undo's file starts, in the file as written: the header lists
//! each hazard at its line, and some messages cite another statement's.

use std::borrow::Cow;
use std::fmt::Write;

use super::super::file::Files;
use super::super::MigrationUndo;

/// The line each built statement of each file starts on, in the file as written without the
/// header's lines about explain.
pub(super) fn statement_lines(undo: &MigrationUndo) -> Vec<Vec<usize>> {
    let files = Files::new(undo);
    (0..files.len())
        .map(|part| {
            let built: Vec<Cow<'_, str>> = files.built(part).collect();
            let mut finder = LineFinder::new(&built);
            files
                .render_unsealed(part, &mut finder)
                .expect("the finder takes any text");
            finder.finish()
        })
        .collect()
}

/// Finds, as a file is rendered into it, the line each of its statements starts on: a
/// statement starts a line and ends with `;`. It holds one line, or one statement while it
/// arrives, not the file (an undo's file can take many times its forward's size).
struct LineFinder<'b> {
    statements: &'b [Cow<'b, str>],
    /// The lines found so far, one per statement before `statements[lines.len()]`.
    lines: Vec<usize>,
    /// Text from the start of the current line on.
    buf: String,
    /// The line `buf` starts on: the seal is the second line of the written file, above
    /// every statement.
    line: usize,
    /// The current line matched no statement: the rest of it is dropped as it comes.
    skipping: bool,
}

impl<'b> LineFinder<'b> {
    fn new(statements: &'b [Cow<'b, str>]) -> Self {
        LineFinder {
            statements,
            lines: Vec::with_capacity(statements.len()),
            buf: String::new(),
            line: 1 + 1,
            skipping: false,
        }
    }

    /// The lines found; 0 for a statement not written as built (the written-file check
    /// refuses such a file).
    fn finish(mut self) -> Vec<usize> {
        self.lines.resize(self.statements.len(), 0);
        self.lines
    }

    fn scan(&mut self) {
        loop {
            if self.skipping {
                let Some(end) = self.buf.find('\n') else {
                    self.buf.clear();
                    return;
                };
                self.buf.drain(..=end);
                self.line += 1;
                self.skipping = false;
            }
            if let Some(statement) = self.statements.get(self.lines.len()) {
                let need = statement.len() + 1;
                if self.buf.len() < need && statement.starts_with(self.buf.as_str()) {
                    return; // it may be this statement: wait for the rest
                }
                if self.buf.starts_with(&**statement)
                    && self.buf[statement.len()..].starts_with(';')
                {
                    self.lines.push(self.line);
                }
            } else if !self.buf.contains('\n') {
                return;
            }
            self.skipping = true;
        }
    }
}

impl Write for LineFinder<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        if self.skipping && !text.contains('\n') {
            return Ok(());
        }
        self.buf.push_str(text);
        self.scan();
        Ok(())
    }
}
