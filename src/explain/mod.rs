//! `unmigrate explain`: a static, per-statement report of what each forward statement does to
//! a live system, without a database. For every statement: its undo and verdict (from
//! [`crate::undo`], on the same fold of the history), the locks PostgreSQL documents for it,
//! whether it rewrites or scans a table, whether it may run in a transaction block, and the
//! zero-downtime hazards found by the rules in [`rules`] (one file per family, stable ids, a
//! documentation page each under `docs/rules/`).
//!
//! Data flows one way: a history or a file ([`crate::migrations`]) → statements
//! ([`crate::sql`]) → the model and undo ([`crate::catalog`], [`crate::undo`]) → [`impact`]
//! and [`rules`] → each statement handed to a [`Sink`] as it is explained: the CLI's is
//! [`crate::report::explain::Writer`], which renders it; [`explain`] collects an [`Explained`].

mod context;
pub mod impact;
mod judge;
mod rewrite;
pub mod rules;
mod target;
mod tree;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::migrations::{ApplyMode, History, MigrationsError, NameError, Transaction};
use crate::sql::{self, Location, SqlError};
use crate::undo::{self, Undo, Verdict};

pub use context::{Context, EarlierLock, EarlierLocks, FileFacts};
pub use impact::{Change, ColumnChange, Impact, Lock, LockMode, Relation};
pub use judge::Judge;
pub use rules::{may_cite_lines, Hazard, Rule, CITING_LINES};
pub use target::{Target, STDIN};

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Migrations(#[from] MigrationsError),
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: not valid UTF-8; re-save the file as UTF-8", path.display())]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// A migration name that names no migration in the history, or several.
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("{} holds no migrations to explain", dir.display())]
    Empty { dir: PathBuf },
    #[error("{}: no such file or folder; pass a .sql file, a migration folder, a migrations folder or a migration name", path.display())]
    NotFound { path: PathBuf },
    #[error("{} is neither a regular file nor a folder; pass a .sql file, a migration folder or a migrations folder", path.display())]
    NotRegular { path: PathBuf },
    #[error("no file or folder named {name:?}, and no migrations folder {} to look it up in as a migration name; pass a path, or --dir with the migrations folder", dir.display())]
    NameWithoutHistory { name: String, dir: PathBuf },
    /// `--last` with a target that is not the one migrations folder (a usage error).
    #[error("--last cannot be used with {with} ({what}): it takes the last N forward migrations of one migrations folder (--dir, or the only target); drop --last, or name only the migrations folder")]
    LastConflict { with: String, what: String },
}

/// The whole report: one entry per explained migration (or file).
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    /// How the files are assumed to be applied (transaction rules depend on it).
    pub apply_mode: ApplyMode,
    pub migrations: Vec<MigrationExplained>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MigrationExplained {
    /// The migration folder name, or the file name for a lone file.
    pub name: String,
    pub path: PathBuf,
    /// Whether earlier migrations were folded into the model (false for a lone file: every
    /// table it does not create is unknown, and assumed to exist and hold rows).
    pub with_history: bool,
    pub verdict: Verdict,
    pub statements: Vec<StatementExplained>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatementExplained {
    pub location: Location,
    /// The statement as written, without leading comments or the semicolon.
    pub sql: String,
    pub impact: Impact,
    pub undo: Undo,
    pub hazards: Vec<Hazard>,
}

impl Explained {
    pub fn hazards(&self) -> impl Iterator<Item = &Hazard> {
        self.migrations
            .iter()
            .flat_map(|m| &m.statements)
            .flat_map(|s| &s.hazards)
    }

    /// Hazards per rule, every rule listed (zero included), in registry order.
    pub fn counts(&self) -> Vec<(Rule, usize)> {
        Rule::ALL
            .iter()
            .map(|&r| (r, self.hazards().filter(|h| h.rule == r).count()))
            .collect()
    }

    pub fn statement_count(&self) -> usize {
        self.migrations.iter().map(|m| m.statements.len()).sum()
    }
}

/// Receives a report as it is explained: each migration's start, its statements one by one,
/// and its end. A report is several times the size of its SQL, so a receiver that prints it
/// (the CLI's [`crate::report::explain::Writer`]) never holds a whole migration; a
/// `Vec<MigrationExplained>` collects them whole.
pub trait Sink {
    type Error: From<ExplainError>;
    /// A migration starts: its statements follow, then [`end`](Self::end).
    fn start(&mut self, migration: &MigrationStart<'_>) -> Result<(), Self::Error>;
    fn statement(&mut self, statement: StatementExplained) -> Result<(), Self::Error>;
    /// The migration's statements are over; `verdict` is the least exact of theirs.
    fn end(&mut self, verdict: Verdict) -> Result<(), Self::Error>;
}

/// What is known of a migration before its statements: [`MigrationExplained`] without them.
#[derive(Debug, Clone, Copy)]
pub struct MigrationStart<'a> {
    pub name: &'a str,
    pub path: &'a Path,
    pub with_history: bool,
}

impl Sink for Vec<MigrationExplained> {
    type Error = ExplainError;

    fn start(&mut self, m: &MigrationStart<'_>) -> Result<(), ExplainError> {
        self.push(MigrationExplained {
            name: m.name.to_string(),
            path: m.path.to_path_buf(),
            with_history: m.with_history,
            verdict: Verdict::Exact,
            statements: Vec::new(),
        });
        Ok(())
    }

    fn statement(&mut self, statement: StatementExplained) -> Result<(), ExplainError> {
        if let Some(m) = self.last_mut() {
            m.statements.push(statement);
        }
        Ok(())
    }

    fn end(&mut self, verdict: Verdict) -> Result<(), ExplainError> {
        if let Some(m) = self.last_mut() {
            m.verdict = verdict;
        }
        Ok(())
    }
}

/// Explains the target, the whole report held in memory.
pub fn explain(target: &Target, mode: ApplyMode) -> Result<Explained, ExplainError> {
    let mut migrations = Vec::new();
    explain_each(target, mode, &mut migrations)?;
    Ok(Explained {
        apply_mode: mode,
        migrations,
    })
}

/// [`explain`], handing each migration to `sink` statement by statement as it is explained.
pub fn explain_each<S: Sink>(
    target: &Target,
    mode: ApplyMode,
    sink: &mut S,
) -> Result<(), S::Error> {
    match target {
        Target::File(path) => {
            let text = read_sql(path)?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            explain_lone(&name, path, &text, mode, sink)
        }
        Target::Stdin(text) => explain_lone(STDIN, Path::new(STDIN), text, mode, sink),
        Target::History(history) => explain_history(history, None, mode, sink),
        Target::Migration(history, name) => {
            explain_history(history, Some(std::slice::from_ref(name)), mode, sink)
        }
        Target::Migrations(history, names) => explain_history(history, Some(names), mode, sink),
    }
}

/// Explains SQL outside any history: the model starts empty.
fn explain_lone<S: Sink>(
    name: &str,
    path: &Path,
    text: &str,
    mode: ApplyMode,
    sink: &mut S,
) -> Result<(), S::Error> {
    let start = MigrationStart {
        name,
        path,
        with_history: false,
    };
    let mut catalog = Catalog::default();
    explain_file(
        &mut catalog,
        &start,
        text,
        (mode, Transaction::ApplyMode),
        sink,
    )
}

/// Folds the history in order, explaining every migration (or only those `only` names,
/// folding the ones before them and stopping after the last).
fn explain_history<S: Sink>(
    history: &History,
    only: Option<&[String]>,
    mode: ApplyMode,
    sink: &mut S,
) -> Result<(), S::Error> {
    let mut catalog = Catalog::default();
    let mut left = only.map(<[String]>::len);
    for migration in &history.migrations {
        if left == Some(0) {
            break;
        }
        let wanted = only.is_none_or(|names| names.contains(&migration.name));
        if wanted {
            let start = MigrationStart {
                name: &migration.name,
                path: &migration.sql_path,
                with_history: true,
            };
            let sent = (mode, migration.transaction);
            explain_file(&mut catalog, &start, &migration.sql, sent, sink)?;
            left = left.map(|n| n - 1);
        } else {
            for s in sql::statements(&migration.sql_path, &migration.sql) {
                catalog.apply(s.map_err(ExplainError::from)?.node);
            }
            catalog.end_migration();
        }
    }
    Ok(())
}

/// Files up to this size are parsed once and their trees held; larger ones are read twice,
/// statement by statement, so their trees are never all in memory at once.
const HELD_FILE_BYTES: usize = 64 * 1024;

/// Explains one file against the model, folding it in afterwards, and hands it to `sink`
/// statement by statement.
///
/// Two passes: the first gathers the facts rules need about the whole file, the second
/// explains, undoes and folds each statement, hands it over and drops it. A large file is
/// parsed statement by statement in each pass, so its trees are never all in memory at once;
/// across statements only the facts of [`FileFacts`] and the [`EarlierLocks`] stay.
/// A file that does not parse fails in the first pass, before `sink` hears of it.
pub(crate) fn explain_file<S: Sink>(
    catalog: &mut Catalog,
    start: &MigrationStart<'_>,
    text: &str,
    sent: (ApplyMode, Transaction),
    sink: &mut S,
) -> Result<(), S::Error> {
    let path = start.path;
    let held = if text.len() <= HELD_FILE_BYTES {
        Some(sql::parse_file(path, text).map_err(ExplainError::from)?)
    } else {
        None
    };
    let mut judge = file_facts(catalog, path, text, held.as_deref(), sent)?;
    sink.start(start)?;
    let scope = undo::LazyScope::new(|| undo::touches_of_file(path, text));
    let mut verdict = Verdict::Exact;
    let statements: Box<dyn Iterator<Item = Result<sql::Statement, sql::SqlError>>> = match held {
        Some(statements) => Box::new(statements.into_iter().map(Ok)),
        None => Box::new(sql::statements(path, text)),
    };
    for statement in statements {
        let sql::Statement {
            node,
            text,
            location,
        } = statement.map_err(ExplainError::from)?;
        let (impact, hazards) = judge.judge(catalog, &node);
        let mut undo = undo::undo_and_apply(catalog, node, &scope);
        undo::render(&mut undo);
        verdict = Verdict::least_exact([verdict, undo.verdict]);
        sink.statement(StatementExplained {
            location,
            sql: text,
            impact,
            undo,
            hazards,
        })?;
    }
    catalog.end_migration();
    sink.end(verdict)
}

/// The first pass over a file: the facts rules need about all of it.
fn file_facts(
    catalog: &Catalog,
    path: &Path,
    text: &str,
    held: Option<&[sql::Statement]>,
    (mode, transaction): (ApplyMode, Transaction),
) -> Result<Judge, ExplainError> {
    let mut file = Judge::sent(mode, transaction);
    match held {
        Some(statements) => {
            for s in statements {
                file.learn(catalog, &s.node, s.location.line);
            }
        }
        None => {
            for statement in sql::statements(path, text) {
                let statement = statement?;
                file.learn(catalog, &statement.node, statement.location.line);
            }
        }
    }
    if file.needs_every_statement() {
        let all = sql::statements(path, text).map(|s| s.map(|s| s.node));
        file.keep(all.collect::<Result<_, _>>()?);
    }
    Ok(file)
}

/// A lone SQL file's text (a history's files are read by [`crate::migrations`]).
fn read_sql(path: &Path) -> Result<String, ExplainError> {
    let bytes = std::fs::read(path).map_err(|source| ExplainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_sql(path, bytes)
}

/// SQL text from its bytes, which must be UTF-8; a leading byte-order mark is dropped.
fn decode_sql(path: &Path, bytes: Vec<u8>) -> Result<String, ExplainError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text.trim_start_matches('\u{feff}').to_string()),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let valid = String::from_utf8_lossy(valid);
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(ExplainError::NotUtf8 {
                path: path.to_path_buf(),
                line,
                column,
            })
        }
    }
}
