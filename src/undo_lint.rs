//! How deployable the generated undo is on a live database, as `explain` judges it: the
//! measurement of `just undo-lint` (`src/bin/unmigrate-undo-lint.rs`).
//!
//! [`lint_corpus`] copies a history into a temporary folder, writes the undo of every forward
//! migration there as `generate --all` does (the undo folders placed after the history, named
//! as the tool names them), reads the history back and explains it in deploy order:
//! each undo folder is judged against the schema everything before it has built. Only the
//! hazards of the undo folders are counted ([`lint_history`]); those of the forward
//! migrations are not unmigrate's to fix.
//!
//! The rules counted are the [`LISTED`] ones, which an undo can always avoid, and
//! `alter-column-type-rewrites-table` beyond one hazard per table per undo file
//! ([`ONE_PER_TABLE`]): a table's type changes can share one rewrite.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::explain::{self, ExplainError, MigrationStart, StatementExplained, Target};
use crate::generate::{self, GenerateError, Selection};
use crate::migrations::{self, ApplyMode, History, MigrationsError, Overwrite, Timestamp};
use crate::undo::{LockTimeout, Verdict};

/// Rules an undo must not trigger at all.
pub const LISTED: [&str; 8] = [
    "missing-lock-timeout",
    "drop-index-without-concurrently",
    "create-index-without-concurrently",
    "add-foreign-key-without-not-valid",
    "add-check-without-not-valid",
    "add-column-not-null-without-default",
    "set-not-null-scans-table",
    "add-unique-constraint-builds-index",
];

/// The rule an undo may trigger once per table per undo file.
pub const ONE_PER_TABLE: &str = "alter-column-type-rewrites-table";

#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error("cannot copy the history into a temporary folder: {}: {source}", path.display())]
    Copy {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Migrations(#[from] MigrationsError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error(transparent)]
    Explain(#[from] ExplainError),
}

/// What `explain` found in the undo folders of one history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndoLint {
    /// Undo folders explained (one per forward migration, more when `CONCURRENTLY`
    /// statements must run alone).
    pub undo_files: usize,
    /// Statements in them.
    pub statements: usize,
    /// Hazards of each [`LISTED`] rule, in that order.
    pub listed: Vec<RuleCount>,
    /// Hazards of [`ONE_PER_TABLE`], all of them.
    pub type_rewrites: usize,
    /// Of those, the ones beyond the first for the same table in the same undo file.
    pub type_rewrites_excess: usize,
    /// Where the excess is: undo file, table, hazards there (more than one), in deploy order.
    pub excess_at: Vec<Excess>,
    /// Undo files whose header (see `undo::explained`) lists other hazards (rule, line or
    /// message) than `explain` finds in them here, in deploy order. The header judges each undo right after its
    /// forward migration; here it runs after the undo of every later migration, so a
    /// difference is either that or a header that is wrong.
    pub header_differs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: &'static str,
    pub hazards: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excess {
    pub file: String,
    pub table: String,
    pub hazards: usize,
}

impl UndoLint {
    /// Hazards the acceptance counts: every listed one, and the type-change excess.
    pub fn total(&self) -> usize {
        self.listed.iter().map(|c| c.hazards).sum::<usize>() + self.type_rewrites_excess
    }

    /// The hazards of the listed rule `id`.
    pub fn count(&self, id: &str) -> Option<usize> {
        self.listed.iter().find(|c| c.rule == id).map(|c| c.hazards)
    }
}

/// Copies the history in `dir` into a temporary folder, writes the undo of every forward
/// migration beside it (as `unmigrate generate --all` does) and counts the hazards `explain`
/// finds in those undo folders. `dir` is left as it was.
pub fn lint_corpus(dir: &Path, mode: ApplyMode) -> Result<UndoLint, LintError> {
    let (_tmp, history) = with_undos(dir)?;
    Ok(lint_history(&history, mode)?)
}

/// A copy of the history in `dir`, in a temporary folder (removed when it is dropped), with
/// the undo of every forward migration written into it as `unmigrate generate --all` writes
/// it, read back as a history.
pub fn with_undos(dir: &Path) -> Result<(tempfile::TempDir, History), LintError> {
    let tmp = tempfile::tempdir().map_err(|source| LintError::Copy {
        path: std::env::temp_dir(),
        source,
    })?;
    let copy = tmp.path().join("migrations");
    copy_dir(dir, &copy, 1)?;
    let history = migrations::read_history(&copy)?;
    let plan = generate::plan(
        &history,
        &Selection::All,
        None,
        Timestamp::now_utc(),
        false,
        Some(&LockTimeout::default_timeout()),
    )?;
    generate::write(&plan, &copy, Overwrite::Never)?;
    let history = migrations::read_history(&copy)?;
    Ok((tmp, history))
}

/// Explains the whole history in deploy order and counts the hazards of its undo folders (the
/// folders unmigrate wrote, by their header).
pub fn lint_history(history: &History, mode: ApplyMode) -> Result<UndoLint, ExplainError> {
    let undo_folders: HashSet<&str> = history.undo_names().collect();
    let mut counter = Counter {
        undo_folders,
        current: None,
        lint: UndoLint {
            undo_files: 0,
            statements: 0,
            listed: LISTED
                .iter()
                .map(|&rule| RuleCount { rule, hazards: 0 })
                .collect(),
            type_rewrites: 0,
            type_rewrites_excess: 0,
            excess_at: Vec::new(),
            header_differs: Vec::new(),
        },
    };
    explain::explain_each(&Target::History(history.clone()), mode, &mut counter)?;
    Ok(counter.lint)
}

/// Counts hazards as `explain` hands each statement over, keeping none of them.
struct Counter<'h> {
    undo_folders: HashSet<&'h str>,
    /// The undo folder being explained: its name, its type-change hazards per table, the
    /// hazards its header lists and those `explain` finds.
    current: Option<Current>,
    lint: UndoLint,
}

impl explain::Sink for Counter<'_> {
    type Error = ExplainError;

    fn start(&mut self, m: &MigrationStart<'_>) -> Result<(), ExplainError> {
        if !self.undo_folders.contains(m.name) {
            self.current = None;
            return Ok(());
        }
        self.lint.undo_files += 1;
        let text = std::fs::read_to_string(m.path).map_err(|source| ExplainError::Io {
            path: m.path.to_path_buf(),
            source,
        })?;
        self.current = Some(Current {
            file: m.name.to_string(),
            per_table: HashMap::new(),
            listed: header_hazards(&text),
            found: Vec::new(),
        });
        Ok(())
    }

    fn statement(&mut self, s: StatementExplained) -> Result<(), ExplainError> {
        let Some(current) = &mut self.current else {
            return Ok(());
        };
        self.lint.statements += 1;
        for hazard in &s.hazards {
            let id = hazard.rule.id();
            let message = hazard
                .message
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let message = crate::untrusted::sql_comment(&message);
            let line = s.location.line;
            current.found.push(format!("{line}: {id}: {message}"));
            if let Some(count) = self.lint.listed.iter_mut().find(|c| c.rule == id) {
                count.hazards += 1;
            } else if id == ONE_PER_TABLE {
                self.lint.type_rewrites += 1;
                *current.per_table.entry(rewritten_table(&s)).or_default() += 1;
            }
        }
        Ok(())
    }

    fn end(&mut self, _verdict: Verdict) -> Result<(), ExplainError> {
        let Some(Current {
            file,
            per_table,
            listed,
            found,
        }) = self.current.take()
        else {
            return Ok(());
        };
        let (listed, more) = listed;
        if !found.starts_with(&listed) || listed.len() + more != found.len() {
            self.lint.header_differs.push(file.clone());
        }
        let mut excess: Vec<Excess> = per_table
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(table, hazards)| Excess {
                file: file.clone(),
                table,
                hazards,
            })
            .collect();
        excess.sort_by(|a, b| a.table.cmp(&b.table));
        self.lint.type_rewrites_excess += excess.iter().map(|e| e.hazards - 1).sum::<usize>();
        self.lint.excess_at.extend(excess);
        Ok(())
    }
}

struct Current {
    file: String,
    per_table: HashMap<String, usize>,
    listed: (Vec<String>, usize),
    found: Vec<String>,
}

/// The hazards an undo file's header lists as `explain` finds them, in order, as `line:
/// rule-id: message` (its lines `--   line N: rule-id: message (kept: why)`), then how many
/// more it counts without listing them (its line `--   … and N more: …`).
fn header_hazards(text: &str) -> (Vec<String>, usize) {
    let header = text.lines().take_while(|line| line.starts_with("--"));
    let mut listed = Vec::new();
    let mut more = 0;
    for line in header {
        if let Some(rest) = line.strip_prefix("--   … and ") {
            more = rest
                .split_once(' ')
                .and_then(|(n, _)| n.parse().ok())
                .unwrap_or(0);
            continue;
        }
        let Some(rest) = line.strip_prefix("--   line ") else {
            continue;
        };
        let Some((line, rest)) = rest.split_once(": ") else {
            continue;
        };
        let Some((id, rest)) = rest.split_once(": ") else {
            continue;
        };
        let Some((message, _)) = rest.rsplit_once(" (kept: ") else {
            continue;
        };
        if explain::Rule::ALL.iter().any(|r| r.id() == id) {
            listed.push(format!("{line}: {id}: {message}"));
        }
    }
    (listed, more)
}

/// The table a type-change hazard's statement rewrites (an `ALTER TABLE` names one).
fn rewritten_table(s: &StatementExplained) -> String {
    s.impact
        .rewrites
        .iter()
        .chain(&s.impact.scans)
        .map(|c| &c.on)
        .chain(s.impact.locks.iter().map(|l| &l.on))
        .find(|r| r.kind == "table")
        .map_or_else(|| s.sql.clone(), |r| r.name.to_string())
}

/// Copies a folder's files, and its sub-folders' to `depth` levels (a Prisma history is one
/// level deep).
fn copy_dir(from: &Path, to: &Path, depth: usize) -> Result<(), LintError> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LintError::Copy { path, source }
    };
    std::fs::create_dir(to).map_err(failed(to))?;
    for entry in std::fs::read_dir(from).map_err(failed(from))? {
        let entry = entry.map_err(failed(from))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(failed(&path))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() && depth > 0 {
            copy_dir(&path, &target, depth - 1)?;
        } else if kind.is_file() {
            std::fs::copy(&path, &target).map_err(failed(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
