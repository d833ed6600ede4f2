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
            offset += block_comment_len(trimmed);
        } else {
            break;
        }
    }
    let text = sql[offset..end].trim_end().trim_end_matches(';').trim_end();
    (offset, text)
}

/// The length of the block comment `text` starts with, to its end or to the end of `text`.
/// Block comments nest in PostgreSQL, as in the SQL standard: `/* a /* b */ c */`.
fn block_comment_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    text.len()
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

// libpg_query's C structs, declared by hand because the pg_query crate keeps its bindings
// private. They must match `libpg_query/pg_query.h` of the pg_query crate in Cargo.lock
// (18.1.0: `PgQueryError` at its line 11, `PgQueryParseResult` at line 50): a layout that
// drifted in an upgrade would be undefined behaviour, not an error. The test
// `the_hand_declared_structs_match_pg_query_h` reads that header and compares the fields;
// the layout assertions below pin what those C fields give on a 64-bit target (pointers 8
// bytes, `int` 4): PgQueryError 40 bytes (message 0, funcname 8, filename 16, lineno 24,
// cursorpos 28, context 32), PgQueryParseResult 24 (parse_tree 0, stderr_buffer 8, error 16).
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

/// The C fields, as `pg_query.h` declares them (type and name, `//` comments dropped).
#[cfg(test)]
const PG_QUERY_ERROR_FIELDS: [&str; 6] = [
    "char* message",
    "char* funcname",
    "char* filename",
    "int lineno",
    "int cursorpos",
    "char* context",
];
#[cfg(test)]
const PG_QUERY_PARSE_RESULT_FIELDS: [&str; 3] = [
    "char* parse_tree",
    "char* stderr_buffer",
    "PgQueryError* error",
];

#[cfg(target_pointer_width = "64")]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<PgQueryError>() == 40);
    assert!(offset_of!(PgQueryError, message) == 0);
    assert!(offset_of!(PgQueryError, funcname) == 8);
    assert!(offset_of!(PgQueryError, filename) == 16);
    assert!(offset_of!(PgQueryError, lineno) == 24);
    assert!(offset_of!(PgQueryError, cursorpos) == 28);
    assert!(offset_of!(PgQueryError, context) == 32);
    assert!(size_of::<PgQueryParseResult>() == 24);
    assert!(offset_of!(PgQueryParseResult, parse_tree) == 0);
    assert!(offset_of!(PgQueryParseResult, stderr_buffer) == 8);
    assert!(offset_of!(PgQueryParseResult, error) == 16);
};

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
    fn statement_text_skips_nested_block_comments_as_postgres_does() {
        let sql = "/* a /* b */ SELECT 2 */ SELECT 1;";
        assert_eq!(statement_text(sql, 0, sql.len()).1, "SELECT 1");
        let unclosed = "/* a /* b */ SELECT 2";
        assert_eq!(statement_text(unclosed, 0, unclosed.len()).1, "");
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

    /// The fields of `typedef struct { … } NAME;` in a C header, one `type name` each.
    fn c_struct_fields(header: &str, name: &str) -> Vec<String> {
        let end = header
            .find(&format!("}} {name};"))
            .unwrap_or_else(|| panic!("pg_query.h declares no struct {name}"));
        let start = header[..end]
            .rfind("typedef struct {")
            .expect("typedef struct")
            + 16;
        header[start..end]
            .lines()
            .map(|line| line.split("//").next().unwrap_or_default())
            .flat_map(|line| line.split(';'))
            .map(|field| {
                // `char *x`, `char* x` and `char * x` are one type: write it `char* x`.
                let field = field.replace(" *", "*").replace('*', "* ");
                field.split_whitespace().collect::<Vec<_>>().join(" ")
            })
            .filter(|field| !field.is_empty())
            .collect()
    }

    /// `pg_query.h` of the pg_query crate in Cargo.lock, from cargo's registry sources
    /// (`$CARGO_HOME/registry/src/<index>/pg_query-<version>/libpg_query/pg_query.h`).
    fn pg_query_header() -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("\nname = \"pg_query\"\n"))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .expect("pg_query in Cargo.lock")
            .trim_matches('"');
        let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(
            || std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"),
            std::path::PathBuf::from,
        );
        let sources = cargo_home.join("registry/src");
        let header = std::fs::read_dir(&sources)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", sources.display()))
            .map(|index| {
                index
                    .expect("registry index")
                    .path()
                    .join(format!("pg_query-{version}/libpg_query/pg_query.h"))
            })
            .find(|header| header.is_file())
            .unwrap_or_else(|| panic!("no pg_query-{version} under {}", sources.display()));
        std::fs::read_to_string(&header)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", header.display()))
    }

    /// The structs declared by hand above are the header's: same fields, same C types, same
    /// order. When this fails after a pg_query upgrade, update the Rust structs, the field
    /// lists and the layout assertions together.
    #[test]
    fn the_hand_declared_structs_match_pg_query_h() {
        let header = pg_query_header();
        assert_eq!(
            c_struct_fields(&header, "PgQueryError"),
            PG_QUERY_ERROR_FIELDS
        );
        assert_eq!(
            c_struct_fields(&header, "PgQueryParseResult"),
            PG_QUERY_PARSE_RESULT_FIELDS
        );
    }

    #[test]
    fn a_comment_ends_at_a_carriage_return() {
        let sql = "-- note\rDROP TABLE a;";
        let (offset, text) = statement_text(sql, 0, sql.len());
        assert_eq!(text, "DROP TABLE a");
        assert_eq!(offset, 8);
    }
}
