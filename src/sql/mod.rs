//! SQL text ↔ parse trees. The only module that talks to `pg_query`: it splits a file into
//! statements with their source locations, turns parser errors into `file:line:column`
//! messages, and deparses generated statements (whole statements only, as the deparser
//! expects). Every identifier unmigrate writes is quoted by one rule, PostgreSQL's own
//! (see [`quote`]).

pub mod blocks;
pub mod build;
mod cursor;
pub mod duration;
pub mod mentions;
pub mod names;
pub(crate) mod plain;
pub mod plpgsql;
pub mod quote;
pub mod reach;
pub mod refs;
pub mod split;
pub mod text;
pub mod touches;

use std::path::{Path, PathBuf};

pub use pg_query::protobuf as pb;
pub use pg_query::{Node, NodeEnum};

pub use names::QName;

/// One statement of a migration file, as written.
#[derive(Debug, Clone)]
pub struct Statement {
    pub node: NodeEnum,
    /// The statement's source text, without leading comments or the trailing semicolon.
    pub text: String,
    pub location: Location,
}

/// Statements as one text to send, each ended on a line of its own (a statement's text may
/// end in a `--` comment, which would swallow a `;` on its line).
pub fn join_statements<'a>(statements: impl IntoIterator<Item = &'a Statement>) -> String {
    let mut text = String::new();
    for s in statements {
        text.push_str(&s.text);
        text.push_str("\n;\n");
    }
    text
}

/// A 1-based line and column (in characters) within a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("{}:{location}: {message}\n  fix the SQL in this file (it must parse as PostgreSQL) and run unmigrate again", path.display())]
    Syntax {
        path: PathBuf,
        location: Location,
        message: String,
    },
    #[error("{}: the file contains a NUL byte, which PostgreSQL cannot accept in SQL text", path.display())]
    NulByte { path: PathBuf },
}

/// Parses a whole migration file into statements, keeping each statement's text and location.
pub fn parse_file(path: &Path, sql: &str) -> Result<Vec<Statement>, SqlError> {
    statements(path, sql).collect()
}

/// The statements of a file, parsed one at a time (see [`split`]): the same statements,
/// texts, locations and errors as [`parse_file`], without holding every tree at once.
pub fn statements<'a>(path: &'a Path, sql: &'a str) -> split::Statements<'a> {
    split::Statements::new(path, sql)
}

/// Parses the file in one call of the parser.
fn parse_whole(path: &Path, sql: &str) -> Result<Vec<Statement>, SqlError> {
    if sql.contains('\0') {
        return Err(SqlError::NulByte {
            path: path.to_path_buf(),
        });
    }
    let parsed = pg_query::parse(sql, 0).map_err(|error| syntax_error(path, sql, error))?;
    let mut statements = Vec::with_capacity(parsed.protobuf.stmts.len());
    let mut lines = cursor::LineCounter::default();
    for raw in parsed.protobuf.stmts {
        let Some(node) = raw.stmt.and_then(|n| n.node) else {
            continue;
        };
        let start = raw.stmt_location.max(0) as usize;
        let end = if raw.stmt_len == 0 {
            sql.len()
        } else {
            start + raw.stmt_len as usize
        };
        let (offset, text) = cursor::statement_text(sql, start, end);
        statements.push(Statement {
            node,
            text: text.to_string(),
            location: lines.location_of(sql, offset),
        });
    }
    Ok(statements)
}

fn syntax_error(path: &Path, sql: &str, error: pg_query::Error) -> SqlError {
    let message = match error {
        pg_query::Error::Parse(message) => message,
        other => other.to_string(),
    };
    let location = cursor::error_position(sql)
        .map(|char_index| cursor::location_of_char(sql, char_index))
        .unwrap_or(Location { line: 1, column: 1 });
    SqlError::Syntax {
        path: path.to_path_buf(),
        location,
        message,
    }
}

/// Deparses one statement to SQL text (no trailing semicolon). An error means unmigrate built
/// a tree the deparser rejects: a bug to report, which callers turn into a manual undo.
///
/// The shapes undo rules build most are written in Rust, exactly as the deparser writes them
/// (see the `plain` module); the rest go through the deparser.
pub fn deparse(node: NodeEnum) -> Result<String, String> {
    deparse_keeping(node).0
}

/// [`deparse`], giving the tree back, for a caller that still wants it (`generate` explains
/// the undo it wrote from the trees it deparsed).
pub fn deparse_keeping(node: NodeEnum) -> (Result<String, String>, NodeEnum) {
    match plain::write(&node) {
        Some(text) => {
            // Debug builds (all tests, the corpus runs included) check every written
            // statement against the deparser, so a divergence cannot go unnoticed.
            #[cfg(debug_assertions)]
            assert_eq!(
                Ok(&text),
                deparse_tree(node.clone()).0.as_ref(),
                "plain writer diverged"
            );
            (Ok(text), node)
        }
        None => deparse_tree(node),
    }
}

/// Deparses one statement with pg_query's deparser, whatever its shape; gives the tree back.
pub(crate) fn deparse_tree(node: NodeEnum) -> (Result<String, String>, NodeEnum) {
    let mut tree = pb::ParseResult {
        version: pg_query::protobuf::ParseResult::default().version,
        stmts: vec![pb::RawStmt {
            stmt: Some(Box::new(Node { node: Some(node) })),
            stmt_location: 0,
            stmt_len: 0,
        }],
    };
    let text = pg_query::deparse(&tree, Default::default()).map_err(|e| e.to_string());
    let node = tree
        .stmts
        .pop()
        .and_then(|s| s.stmt)
        .and_then(|n| n.node)
        .expect("the statement put in above");
    (text, node)
}

/// Parses SQL that unmigrate generated, for tests and self-checks.
pub fn reparse(sql: &str) -> Result<usize, String> {
    pg_query::parse(sql, 0)
        .map(|r| r.protobuf.stmts.len())
        .map_err(|e| e.to_string())
}

/// The string value of a `String` node, if it is one.
pub fn string_value(node: &Node) -> Option<&str> {
    match &node.node {
        Some(NodeEnum::String(s)) => Some(&s.sval),
        _ => None,
    }
}

/// The strings of a list of `String` nodes (name lists such as `schema.type`).
pub fn string_list(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(string_value)
        .map(str::to_string)
        .collect()
}

/// The expression of a CHECK constraint as `pg_get_constraintdef` shows it (`CHECK ((x > 0))`,
/// maybe followed by `NOT VALID` or `NO INHERIT`), as a parse tree; `None` when it is not
/// one.
pub fn check_expression(definition: &str) -> Option<Node> {
    let sql = format!("ALTER TABLE t ADD {definition}");
    let parsed = pg_query::parse(&sql, 0).ok()?;
    let [raw] = parsed.protobuf.stmts.as_slice() else {
        return None;
    };
    let Some(NodeEnum::AlterTableStmt(alter)) = raw.stmt.as_ref().and_then(|s| s.node.as_ref())
    else {
        return None;
    };
    let Some(NodeEnum::AlterTableCmd(cmd)) = alter.cmds.first().and_then(|c| c.node.as_ref())
    else {
        return None;
    };
    let Some(NodeEnum::Constraint(constraint)) = cmd.def.as_ref().and_then(|d| d.node.as_ref())
    else {
        return None;
    };
    (constraint.contype == pb::ConstrType::ConstrCheck as i32)
        .then(|| constraint.raw_expr.as_deref().cloned())
        .flatten()
}

/// A partition's bound as `pg_get_expr(relpartbound, …)` shows it (`FOR VALUES FROM (…) TO
/// (…)`, `FOR VALUES IN (…)`, `DEFAULT`), as a parse tree; `None` when it is not one.
pub fn partition_bound(bound: &str) -> Option<pb::PartitionBoundSpec> {
    let sql = format!("CREATE TABLE p PARTITION OF t {bound}");
    let parsed = pg_query::parse(&sql, 0).ok()?;
    let [raw] = parsed.protobuf.stmts.as_slice() else {
        return None;
    };
    match raw.stmt.as_ref().and_then(|s| s.node.as_ref()) {
        Some(NodeEnum::CreateStmt(create)) => create.partbound.clone(),
        _ => None,
    }
}
