//! Deriving the undo of migrations from a history: the history is folded into the schema model
//! in order, and each selected migration's undo is derived against the model as it stood just
//! before it. What `generate` writes and what a drill applies both come from here.

use std::collections::HashSet;

use serde::Serialize;

use super::explained;
use super::file::render_parts;
use super::lock_timeout::LockTimeout;
#[cfg(doc)]
use super::lock_timeout::DEFAULT_LOCK_TIMEOUT;
use super::{
    guard, is_data_statement, render_keeping, touches_of_file, undo_and_apply, LazyScope, Undo,
    Verdict,
};
use crate::catalog::Catalog;
use crate::migrations::{Checksum, History, Layout, Migration, NewFolder};
use crate::sql::touches::Touches;
use crate::sql::{self, Location, SqlError};

/// The undo of one forward statement, with where the statement stands.
#[derive(Debug, Clone, Serialize)]
pub struct StatementUndo {
    pub location: Location,
    pub forward: String,
    #[serde(flatten)]
    pub undo: Undo,
}

/// The undo of one forward migration.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationUndo {
    pub source: String,
    pub source_checksum: Checksum,
    pub verdict: Verdict,
    pub counts: VerdictCounts,
    pub statements: Vec<StatementUndo>,
    /// The folders to write, in deploy order (more than one when `CONCURRENTLY` statements
    /// must run alone).
    pub folders: Vec<NewFolder>,
    /// The `lock_timeout` each of its files sets for itself, if any (see
    /// [`LockTimeout`]): [`DEFAULT_LOCK_TIMEOUT`] unless `generate --lock-timeout` says
    /// otherwise.
    #[serde(skip)]
    pub lock_timeout: Option<LockTimeout>,
    /// What `explain` finds in each of its files, in file order (see `undo::explained`).
    #[serde(skip)]
    pub explained: explained::Explained,
    /// The tool whose history it undoes, for the header's words on how the file runs.
    #[serde(skip)]
    pub layout: Layout,
}

impl MigrationUndo {
    /// Whether its files hold a block a person must replace before they run at all. A
    /// manual undo that only needs a backfill (see `undo::backfill`) runs as written where
    /// the tables are empty, so a drill can still check its schema.
    pub fn has_manual_block(&self) -> bool {
        self.statements
            .iter()
            .any(|s| s.undo.verdict == Verdict::Manual && !s.undo.backfill_only())
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct VerdictCounts {
    pub exact: usize,
    pub lossy: usize,
    pub manual: usize,
}

impl VerdictCounts {
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Exact => self.exact += 1,
            Verdict::Lossy => self.lossy += 1,
            Verdict::Manual => self.manual += 1,
        }
    }

    pub fn merge(&mut self, other: VerdictCounts) {
        self.exact += other.exact;
        self.lossy += other.lossy;
        self.manual += other.manual;
    }
}

/// Folds the history in order and derives the undo of each selected migration against the
/// model as it stood just before it. Parsing stops after the last selected migration.
///
/// Two stages run at once: a thread parses statements ahead of the fold (parsing does not
/// depend on the model), and this thread folds the model, derives the undo and renders its
/// files. Parsing is the larger stage, so a third thread for rendering bought nothing but
/// hand-over costs (measured: it was slower on two cores). Parsed statements travel in
/// batches of several migrations' worth: waking the fold for every small file cost more than
/// a small file's parse. They travel statement by statement, not file by file, and the fold
/// drops each tree once folded, so a large file never has all its trees in memory at once
/// (a tree takes about a hundred times the memory of its text).
/// Returns each undo with its rendered file texts, in history order: drills apply them. The
/// whole history's undo is held at once; see [`derive_each`] for one migration at a time.
pub fn derive_undos(
    history: &History,
    selected: &[&Migration],
) -> Result<Vec<(MigrationUndo, Vec<String>)>, SqlError> {
    let mut derived = Vec::with_capacity(selected.len());
    let timeout = LockTimeout::default_timeout();
    derive_each(history, selected, Some(&timeout), |undo| {
        let parts = render_parts(&undo);
        derived.push((undo, parts));
        Ok::<_, SqlError>(())
    })?;
    Ok(derived)
}

/// [`derive_undos`], handing each undo to `each` as soon as it is derived, in history order,
/// so the caller decides what to render and keep (`generate` renders its files into a spool).
/// Each file sets `lock_timeout` for itself when one is given. Stops at the first error,
/// `each`'s or the parser's.
pub fn derive_each<E: From<SqlError>>(
    history: &History,
    selected: &[&Migration],
    lock_timeout: Option<&LockTimeout>,
    mut each: impl FnMut(MigrationUndo) -> Result<(), E>,
) -> Result<(), E> {
    // One flag per migration: the set of names goes before the fold starts.
    let wanted: Vec<bool> = {
        let names: HashSet<&str> = selected.iter().map(|m| m.name.as_str()).collect();
        history
            .migrations
            .iter()
            .map(|m| names.contains(m.name.as_str()))
            .collect()
    };
    let last = wanted
        .iter()
        .rposition(|w| *w)
        .expect("selection comes from the history");
    let in_scope = &history.migrations[..=last];
    std::thread::scope(|scope| {
        let (parsed_tx, parsed_rx) = std::sync::mpsc::sync_channel(STAGE_QUEUE);
        scope.spawn(move || parse_ahead(in_scope, parsed_tx));
        let (folded_tx, folded_rx) = std::sync::mpsc::sync_channel(EXPLAIN_QUEUE);
        let wanted = &wanted;
        scope.spawn(move || fold_ahead(in_scope, wanted, lock_timeout, parsed_rx, folded_tx));
        // This thread explains each undo and hands it on; dropping the receiver on an error
        // stops the fold, and so the parser.
        for folded in folded_rx {
            let undo = MigrationUndo {
                layout: history.layout,
                ..folded.map_err(E::from)?.explain()
            };
            each(undo)?;
        }
        Ok(())
    })
}

/// How many folded undos may wait to be explained: each holds its files' trees and a part of
/// the model, and the fold outpaces the explaining only briefly.
const EXPLAIN_QUEUE: usize = 4;

/// The fold stage: folds `migrations` into the model as the parser hands them over, derives
/// the undo of each wanted one and readies it to be explained ([`explained::prepare`]), which
/// needs the model as the migration left it. Stops at the first parse error, which it hands
/// on, or when the explaining stage hangs up.
fn fold_ahead(
    migrations: &[Migration],
    wanted: &[bool],
    lock_timeout: Option<&LockTimeout>,
    parsed_rx: std::sync::mpsc::Receiver<Vec<Parsed>>,
    folded_tx: std::sync::mpsc::SyncSender<Result<explained::Prepared, SqlError>>,
) {
    let mut parsed = parsed_rx.into_iter().flatten();
    let mut catalog = Catalog::default();
    for (migration, &undo_it) in migrations.iter().zip(wanted) {
        // Only a data statement asks for the scope; the file is parsed again then.
        let mut migration_scope =
            LazyScope::new(|| touches_of_file(&migration.sql_path, &migration.sql));
        let mut statements = Vec::new();
        let keep_trees = migration.sql.len() <= SCOPE_AHEAD_BYTES;
        loop {
            match parsed.next() {
                Some(Parsed::Scope(scope)) => migration_scope = LazyScope::ready(scope),
                Some(Parsed::Statement(Ok(statement))) => {
                    if undo_it {
                        // The tree goes into the fold (which keeps parts of it in the model);
                        // only where the statement stands is kept for the files.
                        let mut undo =
                            undo_and_apply(&mut catalog, statement.node, &migration_scope);
                        // Deparsed now: a migration's undos wait for its last statement, and
                        // a built tree takes several times its text. A small migration keeps
                        // its trees, to explain its undo with.
                        render_keeping(&mut undo, keep_trees);
                        statements.push(StatementUndo {
                            location: statement.location,
                            undo,
                            forward: statement.text,
                        });
                    } else {
                        catalog.apply(statement.node);
                    }
                }
                Some(Parsed::Statement(Err(error))) => {
                    let _ = folded_tx.send(Err(error));
                    return;
                }
                Some(Parsed::End) => break,
                None => return, // the parser stopped early
            }
        }
        catalog.end_migration();
        if undo_it {
            let undo = finish(
                migration,
                statements,
                &catalog,
                &migration_scope,
                keep_trees,
            );
            let undo = MigrationUndo {
                lock_timeout: lock_timeout.cloned(),
                ..undo
            };
            if folded_tx
                .send(Ok(explained::prepare(&catalog, undo)))
                .is_err()
            {
                return;
            }
        }
    }
}

/// What the parsing stage hands to the fold: each statement of a migration, then its end.
// Nearly every item is a statement: boxing it would cost an allocation each, for nothing.
#[allow(clippy::large_enum_variant)]
enum Parsed {
    /// What the migration about to come touches, worked out from its statements while they
    /// were parsed (a small migration only: see [`SCOPE_AHEAD_BYTES`]).
    Scope(Touches),
    Statement(Result<sql::Statement, SqlError>),
    End,
}

/// A migration up to this size is parsed whole before its statements go to the fold, so its
/// [`Touches`] go first and no rule has to parse it a second time for them; a larger one is
/// read again if a rule asks (its trees would take a hundred times its size to hold). Its
/// undo keeps its built trees for the same reason (see `kept`).
const SCOPE_AHEAD_BYTES: usize = 16 * 1024;

/// The parsing stage: every statement of `migrations`, in batches.
fn parse_ahead(migrations: &[Migration], parsed_tx: std::sync::mpsc::SyncSender<Vec<Parsed>>) {
    let mut batch = Batch::new(migrations);
    for migration in migrations {
        let statements = sql::statements(&migration.sql_path, &migration.sql);
        let statements: Box<dyn Iterator<Item = _>> = if migration.sql.len() <= SCOPE_AHEAD_BYTES {
            let parsed: Vec<_> = statements.collect();
            let scope = Touches::of(
                parsed
                    .iter()
                    .map_while(|s| s.as_ref().ok())
                    .filter(|s| !is_data_statement(&s.text))
                    .map(|s| &s.node),
            );
            if let Some(full) = batch.push(Parsed::Scope(scope), 0, false) {
                if parsed_tx.send(full).is_err() {
                    return;
                }
            }
            Box::new(parsed.into_iter())
        } else {
            Box::new(statements)
        };
        for statement in statements {
            let failed = statement.is_err();
            let bytes = statement.as_ref().map_or(0, |s| s.text.len());
            if let Some(full) = batch.push(Parsed::Statement(statement), bytes, failed) {
                // The fold hangs up after an error of its own; stop parsing then too.
                if parsed_tx.send(full).is_err() || failed {
                    return;
                }
            }
        }
        if let Some(full) = batch.push(Parsed::End, 0, false) {
            if parsed_tx.send(full).is_err() {
                return;
            }
        }
    }
    let _ = parsed_tx.send(batch.items);
}

/// How many batches a pipeline stage may hold ready for the next. A parsed batch takes about
/// a hundred times its SQL, and whatever waits here is memory that does not shrink with the
/// input: one batch ahead keeps the fold busy (measured: no slower than eight).
const STAGE_QUEUE: usize = 1;

/// A batch is handed on once its statements hold this much SQL text (a rough measure of
/// the work in it), or less towards the end: the fold still has the last batch to do once
/// parsing is over, so the last batches are small.
const BATCH_BYTES: usize = 8 * 1024;

/// Parsed statements gathered until they are worth a hand-over to the fold.
struct Batch<T> {
    items: Vec<T>,
    bytes: usize,
    /// SQL text not yet added (statement texts, so an estimate: comments are not counted).
    remaining: usize,
}

impl<T> Batch<T> {
    fn new(migrations: &[Migration]) -> Self {
        Batch {
            items: Vec::new(),
            bytes: 0,
            remaining: migrations.iter().map(|m| m.sql.len()).sum(),
        }
    }

    /// Adds an item of `bytes` of SQL text; returns the batch when it is ready to go (or `now`).
    fn push(&mut self, item: T, bytes: usize, now: bool) -> Option<Vec<T>> {
        self.items.push(item);
        self.bytes += bytes;
        self.remaining = self.remaining.saturating_sub(bytes);
        if !now && self.bytes < BATCH_BYTES.min(self.remaining / 4) {
            return None;
        }
        self.bytes = 0;
        Some(std::mem::take(&mut self.items))
    }
}

/// Runs the passes over one migration's undos (rendered) and settles the verdicts, in place:
/// a large migration's statements are not held twice.
/// `after` is the model after the migration, `scope` what it touches: the preflight guards
/// are placed last, once the passes that move statements between undos are done.
fn finish(
    migration: &Migration,
    mut statements: Vec<StatementUndo>,
    after: &Catalog,
    scope: &LazyScope<'_>,
    keep_trees: bool,
) -> MigrationUndo {
    if super::enums::once_per_type(&mut statements) {
        for s in &mut statements {
            render_keeping(&mut s.undo, keep_trees);
        }
    }
    super::rebuilt::renames_instead_of_rebuilds(&mut statements);
    super::retype::one_rewrite_per_table(&mut statements);
    super::covered::drop_covered(&mut statements);
    super::backfill::mark(&mut statements);
    guard::place(after, scope, &mut statements);
    let mut counts = VerdictCounts::default();
    for s in &mut statements {
        s.undo.enum_fact = None;
        counts.add(s.undo.verdict);
    }
    let verdict = Verdict::least_exact(statements.iter().map(|s| s.undo.verdict));
    MigrationUndo {
        source: migration.name.clone(),
        source_checksum: migration.checksum,
        verdict,
        counts,
        statements,
        folders: Vec::new(),
        lock_timeout: None,
        explained: Vec::new(),
        layout: Layout::Prisma,
    }
}
