//! Positions in source text: statement boundaries and parser error positions.

use super::Location;
use std::ffi::{c_char, c_int, CStr, CString};

/// The statement between `start` and `end`, without leading whitespace and comments and
/// without the trailing semicolon; returns the byte offset where it starts.
pub(super) fn statement_text(sql: &str, start: usize, end: usize) -> (usize, &str) {
    let end = end.min(sql.len());
    let mut offset = start.min(end);
    loop {
        let rest = &sql[offset..end];
        let trimmed = rest.trim_start();
        offset += rest.len() - trimmed.len();
        if trimmed.starts_with("--") {
            // PostgreSQL ends a `--` comment at a carriage return too.
            offset += trimmed.find(['\n', '\r']).unwrap_or(trimmed.len());
        } else if trimmed.starts_with("/*") {
            offset += trimmed.find("*/").map_or(trimmed.len(), |i| i + 2);
        } else {
            break;
        }
    }
    let text = sql[offset..end].trim_end().trim_end_matches(';').trim_end();
    (offset, text)
}

pub(super) fn location_of_byte(sql: &str, offset: usize) -> Location {
    LineCounter::default().location_of(sql, offset)
}

/// The offsets where a line starts after a break in `sql[from..to]`. A break is `\n`, `\r\n`
/// or a lone `\r` (files saved with classic Mac line endings; PostgreSQL ends a `--` comment
/// there too), so every editor's line numbers agree with ours.
fn line_starts(sql: &str, from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
    let bytes = sql.as_bytes();
    (from..to).filter_map(move |i| match bytes[i] {
        b'\n' => Some(i + 1),
        b'\r' if bytes.get(i + 1) != Some(&b'\n') => Some(i + 1),
        _ => None,
    })
}

/// Locations of increasing byte offsets in one text, counted incrementally so a file with
/// many statements is scanned once, not once per statement.
#[derive(Default)]
pub(super) struct LineCounter {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    pub(super) fn location_of(&mut self, sql: &str, offset: usize) -> Location {
        let offset = offset.min(sql.len());
        if offset < self.offset {
            *self = LineCounter::default();
        }
        for start in line_starts(sql, self.offset, offset) {
            self.line += 1;
            self.line_start = start;
        }
        self.offset = offset;
        Location {
            line: self.line + 1,
            column: sql[self.line_start..offset].chars().count() + 1,
        }
    }
}

/// `char_index` is 1-based, as PostgreSQL reports a cursor position.
pub(super) fn location_of_char(sql: &str, char_index: usize) -> Location {
    let offset = sql
        .char_indices()
        .nth(char_index.saturating_sub(1))
        .map_or(sql.len(), |(i, _)| i);
    location_of_byte(sql, offset)
}

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    // Linked in by the pg_query crate (libpg_query). The crate's safe API drops the error's
    // cursor position, which users need to find a syntax error, so we ask for it here.
    fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
    fn pg_query_free_parse_result(result: PgQueryParseResult);
}

/// The parser's 1-based character position of the error in `sql`, if it reports one.
pub(super) fn error_position(sql: &str) -> Option<usize> {
    let input = CString::new(sql).ok()?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is
    // read only while it is alive and freed exactly once with libpg_query's own function.
    unsafe {
        let result = pg_query_parse(input.as_ptr());
        let position = if result.error.is_null() {
            None
        } else {
            let error = &*result.error;
            let _ = CStr::from_ptr(error.message);
            (error.cursorpos > 0).then_some(error.cursorpos as usize)
        };
        pg_query_free_parse_result(result);
        position
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_text_skips_comments_and_semicolon() {
        let sql = "-- CreateTable\n/* x */ CREATE TABLE a (id int);\n";
        let (offset, text) = statement_text(sql, 0, sql.len());
        assert_eq!(text, "CREATE TABLE a (id int)");
        assert_eq!(
            location_of_byte(sql, offset),
            Location { line: 2, column: 9 }
        );
    }

    #[test]
    fn error_position_points_at_the_bad_token() {
        let sql = "SELECT 1;\nCREATE TABLE é (id intt,, x);";
        let position = error_position(sql).expect("a syntax error has a position");
        let location = location_of_char(sql, position);
        assert_eq!(
            location,
            Location {
                line: 2,
                column: 25
            }
        );
    }

    #[test]
    fn lone_carriage_returns_and_crlf_each_end_one_line() {
        for (sql, line) in [
            ("SELECT 1;\rSELECT 2;\rSELECT x", 3),
            ("SELECT 1;\r\nSELECT 2;\r\nSELECT x", 3),
            ("SELECT 1;\n\rSELECT x", 3),
        ] {
            let offset = sql.find('x').unwrap();
            assert_eq!(
                location_of_byte(sql, offset),
                Location { line, column: 8 },
                "{sql:?}"
            );
        }
        // Counted incrementally, a break split across two calls is still one break.
        let sql = "a\r\nb";
        let mut counter = LineCounter::default();
        assert_eq!(counter.location_of(sql, 2).line, 1);
        assert_eq!(counter.location_of(sql, 3), Location { line: 2, column: 1 });
    }

    #[test]
    fn a_comment_ends_at_a_carriage_return() {
        let sql = "-- note\rDROP TABLE a;";
        let (offset, text) = statement_text(sql, 0, sql.len());
        assert_eq!(text, "DROP TABLE a");
        assert_eq!(offset, 8);
    }
}
