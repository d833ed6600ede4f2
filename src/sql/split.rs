//! Statement by statement: a file is cut where PostgreSQL's scanner ends statements and each
//! statement is parsed alone, so a caller can hold one parse tree at a time (a tree takes
//! about a hundred times the memory of its text) and no tree of the whole file is built.
//!
//! The cut is checked, never trusted: text between statements must be whitespace, comments
//! and one semicolon, and each piece must parse as exactly one statement. Otherwise (a
//! syntax error, or a statement the scanner cuts wrongly, such as `BEGIN ATOMIC … END`) the
//! whole file is parsed at once, as before, so results and error messages are the same.

use std::path::Path;

use super::cursor::{self, LineCounter};
use super::{SqlError, Statement};

/// The statements of one file, parsed one at a time.
pub struct Statements<'a> {
    path: &'a Path,
    sql: &'a str,
    /// Byte ranges of the statements not yet parsed, as the scanner cut them.
    pieces: std::vec::IntoIter<(usize, usize)>,
    lines: LineCounter,
    /// How many statements were handed out.
    done: usize,
    /// The rest, once the whole file had to be parsed at once.
    whole: Option<std::vec::IntoIter<Result<Statement, SqlError>>>,
    /// Statements whose text this accepts are passed over without being parsed.
    unwanted: Option<fn(&str) -> bool>,
}

impl<'a> Statements<'a> {
    pub(super) fn new(path: &'a Path, sql: &'a str) -> Self {
        let mut statements = Statements {
            path,
            sql,
            pieces: Vec::new().into_iter(),
            lines: LineCounter::default(),
            done: 0,
            whole: None,
            unwanted: None,
        };
        match checked_pieces(sql) {
            Some(pieces) => statements.pieces = pieces.into_iter(),
            None => statements.parse_whole(),
        }
        statements
    }

    /// Passes over the statements whose text (past leading comments) `unwanted` accepts,
    /// without parsing them, for a reader that needs only some kinds of statement. It is a
    /// saving, not a filter: after a fallback to the whole-file parse every statement comes.
    pub fn without(mut self, unwanted: fn(&str) -> bool) -> Self {
        self.unwanted = Some(unwanted);
        self
    }

    /// Parses the whole file and continues from there: its first statements are the ones
    /// already handed out.
    fn parse_whole(&mut self) {
        let rest = match super::parse_whole(self.path, self.sql) {
            Ok(all) => all.into_iter().skip(self.done).map(Ok).collect(),
            Err(error) => vec![Err(error)],
        };
        self.whole = Some(rest.into_iter());
    }

    fn parse_piece(&mut self, start: usize, end: usize) -> Option<Statement> {
        // The parser gets the statement without its leading comments: a generated undo puts
        // thousands of comment lines before one statement, and the parser copies what it gets.
        let start = cursor::statement_text(self.sql, start, end).0;
        let parsed = pg_query::parse(&self.sql[start..end], 0).ok()?;
        let [raw] = <[_; 1]>::try_from(parsed.protobuf.stmts).ok()?;
        let node = raw.stmt.and_then(|n| n.node)?;
        // Where the parser puts the statement within the piece (past leading comments, which
        // it skips as PostgreSQL does), as the whole-file parse puts it within the file.
        let begin = start + usize::try_from(raw.stmt_location).ok()?;
        let end = match usize::try_from(raw.stmt_len).ok()? {
            0 => end,
            len => begin + len,
        };
        let (offset, text) = cursor::statement_text(self.sql, begin, end);
        Some(Statement {
            node,
            text: text.to_string(),
            location: self.lines.location_of(self.sql, offset),
        })
    }
}

impl Iterator for Statements<'_> {
    type Item = Result<Statement, SqlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(rest) = &mut self.whole {
            return rest.next();
        }
        let (mut start, mut end) = self.pieces.next()?;
        while let Some(unwanted) = self.unwanted {
            if !unwanted(cursor::statement_text(self.sql, start, end).1) {
                break;
            }
            self.done += 1;
            (start, end) = self.pieces.next()?;
        }
        match self.parse_piece(start, end) {
            Some(statement) => {
                self.done += 1;
                Some(Ok(statement))
            }
            None => {
                self.parse_whole();
                self.next()
            }
        }
    }
}

/// The statements of `sql` as PostgreSQL's scanner cuts them, as [`Statements`] would give
/// their text, without parsing any: `None` when the cut cannot be trusted (then only a parse
/// tells). For a caller that compares text with text it expects, at a fraction of a parse.
pub fn texts(sql: &str) -> Option<Vec<&str>> {
    let pieces = checked_pieces(sql)?;
    Some(
        pieces
            .into_iter()
            .map(|(start, end)| cursor::statement_text(sql, start, end).1)
            .collect(),
    )
}

/// How much text one scan covers. The scanner copies its input twice, so a large file scanned
/// whole would cost twice its size at once; scanned in windows it costs a window's.
const WINDOW: usize = 256 * 1024;

/// The scanner's cut of `sql` into statements, when every gap between them is whitespace,
/// comments and semicolons (at most one after a statement: the parser would count more
/// into the statement before). `None` when the cut cannot be trusted.
fn checked_pieces(sql: &str) -> Option<Vec<(usize, usize)>> {
    checked_pieces_in(sql, WINDOW)
}

/// [`checked_pieces`], scanning at most about `window` bytes at a time.
///
/// Each window starts where a statement starts (just after the `;` that ended the one before),
/// so the scanner begins it in the state a scan of the whole file would be in there, and
/// every token it ends well before the window's end is the token the whole scan would see.
/// A window keeps only the statements that end in its first three quarters; the rest is
/// scanned again with the next window. A window that keeps none (one long statement, or a
/// string or comment cut open by its end) is doubled until it does, up to the whole file.
fn checked_pieces_in(sql: &str, window: usize) -> Option<Vec<(usize, usize)>> {
    if sql.contains('\0') {
        return None;
    }
    let mut ranges = Vec::new();
    let mut covered = 0;
    let mut from = 0;
    loop {
        let (pieces, next) = scan_window(sql, from, window)?;
        for (start, end) in pieces {
            let gap = sql.get(covered..start)?;
            let semicolons = if ranges.is_empty() { usize::MAX } else { 1 };
            if !only_separators(gap, semicolons) {
                return None;
            }
            ranges.push((start, end));
            covered = end;
        }
        match next {
            Some(next) => from = next,
            None => break,
        }
    }
    let tail = sql.get(covered..)?;
    let semicolons = if ranges.is_empty() { usize::MAX } else { 1 };
    only_separators(tail, semicolons).then_some(ranges)
}

/// The statements the scanner cuts in a window of `sql` from `from` (byte ranges in `sql`),
/// and where the next window starts (`None` once the window reached the end).
#[allow(clippy::type_complexity)]
fn scan_window(
    sql: &str,
    from: usize,
    window: usize,
) -> Option<(Vec<(usize, usize)>, Option<usize>)> {
    let mut size = window.max(1);
    loop {
        let end = sql.floor_char_boundary(from.saturating_add(size).min(sql.len()));
        let text = &sql[from..end];
        let last = end == sql.len();
        let offset = |piece: &str| (piece.as_ptr() as usize).checked_sub(sql.as_ptr() as usize);
        match pg_query::split_with_scanner(text) {
            Ok(pieces) if last => {
                let ranges: Option<Vec<_>> = pieces
                    .iter()
                    .map(|p| offset(p).map(|start| (start, start + p.len())))
                    .collect();
                return Some((ranges?, None));
            }
            Ok(pieces) => {
                let trusted_end = from + text.len() / 4 * 3;
                let mut ranges = Vec::new();
                // The last piece may be cut short by the window's end: never kept.
                for pair in pieces.windows(2) {
                    let start = offset(pair[0])?;
                    let end = start + pair[0].len();
                    if end > trusted_end {
                        break;
                    }
                    ranges.push(((start, end), offset(pair[1])?));
                }
                if let Some(&(_, next)) = ranges.last() {
                    let next = Some(next);
                    return Some((ranges.into_iter().map(|(r, _)| r).collect(), next));
                }
            }
            Err(_) if last => return None,
            Err(_) => {}
        }
        size = size.saturating_mul(2);
    }
}

/// Whether `gap` holds only whitespace, `--` and `/* */` comments (unnested) and at most
/// `semicolons` semicolons. Anything it is unsure of counts as not a separator.
fn only_separators(gap: &str, semicolons: usize) -> bool {
    let mut rest = gap;
    let mut seen = 0;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix(';') {
            seen += 1;
            if seen > semicolons {
                return false;
            }
            rest = after;
        } else if let Some(after) = rest.strip_prefix("--") {
            rest = after.find('\n').map_or("", |i| &after[i + 1..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            let Some(close) = after.find("*/") else {
                return false;
            };
            if after[..close].contains("/*") {
                return false; // nested: PostgreSQL's comments nest, this check does not
            }
            rest = &after[close + 2..];
        } else {
            return rest.is_empty();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement as the whole-file parse sees it: tree, text and location.
    fn whole(sql: &str) -> String {
        format!("{:?}", super::super::parse_whole(Path::new("t.sql"), sql))
    }

    fn one_by_one(sql: &str) -> String {
        let all: Result<Vec<_>, _> = Statements::new(Path::new("t.sql"), sql).collect();
        format!("{all:?}")
    }

    /// Tree locations count from the statement, not the file; everything else must match.
    fn without_locations(debug: String) -> String {
        let mut out = String::with_capacity(debug.len());
        let mut rest = debug.as_str();
        while let Some(i) = rest.find("location: ") {
            out.push_str(&rest[..i]);
            rest = &rest[i + "location: ".len()..];
            let skip = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '-'))
                .unwrap_or(rest.len());
            out.push_str(if skip == 0 {
                "location: "
            } else {
                "location: N"
            });
            rest = &rest[skip..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn statements_one_by_one_match_the_whole_file_parse() {
        let cases = [
            "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b text;",
            "-- c\nCREATE TABLE a (id int); /* x */ ; \n\n-- trailing\n",
            ";;SELECT 1;\nSELECT 2",
            "SELECT 1; -- between\n;\nSELECT 2;",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nSELECT 3;",
            "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\nSELECT 4;",
            "CREATE FUNCTION g() RETURNS void AS $$ BEGIN PERFORM 1; END $$ LANGUAGE plpgsql;",
            "SELECT 'é;'; /* a /* nested */ b */ SELECT 5;",
            "SELECT 1; this is not sql; SELECT 2;",
            "SELECT (1;",
            "SELECT 1;\n  garbage",
            "",
            "-- only a comment\n",
        ];
        for sql in cases {
            assert_eq!(
                without_locations(one_by_one(sql)),
                without_locations(whole(sql)),
                "{sql}"
            );
        }
    }

    #[test]
    fn unwanted_statements_are_passed_over_until_a_fallback() {
        let inserts = |text: &str| text.starts_with("INSERT");
        let kinds = |sql: &str| -> Vec<String> {
            Statements::new(Path::new("t.sql"), sql)
                .without(inserts)
                .map(|s| s.expect("parses").text)
                .collect()
        };
        assert_eq!(
            kinds("CREATE TABLE t (a int); INSERT INTO t VALUES (1); ALTER TABLE t ADD b int;"),
            ["CREATE TABLE t (a int)", "ALTER TABLE t ADD b int"]
        );
        // A wrong cut is found at the function, and every statement after it comes.
        assert_eq!(
            kinds("INSERT INTO t VALUES (1); CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; INSERT INTO t VALUES (2);").len(),
            2
        );
    }

    #[test]
    fn a_file_scanned_in_small_windows_is_cut_as_when_scanned_whole() {
        let sql = "-- head\nCREATE TABLE a (id int, note text DEFAULT 'x;y');\n\
                   INSERT INTO a VALUES (1, 'it''s; fine'), (2, E'\\'; still');\n\
                   CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                   /* a; comment */ SELECT 'split'\n    'continued;';\n\
                   SELECT \"semi;colon\" FROM a;\n\
                   CREATE INDEX i ON a ((note || ';'));\n-- é; tail\n";
        let whole = checked_pieces_in(sql, usize::MAX).expect("trusted");
        assert_eq!(whole.len(), 6);
        for window in [1, 7, 16, 33, 64, 100, 250, sql.len()] {
            assert_eq!(
                checked_pieces_in(sql, window),
                Some(whole.clone()),
                "window {window}"
            );
        }
    }

    #[test]
    fn gaps_between_statements_are_checked() {
        assert!(only_separators(" ;\n-- c\n/* d */ ", 1));
        assert!(!only_separators("; ;", 1));
        assert!(!only_separators("; x", 1));
        assert!(!only_separators("/* a /* b */ c */", 1));
        assert!(!only_separators("/* open", 1));
    }
}
