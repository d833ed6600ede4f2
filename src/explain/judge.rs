//! Judging a file's statements one at a time: `explain` for each file it reads, `generate`
//! for the undo it wrote.

use super::{impact, rules, Context, EarlierLocks, FileFacts, Hazard, Impact};
use crate::catalog::Catalog;
use crate::migrations::ApplyMode;
use crate::sql::NodeEnum;

/// A file being judged: first [`learn`](Judge::learn) each statement in order (the facts
/// rules need about the whole file), then [`judge`](Judge::judge) each in order.
pub struct Judge {
    file: FileFacts,
    locks: EarlierLocks,
    /// The position of the next statement to judge.
    next: usize,
}

impl Judge {
    pub fn new(mode: ApplyMode) -> Self {
        Judge {
            file: FileFacts::new(mode),
            locks: EarlierLocks::default(),
            next: 0,
        }
    }

    /// The first pass: the next statement, which starts on `line`; `catalog` is the model
    /// before the file.
    pub fn learn(&mut self, catalog: &Catalog, node: &NodeEnum, line: usize) {
        self.file.add(catalog, node, line);
    }

    /// Whether [`keep`](Self::keep) must be given every statement (see
    /// [`FileFacts::needs_every_statement`]).
    pub fn needs_every_statement(&self) -> bool {
        self.file.needs_every_statement()
    }

    /// Every statement of the file, in order, when [`needs_every_statement`](Self::needs_every_statement).
    pub fn keep(&mut self, statements: Vec<NodeEnum>) {
        self.file.keep(statements);
    }

    /// The second pass: what the next statement does and its hazards, against `catalog` as
    /// the statements before it left it. The caller folds it in before the next one.
    pub fn judge(&mut self, catalog: &Catalog, node: &NodeEnum) -> (Impact, Vec<Hazard>) {
        let index = self.next;
        self.next += 1;
        let ctx = Context {
            catalog,
            file: &self.file,
            index,
            earlier_locks: &self.locks,
        };
        let impact = impact::of(&ctx, node);
        let hazards = rules::check(&ctx, node, &impact);
        self.locks.add(&self.file, index, &impact);
        (impact, hazards)
    }
}
