//! What a rule sees: the model just before its statement, and facts about the whole file.

use std::collections::{BTreeSet, HashMap};

use super::{Impact, LockMode, Relation};
use crate::catalog::Catalog;
use crate::migrations::{ApplyMode, Transaction};
use crate::sql::{pb, NodeEnum, QName};

/// One statement's view: the model as it stood just before it, and the file it is in.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub file: &'a FileFacts,
    /// The statement's position in the file.
    pub index: usize,
    /// The locks the earlier statements of the file took.
    pub earlier_locks: &'a EarlierLocks,
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
            && self
                .file
                .created_columns
                .get(table)
                .and_then(|columns| columns.get(column))
                .is_none_or(|&first| first >= self.index)
    }

    /// The statements of the file after this one that rules look at across statements
    /// (see [`FileFacts::statements`]).
    pub fn later(&self) -> impl Iterator<Item = (usize, &NodeEnum)> {
        self.file.statements().skip_while(|(i, _)| *i <= self.index)
    }

    /// The statements of the file before this one that rules look at across statements
    /// (see [`FileFacts::statements`]).
    pub fn earlier(&self) -> impl Iterator<Item = (usize, &NodeEnum)> {
        self.file.statements().take_while(|(i, _)| *i < self.index)
    }
}

/// Facts about a whole migration file, gathered in a first pass over it before any
/// statement is explained.
pub struct FileFacts {
    /// The trees rules look at across statements, by position: parse trees are large (about
    /// a hundred times their text), so the first pass keeps only those (see [`kept`]), or
    /// every one when a rule may look at any statement (`ALTER TYPE … ADD VALUE`).
    kept: Vec<(usize, NodeEnum)>,
    /// How many statements the file has.
    pub count: usize,
    /// The line each statement starts on.
    pub lines: Vec<usize>,
    pub mode: ApplyMode,
    /// Tables (and materialized views) this file creates: empty and unused while it runs.
    pub created_tables: BTreeSet<QName>,
    /// Columns this file adds to tables, by table, with the first statement that adds each:
    /// empty and unused by the previous release once added.
    pub created_columns: HashMap<QName, HashMap<String, usize>>,
    /// Transaction each statement runs in, as the file is applied in `mode`; `None` when
    /// it autocommits on its own.
    pub transaction: Vec<Option<usize>>,
    /// Whether every tree is kept (see `kept`).
    keep_all: bool,
    /// Where the transaction numbering stands after the statements added so far.
    current: usize,
    open: bool,
    /// How the file's tool sends it. [`Transaction::Wrapped`]: in `BEGIN` … `COMMIT` of the
    /// tool's own (diesel, sqlx, dbmate, Flyway), so every statement is in a block, even a
    /// file's only one.
    pub sent: Transaction,
}

impl FileFacts {
    /// Facts about an empty file, to [`add`](Self::add) its statements to in order.
    pub fn new(mode: ApplyMode) -> Self {
        FileFacts {
            kept: Vec::new(),
            count: 0,
            lines: Vec::new(),
            mode,
            created_tables: BTreeSet::new(),
            created_columns: HashMap::new(),
            transaction: Vec::new(),
            keep_all: false,
            current: 0,
            open: false,
            sent: Transaction::ApplyMode,
        }
    }

    /// Adds the next statement of the file; `catalog` is the model before the file.
    pub fn add(&mut self, catalog: &Catalog, node: &NodeEnum, line: usize) {
        let index = self.count;
        self.count += 1;
        self.lines.push(line);
        let created = match node {
            NodeEnum::CreateStmt(c) => c.relation.as_ref(),
            NodeEnum::CreateTableAsStmt(c) => c.into.as_ref().and_then(|i| i.rel.as_ref()),
            _ => None,
        };
        if let Some(rv) = created {
            let name = QName::from_range_var(rv);
            // `CREATE TABLE IF NOT EXISTS` over a table the model knows creates nothing.
            if !catalog.tables.contains_key(&name) {
                self.created_tables.insert(name);
            }
        }
        let touches = crate::sql::touches::Touches::of(std::iter::once(node));
        for (table, column) in touches.added_columns() {
            let columns = self.created_columns.entry(table.clone()).or_default();
            columns.entry(column.clone()).or_insert(index);
        }
        let transaction = self.transaction_of(node);
        self.transaction.push(transaction);
        if adds_enum_value(node) {
            self.keep_all = true;
        }
        if self.keep_all || looked_at_across(node) {
            self.kept.push((index, node.clone()));
        }
    }

    /// Whether the first pass must keep every tree (see `kept`); then the caller adds the
    /// trees it dropped with [`keep`](Self::keep).
    pub fn needs_every_statement(&self) -> bool {
        self.keep_all
    }

    /// Replaces the kept trees with every statement of the file, in order.
    pub fn keep(&mut self, statements: Vec<NodeEnum>) {
        self.kept = statements.into_iter().enumerate().collect();
    }

    /// The statements rules may look at across statements, with their positions: every
    /// `SET`, every `ALTER TABLE` that adds a `NOT VALID` constraint, drops a column or its
    /// NOT NULL, or sets a default; every statement when the file adds an enum value.
    /// A rule that looks at other statements must be served by `looked_at_across`.
    pub fn statements(&self) -> impl Iterator<Item = (usize, &NodeEnum)> {
        self.kept.iter().map(|(i, node)| (*i, node))
    }

    /// Batch mode: the whole file is one implicit transaction, cut by each
    /// `COMMIT`/`ROLLBACK`. Split mode: a statement autocommits on its own unless it is
    /// between `BEGIN` and `COMMIT`.
    fn transaction_of(&mut self, node: &NodeEnum) -> Option<usize> {
        use pb::TransactionStmtKind as K;
        let kind = match node {
            NodeEnum::TransactionStmt(t) => K::try_from(t.kind).ok(),
            _ => None,
        };
        match (self.mode, kind) {
            (ApplyMode::Batch, Some(K::TransStmtCommit | K::TransStmtRollback)) => {
                self.current += 1;
                Some(self.current - 1)
            }
            (ApplyMode::Batch, _) => Some(self.current),
            (ApplyMode::Split, Some(K::TransStmtBegin | K::TransStmtStart)) => {
                self.current += 1;
                self.open = true;
                Some(self.current)
            }
            (ApplyMode::Split, Some(K::TransStmtCommit | K::TransStmtRollback)) => {
                let open = std::mem::replace(&mut self.open, false);
                open.then_some(self.current)
            }
            (ApplyMode::Split, _) => self.open.then_some(self.current),
        }
    }

    /// Whether statements `a` and `b` run in one transaction.
    pub fn same_transaction(&self, a: usize, b: usize) -> bool {
        matches!((self.transaction[a], self.transaction[b]), (Some(x), Some(y)) if x == y)
    }

    /// Where a statement that cannot run in a transaction block goes (alone), as this file's
    /// tool runs files: the one wording of every rule's help that asks for a file of its own.
    pub fn on_its_own(&self) -> &'static str {
        match self.sent {
            Transaction::ApplyMode => "a migration.sql of its own (Prisma runs a multi-statement file in one transaction, where it fails)",
            Transaction::AsIs => "a migration file of its own (its tool sends a file as one query: several statements are one transaction, where it fails)",
            Transaction::Wrapped => "a migration of its own, with the tool's transaction turned off there (diesel: `run_in_transaction = false` in its metadata.toml; sqlx: `-- no-transaction` as its first line; dbmate: `-- migrate:up transaction:false`; Flyway does so by itself)",
            Transaction::EachStatement => "a migration of its own (Flyway runs a migration holding such statements outside a transaction, one by one, and refuses one that mixes them with others unless `mixed = true`)",
        }
    }

    /// Whether statement `i` runs inside a transaction block (explicit, or the implicit one
    /// of a multi-statement query).
    pub fn in_transaction_block(&self, i: usize) -> bool {
        match self.mode {
            // One simple-protocol query: every statement is in a block unless it is alone
            // (and then too when the tool wraps the file in a transaction of its own).
            ApplyMode::Batch => self.sent == Transaction::Wrapped || self.count > 1,
            ApplyMode::Split => self.transaction[i].is_some(),
        }
    }
}

/// The locks the earlier statements of a file took, as rules look at them: for each
/// transaction and relation, the strongest mode taken on it and the last statement that took
/// it that strong. A rule may ask which earlier lock is strongest (the latest among equals)
/// or whether one at least as strong as a mode exists; which weaker or earlier locks were
/// also taken is forgotten, so that a file of thousands of statements on one table keeps one
/// entry rather than thousands of impacts.
#[derive(Debug, Default)]
pub struct EarlierLocks {
    /// In the order each transaction and relation was first locked.
    locks: Vec<EarlierLock>,
    at: HashMap<(Option<usize>, Relation), usize>,
}

/// The strongest lock the earlier statements of one transaction took on one relation.
#[derive(Debug, Clone)]
pub struct EarlierLock {
    /// The transaction it is held in (see [`FileFacts::transaction`]).
    pub transaction: Option<usize>,
    pub mode: LockMode,
    pub on: Relation,
    /// The last statement that took it this strong.
    pub statement: usize,
}

impl EarlierLocks {
    /// Adds the locks of statement `index` once it is explained.
    pub fn add(&mut self, file: &FileFacts, index: usize, impact: &Impact) {
        let transaction = file.transaction[index];
        for lock in &impact.locks {
            let key = (transaction, lock.on.clone());
            match self.at.get(&key) {
                Some(&at) => {
                    let held = &mut self.locks[at];
                    if lock.mode >= held.mode {
                        held.mode = lock.mode;
                        held.statement = index;
                    }
                }
                None => {
                    self.at.insert(key, self.locks.len());
                    self.locks.push(EarlierLock {
                        transaction,
                        mode: lock.mode,
                        on: lock.on.clone(),
                        statement: index,
                    });
                }
            }
        }
    }

    /// In the order each transaction and relation was first locked.
    pub fn iter(&self) -> impl Iterator<Item = &EarlierLock> {
        self.locks.iter()
    }
}

/// `ALTER TYPE … ADD VALUE`: `enum-value-added-and-used` looks at any later statement.
fn adds_enum_value(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::AlterEnumStmt(s) if !s.new_val.is_empty() && s.old_val.is_empty())
}

/// Whether a rule may look at this statement from another one: `SET` (`missing-lock-timeout`
/// looks for `SET lock_timeout`), and `ALTER TABLE` commands that add a `NOT VALID`
/// constraint (`validate-in-same-transaction`), or drop a column, its NOT NULL or set its
/// default (`drop-default-of-not-null-column`).
fn looked_at_across(node: &NodeEnum) -> bool {
    use pb::AlterTableType as At;
    match node {
        NodeEnum::VariableSetStmt(_) => true,
        NodeEnum::AlterTableStmt(s) => s.cmds.iter().any(|c| {
            let Some(NodeEnum::AlterTableCmd(cmd)) = &c.node else {
                return false;
            };
            let not_valid = matches!(cmd.def.as_deref().and_then(|d| d.node.as_ref()),
                Some(NodeEnum::Constraint(c)) if c.skip_validation);
            not_valid
                || matches!(
                    At::try_from(cmd.subtype),
                    Ok(At::AtDropNotNull | At::AtDropColumn)
                )
                || (cmd.subtype == At::AtColumnDefault as i32 && cmd.def.is_some())
        }),
        _ => false,
    }
}
