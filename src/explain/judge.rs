//! Judging a file's statements one at a time: `explain` for each file it reads, `generate`
//! for the undo it wrote.

use super::{impact, rules, Context, EarlierLocks, FileFacts, Hazard, Impact};
use crate::catalog::Catalog;
use crate::migrations::{ApplyMode, Transaction};
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

    /// A file its tool sends as `transaction` says: Prisma's in `mode`, the other tools' as
    /// one query, inside a transaction of their own when they wrap it, or (Flyway's, when it
    /// does not wrap it) statement by statement.
    pub fn sent(mode: ApplyMode, transaction: Transaction) -> Self {
        let mut judge = Judge::new(match transaction {
            Transaction::ApplyMode => mode,
            Transaction::AsIs | Transaction::Wrapped => ApplyMode::Batch,
            Transaction::EachStatement => ApplyMode::Split,
        });
        judge.file.sent = transaction;
        judge
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

#[cfg(test)]
mod tests {
    use crate::explain::rules::tests::{hazards_of, raised_by};
    use crate::migrations::{ApplyMode, Transaction};

    #[test]
    fn a_lone_concurrently_is_in_a_transaction_only_where_the_tool_wraps_the_file() {
        let before = "CREATE TABLE t (a int);";
        let lone = "CREATE INDEX CONCURRENTLY i ON t (a);";
        let in_block = "non-transactional-in-transaction";
        let rules = |transaction| raised_by(before, lone, (ApplyMode::Batch, transaction));
        assert!(!rules(Transaction::AsIs).contains(in_block));
        assert!(!rules(Transaction::ApplyMode).contains(in_block));
        assert!(rules(Transaction::Wrapped).contains(in_block));
    }

    /// The hazard says how the file's own tool sends it, and the way out that tool offers.
    #[test]
    fn concurrently_in_a_transaction_is_explained_in_the_tools_terms() {
        let before = "CREATE TABLE t (a int);";
        let file = "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON t (a);";
        let said = |sent| {
            hazards_of(before, file, sent)
                .into_iter()
                .find(|h| h.rule.id() == "non-transactional-in-transaction")
                .map(|h| format!("{} / {}", h.message, h.help))
        };
        let prisma = said((ApplyMode::Batch, Transaction::ApplyMode)).unwrap();
        assert!(
            prisma.contains("Prisma (up to 7.3) sends it as one query"),
            "{prisma}"
        );
        assert!(prisma.contains("a migration.sql of its own"), "{prisma}");
        let wrapped = said((ApplyMode::Batch, Transaction::Wrapped)).unwrap();
        assert!(wrapped.contains("a transaction of its own"), "{wrapped}");
        assert!(wrapped.contains("run_in_transaction = false"), "{wrapped}");
        assert!(!wrapped.contains("Prisma"), "{wrapped}");
        let as_is = said((ApplyMode::Batch, Transaction::AsIs)).unwrap();
        assert!(as_is.contains("its tool sends it as one query"), "{as_is}");
        assert!(!as_is.contains("Prisma"), "{as_is}");
        // Flyway sends such a migration statement by statement: nothing to report.
        assert_eq!(said((ApplyMode::Batch, Transaction::EachStatement)), None);
    }
}
