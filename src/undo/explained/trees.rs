//! The statements of an undo's files as trees, for `explain` to judge: the trees the undo
//! kept ([`super::super::kept`]), guards read off their text, a repeated session statement
//! parsed once, the rest parsed in one call per file; a large file read statement by
//! statement, a very large one not explained at all.

use super::super::file::Files;
use super::super::guard;
use crate::sql::NodeEnum;

/// A file's statements: held as trees, or, for a large file whose trees would take a
/// hundred times its text, its text, parsed statement by statement on each pass.
#[derive(Clone)]
pub(super) enum FileTrees {
    Held(Vec<NodeEnum>),
    Read(String),
    /// Over [`EXPLAINED_BYTES`]: not explained; how many statements it holds.
    TooLarge(usize),
}

/// Files whose statements' text is larger than this are not explained: the header says so.
/// The largest undo file of the shared corpora holds about 50 KB of statements; a file of
/// many thousands of statements (an undo that drops every column of a 100,000-column
/// migration) would cost `explain`'s own per-statement memory many times over.
pub(super) const EXPLAINED_BYTES: usize = 1024 * 1024;

/// Files whose statements' text is larger than this are read statement by statement (as
/// `explain` reads a large file).
pub(super) const HELD_BYTES: usize = 64 * 1024;

/// The statements of a file read back, each with its tree; `None` at the first that does
/// not parse.
pub(super) fn read(text: &str) -> impl Iterator<Item = Option<NodeEnum>> + '_ {
    crate::sql::statements(std::path::Path::new("undo.sql"), text).map(|s| s.ok().map(|s| s.node))
}

/// Where the trees of the built statements come from.
#[derive(Clone, Copy)]
pub(super) enum Trees {
    /// Those the statements kept ([`super::kept`]), then guards read off their text, then
    /// the parser.
    Kept,
    /// The parser only, as `unmigrate explain` reads the written file.
    #[cfg(debug_assertions)]
    Parsed,
}

/// The statements of a file as built, or `None` when they do not parse back. Held as trees
/// where the text parsed at once stays small: the kept ones, guards read off their text, the
/// rest parsed in one call.
pub(super) fn parse_back(files: &Files<'_>, part: usize, from: Trees) -> Option<FileTrees> {
    let mut trees = Vec::new();
    let mut text = String::new();
    for (statement, source) in files.built_from(part) {
        let tree = match from {
            Trees::Kept => match source {
                Some(s) => s.kept.take_for(&statement),
                None => session_tree(&statement),
            }
            .or_else(|| guard::tree_of(&statement)),
            #[cfg(debug_assertions)]
            Trees::Parsed => None,
        };
        if tree.is_none() {
            text.push_str(&statement);
            text.push_str(";\n");
        }
        trees.push(tree);
        if text.len() > HELD_BYTES {
            // Too large to hold as trees: read statement by statement, kept trees dropped.
            return Some(read_whole(files, part));
        }
    }
    // One call of the parser for the whole file: its statements' texts and lines are not
    // needed here, and cutting the file first cost as much as parsing it.
    let parsed = if text.is_empty() {
        Vec::new()
    } else {
        let stmts = pg_query::parse(&text, 0).ok()?.protobuf.stmts;
        stmts
            .into_iter()
            .map(|raw| raw.stmt.and_then(|n| n.node))
            .collect::<Option<Vec<_>>>()?
    };
    if parsed.len() != trees.iter().filter(|t| t.is_none()).count() {
        return None;
    }
    let mut parsed = parsed.into_iter();
    let trees = trees.into_iter().map(|tree| tree.or_else(|| parsed.next()));
    trees.collect::<Option<Vec<_>>>().map(FileTrees::Held)
}

/// Every statement of a file too large to hold as trees, as text to read statement by
/// statement; or only how many there are, when they are too many to explain.
fn read_whole(files: &Files<'_>, part: usize) -> FileTrees {
    let mut all = String::new();
    let mut statements = 0;
    for statement in files.built(part) {
        statements += 1;
        if all.len() <= EXPLAINED_BYTES {
            all.push_str(&statement);
            all.push_str(";\n");
        }
    }
    if all.len() > EXPLAINED_BYTES {
        FileTrees::TooLarge(statements)
    } else {
        FileTrees::Read(all)
    }
}

/// The tree of a statement every file repeats (`SET`/`RESET lock_timeout`, `BEGIN`,
/// `COMMIT`): parsed once per thread, then copied.
pub(super) fn session_tree(statement: &str) -> Option<NodeEnum> {
    thread_local! {
        static PARSED: std::cell::RefCell<std::collections::HashMap<String, NodeEnum>> =
            std::cell::RefCell::default();
    }
    if statement.len() > 64 {
        return None;
    }
    PARSED.with_borrow_mut(|parsed| {
        if let Some(tree) = parsed.get(statement) {
            return Some(tree.clone());
        }
        let raw = pg_query::parse(statement, 0).ok()?.protobuf.stmts;
        let [raw] = <[_; 1]>::try_from(raw).ok()?;
        let tree = raw.stmt.and_then(|n| n.node)?;
        parsed.insert(statement.to_string(), tree.clone());
        Some(tree)
    })
}
