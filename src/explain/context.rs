//! What a rule sees: the model just before its statement, and facts about the whole file.

use std::collections::{BTreeSet, HashMap};

use crate::catalog::Catalog;
use crate::drill::apply::ApplyMode;
use crate::sql::{pb, NodeEnum, QName};

/// One statement's view: the model as it stood just before it, and the file it is in.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub file: &'a FileFacts,
    /// The statement's position in the file.
    pub index: usize,
    /// The impact of each earlier statement of the file, as it was explained.
    pub earlier_impacts: &'a [super::Impact],
}

impl Context<'_> {
    /// Whether `table` may hold rows and be in use when the migration runs: it is not
    /// created by this migration. A table the model does not know counts as existing.
    pub fn existing(&self, table: &QName) -> bool {
        !self.file.created_tables.contains(table)
    }

    /// Whether `table.column` may be in use: neither its table nor (by an earlier
    /// statement) the column is new in this file.
    pub fn existing_column(&self, table: &QName, column: &str) -> bool {
        self.existing(table)
            && !self
                .file
                .created_columns
                .get(&(table.clone(), column.to_string()))
                .is_some_and(|&first| first < self.index)
    }

    /// The statements of the file after this one.
    pub fn later(&self) -> impl Iterator<Item = (usize, &NodeEnum)> {
        self.file.statements.iter().enumerate().skip(self.index + 1)
    }

    /// The statements of the file before this one.
    pub fn earlier(&self) -> impl Iterator<Item = (usize, &NodeEnum)> {
        self.file.statements.iter().enumerate().take(self.index)
    }
}

/// Facts about a whole migration file, gathered before any statement is explained.
pub struct FileFacts {
    pub statements: Vec<NodeEnum>,
    /// The line each statement starts on.
    pub lines: Vec<usize>,
    pub mode: ApplyMode,
    /// Tables (and materialized views) this file creates: empty and unused while it runs.
    pub created_tables: BTreeSet<QName>,
    /// Columns this file adds to tables, with the first statement that adds each: empty
    /// and unused by the previous release once added.
    pub created_columns: HashMap<(QName, String), usize>,
    /// Transaction each statement runs in, as the file is applied in `mode`; `None` when
    /// it autocommits on its own.
    pub transaction: Vec<Option<usize>>,
}

impl FileFacts {
    pub fn of(
        catalog: &Catalog,
        statements: Vec<NodeEnum>,
        lines: Vec<usize>,
        mode: ApplyMode,
    ) -> Self {
        let mut created_tables = BTreeSet::new();
        for node in &statements {
            let created = match node {
                NodeEnum::CreateStmt(c) => c.relation.as_ref(),
                NodeEnum::CreateTableAsStmt(c) => c.into.as_ref().and_then(|i| i.rel.as_ref()),
                _ => None,
            };
            if let Some(rv) = created {
                let name = QName::from_range_var(rv);
                // `CREATE TABLE IF NOT EXISTS` over a table the model knows creates nothing.
                if !catalog.tables.contains_key(&name) {
                    created_tables.insert(name);
                }
            }
        }
        let mut created_columns = HashMap::new();
        for (i, node) in statements.iter().enumerate() {
            let scope = crate::undo::MigrationScope::of(std::iter::once(node));
            for added in scope.added_columns {
                created_columns.entry(added).or_insert(i);
            }
        }
        let transaction = transactions(&statements, mode);
        FileFacts {
            statements,
            lines,
            mode,
            created_tables,
            created_columns,
            transaction,
        }
    }

    /// Whether statements `a` and `b` run in one transaction.
    pub fn same_transaction(&self, a: usize, b: usize) -> bool {
        matches!((self.transaction[a], self.transaction[b]), (Some(x), Some(y)) if x == y)
    }

    /// Whether statement `i` runs inside a transaction block (explicit, or the implicit one
    /// of a multi-statement query).
    pub fn in_transaction_block(&self, i: usize) -> bool {
        match self.mode {
            // One simple-protocol query: every statement is in a block unless it is alone.
            ApplyMode::Batch => self.statements.len() > 1,
            ApplyMode::Split => self.transaction[i].is_some(),
        }
    }
}

/// Numbers the transactions of a file. Batch mode: the whole file is one implicit
/// transaction, cut by each `COMMIT`/`ROLLBACK`. Split mode: a statement autocommits on its
/// own unless it is between `BEGIN` and `COMMIT`.
fn transactions(statements: &[NodeEnum], mode: ApplyMode) -> Vec<Option<usize>> {
    use pb::TransactionStmtKind as K;
    let mut out = Vec::with_capacity(statements.len());
    let mut current = 0;
    let mut open = false;
    for node in statements {
        let kind = match node {
            NodeEnum::TransactionStmt(t) => K::try_from(t.kind).ok(),
            _ => None,
        };
        match (mode, kind) {
            (ApplyMode::Batch, Some(K::TransStmtCommit | K::TransStmtRollback)) => {
                out.push(Some(current));
                current += 1;
            }
            (ApplyMode::Batch, _) => out.push(Some(current)),
            (ApplyMode::Split, Some(K::TransStmtBegin | K::TransStmtStart)) => {
                current += 1;
                open = true;
                out.push(Some(current));
            }
            (ApplyMode::Split, Some(K::TransStmtCommit | K::TransStmtRollback)) => {
                out.push(open.then_some(current));
                open = false;
            }
            (ApplyMode::Split, _) => out.push(open.then_some(current)),
        }
    }
    out
}
