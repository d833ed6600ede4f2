//! The undo rule engine. Each forward statement is matched to a rule (one file per rule
//! family) that reads the schema model as it stood just before the statement and returns the
//! statements that reverse it, with an honest verdict and a one-line reason.

mod backfill;
mod claims;
mod columns;
mod comment;
mod constraints;
mod covered;
mod data;
mod derive;
mod do_blocks;
pub mod down_sql;
mod effect;
mod enums;
mod explained;
mod file;
mod guard;
mod indexes;
mod kept;
mod keys;
mod lock_timeout;
mod maintenance;
mod moves;
mod objects;
mod rebuilt;
mod recreate;
mod renames;
mod retype;
mod rule;
mod scope;
mod sequences;
mod session;
mod tables;
mod temporary;
mod views;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::sql::touches::Touches;
use crate::sql::{self, pb, NodeEnum, QName};

pub use claims::{Claims, Reason};
pub use derive::{derive_each, derive_undos, MigrationUndo, StatementUndo, VerdictCounts};
pub use effect::Effect;
pub use explained::{kept_by_design, FileHazards, FoundHazard};
pub use file::{render_parts, Files};
pub use lock_timeout::{LockTimeout, DEFAULT_LOCK_TIMEOUT};
pub use rule::UndoRule;
use scope::is_data_statement;
pub use scope::{touches_of_file, LazyScope};

/// How faithfully an undo restores what the forward statement changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Restores the previous schema exactly.
    Exact,
    /// Restores the schema, but data is lost or may not convert; the reason says what.
    Lossy,
    /// No safe automatic undo: a person must write it.
    Manual,
}

impl Verdict {
    /// The verdict of several undos applied together: the least exact of them, and exact
    /// when there are none.
    pub fn least_exact(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Exact)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Exact => "exact",
            Verdict::Lossy => "lossy",
            Verdict::Manual => "manual",
        })
    }
}

/// Ends the reason of an undo that re-adds a column at the end of its table (and sets
/// [`Undo::reorders_columns`]).
pub const COLUMN_ORDER_NOTE: &str =
    "it returns at the end of the table, so the column order differs";

/// One generated SQL statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UndoSql {
    /// The statement's text; empty while a built tree still waits to be deparsed.
    pub sql: String,
    /// Must run outside a transaction block (`CONCURRENTLY`), so in a migration of its own.
    pub concurrent: bool,
    /// Where it runs among the undo's transactions (`VALIDATE CONSTRAINT` after its add).
    #[serde(skip)]
    pub placement: Placement,
    /// A built statement not yet deparsed: rules only build trees, and [`render`] turns them
    /// into text (generation does so as soon as a statement's undo is derived).
    /// Boxed: an undo keeps its slot after rendering, and a bare tree node is 600 bytes.
    #[serde(skip)]
    pending: Option<Box<NodeEnum>>,
    /// What it does, where a pass over the whole undo needs to know (see [`Effect`]).
    #[serde(skip)]
    pub effect: Option<Box<Effect>>,
    /// The tree `sql` was deparsed from, when [`render_keeping`] kept it.
    #[serde(skip)]
    pub(crate) kept: kept::Kept,
}

impl UndoSql {
    /// A statement written directly as text (see [`crate::sql::text`]).
    pub fn text(sql: String, concurrent: bool) -> Self {
        UndoSql {
            sql,
            concurrent,
            placement: Placement::InOrder,
            pending: None,
            effect: None,
            kept: kept::Kept::default(),
        }
    }

    /// The statement with its [`Placement`].
    pub fn placed(self, placement: Placement) -> Self {
        UndoSql { placement, ..self }
    }

    /// A built statement, deparsed by [`render`]; `concurrent` ones get a migration of their own.
    pub fn new(node: NodeEnum, concurrent: bool) -> Self {
        UndoSql {
            sql: String::new(),
            concurrent,
            placement: Placement::InOrder,
            pending: Some(Box::new(node)),
            effect: None,
            kept: kept::Kept::default(),
        }
    }

    /// The statement with its [`Effect`].
    pub fn with_effect(self, effect: Effect) -> Self {
        UndoSql {
            effect: Some(Box::new(effect)),
            ..self
        }
    }
}

/// Where an undo statement runs among the undo's transactions. A foreign key or CHECK added
/// back to a table in use is added `NOT VALID` (a brief lock, no scan) and validated by a
/// later statement, which must run in a later transaction: in the add's own it would hold the
/// add's lock through the validating scan. So validations wait, and go into a migration of
/// their own (batch mode runs a file as one transaction) just before the next statement that
/// is not itself a `NOT VALID` add, or at the end of the undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// In order, in the current transaction.
    #[default]
    InOrder,
    /// Adds a constraint `NOT VALID`: it reads no rows, so it may run while validations wait.
    NotValidAdd,
    /// Validates (or depends on a validation): runs in a later transaction than the
    /// statements before it, in order with the other statements that wait.
    Later,
    /// A preflight check (`guard` module): runs at the top of the undo, before any change.
    Guard,
    /// A preflight check that runs right before its statement (it cannot run at the top): it
    /// only reads rows, so like a `NOT VALID` add it may run while validations wait.
    GuardHere,
}

/// Deparses the undo's built statements. A statement the deparser rejects (a bug in
/// unmigrate, never a user's input) is never shipped: the undo becomes manual instead.
pub fn render(undo: &mut Undo) {
    render_keeping(undo, false);
}

/// [`render`], keeping each tree beside its text when `keep` (see `undo::kept`).
pub fn render_keeping(undo: &mut Undo, keep: bool) {
    for statement in &mut undo.statements {
        let Some(node) = statement.pending.take() else {
            continue;
        };
        match sql::deparse_keeping(*node) {
            (Ok(text), tree) => {
                if keep {
                    statement.kept = kept::Kept::new(tree, &text);
                }
                statement.sql = text;
            }
            (Err(error), _) => {
                *undo = Undo::manual(format!(
                    "unmigrate could not write this undo ({error}); please report it, and write the undo by hand"
                ));
                return;
            }
        }
    }
}

/// Data an undo announces it loses, in a form a drill can check against what it observes
/// (the `reason` says the same for people). Seeded drills compare row counts and column
/// checksums before the forward migration and after its undo: every difference must be one
/// of these, or the undo lost data it did not announce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataLoss {
    /// The whole table: it comes back empty, or rows written to it are dropped with it.
    Table {
        #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
        table: QName,
    },
    /// Some of the table's rows: deleted, or not brought back.
    Rows {
        #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
        table: QName,
    },
    /// The values of one column: it comes back empty, or keeps values the forward wrote.
    Column {
        #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
        table: QName,
        column: String,
    },
}

impl DataLoss {
    pub fn table(&self) -> &QName {
        match self {
            DataLoss::Table { table }
            | DataLoss::Rows { table }
            | DataLoss::Column { table, .. } => table,
        }
    }

    /// Whether the loss covers a difference in `column` of `table` (`None`: in its rows or row
    /// count).
    pub fn covers(&self, table: &QName, column: Option<&str>) -> bool {
        match self {
            DataLoss::Table { table: t } | DataLoss::Rows { table: t } => t == table,
            DataLoss::Column {
                table: t,
                column: c,
            } => t == table && Some(c.as_str()) == column,
        }
    }
}

impl std::fmt::Display for DataLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataLoss::Table { table } => write!(f, "all rows of {table}"),
            DataLoss::Rows { table } => write!(f, "rows of {table}"),
            DataLoss::Column { table, column } => {
                write!(f, "{}", sql::quote::Column(table, column))
            }
        }
    }
}

/// The undo of one forward statement.
#[derive(Debug, Clone, Serialize)]
pub struct Undo {
    pub verdict: Verdict,
    pub reason: String,
    /// Statements to run, in order; empty when nothing needs undoing or when manual.
    pub statements: Vec<UndoSql>,
    /// The data a `lossy` undo loses, as the reason says it (empty for other verdicts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loses: Vec<DataLoss>,
    /// The undo re-adds a column at the end of its table, so the column order differs from
    /// before, and the reason says so ([`COLUMN_ORDER_NOTE`]). Drills accept a difference in
    /// column order only then.
    #[serde(skip)]
    pub reorders_columns: bool,
    /// Conditions that make the undo fail, checked before it changes anything: placed among
    /// `statements` once the migration is folded (see `guard::place`).
    #[serde(skip)]
    pub guards: Vec<guard::Guard>,
    /// What the statement did to an enum type, for the pass that recreates each type once
    /// per undo ([`enums::once_per_type`]).
    #[serde(skip)]
    pub(crate) enum_fact: Option<Box<enums::EnumFact>>,
    /// The forward statement opens or closes an explicit transaction block, which the undo
    /// file carries over (see `session::transaction`).
    #[serde(skip)]
    pub transaction: Option<TransactionControl>,
    /// Columns a person must fill before a step of this undo can run on a populated table
    /// (see `backfill`). Boxed: nearly every undo has none, and every undo is held until its
    /// file is written.
    #[serde(skip)]
    pub(crate) backfills: Option<Box<backfill::Needed>>,
}

/// A forward `BEGIN` (or `START TRANSACTION`) or `COMMIT`: the undo of the statements between
/// them runs in a transaction block too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionControl {
    Begin,
    Commit,
}

impl Undo {
    pub fn exact(reason: impl Into<String>, statements: Vec<UndoSql>) -> Self {
        Undo {
            verdict: Verdict::Exact,
            reason: reason.into(),
            statements,
            loses: Vec::new(),
            reorders_columns: false,
            guards: Vec::new(),
            enum_fact: None,
            transaction: None,
            backfills: None,
        }
    }

    pub fn lossy(reason: impl Into<String>, statements: Vec<UndoSql>) -> Self {
        Undo {
            verdict: Verdict::Lossy,
            reason: reason.into(),
            statements,
            loses: Vec::new(),
            reorders_columns: false,
            guards: Vec::new(),
            enum_fact: None,
            transaction: None,
            backfills: None,
        }
    }

    /// The data this undo loses (see [`DataLoss`]), for the drill to check.
    pub fn losing(mut self, loses: impl IntoIterator<Item = DataLoss>) -> Self {
        // Sized exactly: `extend` would reserve room for four losses, and a large migration
        // keeps one list per statement until its undo is written.
        let loses = loses.into_iter();
        self.loses.reserve_exact(loses.size_hint().0);
        self.loses.extend(loses);
        self
    }

    /// The undo, checking first that no row meets the condition that would make it fail.
    pub fn guarded(mut self, guards: impl IntoIterator<Item = guard::Guard>) -> Self {
        self.guards.extend(guards);
        self
    }

    pub fn manual(reason: impl Into<String>) -> Self {
        Undo {
            verdict: Verdict::Manual,
            reason: reason.into(),
            statements: Vec::new(),
            loses: Vec::new(),
            reorders_columns: false,
            guards: Vec::new(),
            enum_fact: None,
            transaction: None,
            backfills: None,
        }
    }

    /// Nothing to undo (the statement changed no schema state, or was a no-op).
    pub fn nothing(reason: impl Into<String>) -> Self {
        Undo::exact(reason, Vec::new())
    }

    /// The undo of `DROP <kind> [IF EXISTS] name` of an object no earlier migration creates,
    /// of a kind the model tracks: nothing to undo when `IF EXISTS` found nothing (the history
    /// is the schema's source of truth; the note says what an object made outside it would
    /// lose), else manual, its definition unknown.
    pub fn of_unknown_drop(kind: &str, name: &dyn std::fmt::Display, missing_ok: bool) -> Self {
        if missing_ok {
            let statement = kind.to_uppercase();
            return Undo::nothing(format!(
                "no earlier migration creates {kind} {name}, so DROP {statement} IF EXISTS dropped nothing (if it was created outside the migrations, its definition is lost: recreate it by hand)"
            ));
        }
        Undo::manual(format!(
            "{kind} {name} is not created by any earlier migration, so its definition is unknown"
        ))
    }

    /// Joins the undos of the parts of one statement (ALTER TABLE commands, DROP objects),
    /// given in forward order: the statements run in reverse, the verdict is the worst.
    fn combine(parts: Vec<Undo>) -> Undo {
        if parts.len() == 1 {
            return parts.into_iter().next().expect("one part");
        }
        let verdict = Verdict::least_exact(parts.iter().map(|p| p.verdict));
        let reason = parts
            .iter()
            .filter(|p| p.verdict == verdict)
            .map(|p| p.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let loses = parts.iter().flat_map(|p| p.loses.iter().cloned()).collect();
        let guards = parts
            .iter()
            .flat_map(|p| p.guards.iter().cloned())
            .collect();
        let backfills = backfill::Needed::joined(parts.iter().map(|p| p.backfills()));
        // Said in the reason only when the part's verdict is the worst: the flag follows it.
        let reorders_columns = parts
            .iter()
            .any(|p| p.verdict == verdict && p.reorders_columns);
        // A statement of several parts is left to its parts' own undos.
        let statements = parts.into_iter().rev().flat_map(|p| p.statements).collect();
        Undo {
            verdict,
            reason,
            statements,
            loses,
            reorders_columns,
            guards,
            enum_fact: None,
            transaction: None,
            backfills,
        }
    }
}

/// A built statement for a transactional migration (deparsed later by [`render`]).
pub(crate) fn stmt(node: NodeEnum) -> UndoSql {
    UndoSql::new(node, false)
}

/// The undo of every statement of one forward migration, in forward order. Folds the
/// statements into `catalog` as it goes, so afterwards it holds the state after the migration;
/// the statements are consumed, their parts moved into the model.
/// Built statements are not text yet: pass each undo through [`render`] before reading `sql`.
pub fn undo_migration(catalog: &mut Catalog, statements: Vec<NodeEnum>) -> Vec<Undo> {
    undo_migration_observed(catalog, statements, |_, _| {})
}

/// [`undo_migration`], calling `observe` with each whole statement and the model exactly as
/// the rules see it just before that statement, so a reader of the same fold (`explain`)
/// needs no fold of its own.
pub fn undo_migration_observed(
    catalog: &mut Catalog,
    statements: Vec<NodeEnum>,
    mut observe: impl FnMut(&Catalog, &NodeEnum),
) -> Vec<Undo> {
    let scope = LazyScope::ready(Touches::of(&statements));
    let undos = statements
        .into_iter()
        .map(|node| {
            observe(catalog, &node);
            undo_and_apply(catalog, node, &scope)
        })
        .collect();
    catalog.end_migration();
    undos
}

/// Whether the undo works on `table` as on a table in use: it stands before the undo and stays
/// after it (the forward migration neither creates nor drops it), and it is a plain table the
/// model knows (not partitioned, where `CONCURRENTLY` and some `NOT VALID` forms do not exist;
/// nor a partition or a table of unknown shape, to be safe).
fn table_in_use(catalog: &Catalog, table: &QName, scope: &LazyScope<'_>) -> bool {
    let Some(t) = catalog.table(table) else {
        return false;
    };
    t.opaque.is_none() && !t.is_partitioned() && scope.get().keeps_table(table)
}

/// Undoes and applies one statement of a migration, splitting multi-part statements so each
/// part sees the model exactly as it stands before that part. For a caller that undoes a
/// migration statement by statement as it is parsed, instead of [`undo_migration`]: it calls
/// [`Catalog::end_migration`] after the last statement.
pub fn undo_and_apply(catalog: &mut Catalog, node: NodeEnum, scope: &LazyScope<'_>) -> Undo {
    if !has_parts(&node) {
        let mut undo = undo_one(catalog, &node, scope);
        if undo.enum_fact.is_none() {
            undo.enum_fact = enums::fact(catalog, &node);
        }
        catalog.apply(node);
        return undo;
    }
    let parts = split_parts(node);
    let mut undos = Vec::with_capacity(parts.len());
    for part in parts {
        undos.push(undo_one(catalog, &part, scope));
        catalog.apply(part);
    }
    Undo::combine(undos)
}

/// Whether the statement does several things that are undone one by one.
fn has_parts(node: &NodeEnum) -> bool {
    match node {
        NodeEnum::AlterTableStmt(a) => a.cmds.len() > 1,
        NodeEnum::DropStmt(d) => d.objects.len() > 1,
        _ => false,
    }
}

/// `ALTER TABLE t a, b` → `ALTER TABLE t a`, `ALTER TABLE t b`; `DROP X a, b` likewise.
/// The parts take over the statement's commands or objects; nothing is copied but the name.
fn split_parts(node: NodeEnum) -> Vec<NodeEnum> {
    match node {
        NodeEnum::AlterTableStmt(a) => a
            .cmds
            .into_iter()
            .map(|cmd| {
                NodeEnum::AlterTableStmt(pb::AlterTableStmt {
                    relation: a.relation.clone(),
                    cmds: vec![cmd],
                    objtype: a.objtype,
                    missing_ok: a.missing_ok,
                })
            })
            .collect(),
        NodeEnum::DropStmt(d) => d
            .objects
            .into_iter()
            .map(|o| {
                NodeEnum::DropStmt(pb::DropStmt {
                    objects: vec![o],
                    ..d
                })
            })
            .collect(),
        other => vec![other],
    }
}

/// Dispatches one single-part statement to its rule family.
fn undo_one(catalog: &Catalog, node: &NodeEnum, scope: &LazyScope<'_>) -> Undo {
    use pb::ObjectType as O;
    if let Some(undo) = temporary::on_temporary(catalog, node) {
        return undo;
    }
    match node {
        NodeEnum::CreateStmt(s) => tables::create_table(catalog, s),
        NodeEnum::CreateTableAsStmt(s) => views::create_table_as(catalog, s),
        NodeEnum::AlterTableStmt(s) => alter_table(catalog, s, scope),
        NodeEnum::IndexStmt(s) => indexes::create_index(catalog, s, scope),
        NodeEnum::DropStmt(s) => match O::try_from(s.remove_type).unwrap_or(O::Undefined) {
            O::ObjectTable => tables::drop_table(catalog, s),
            O::ObjectIndex => indexes::drop_index(catalog, s, scope),
            O::ObjectType => enums::drop_type(catalog, s),
            O::ObjectView | O::ObjectMatview => views::drop_view(catalog, s),
            _ => objects::drop_object(catalog, s),
        },
        NodeEnum::RenameStmt(s) => renames::rename(catalog, s),
        NodeEnum::CreateEnumStmt(s) => enums::create_enum(catalog, s),
        NodeEnum::AlterEnumStmt(s) => enums::alter_enum(catalog, s),
        NodeEnum::ViewStmt(s) => views::create_view(catalog, s),
        NodeEnum::CreateSeqStmt(s) => objects::create_sequence(catalog, s),
        NodeEnum::CreateExtensionStmt(s) => objects::create_extension(catalog, s),
        NodeEnum::CreateSchemaStmt(s) => objects::create_schema(catalog, s),
        NodeEnum::CreateFunctionStmt(s) => objects::create_function(catalog, s),
        NodeEnum::CreateTrigStmt(s) => objects::create_trigger(catalog, s),
        NodeEnum::CommentStmt(s) => objects::comment(catalog, s),
        NodeEnum::TransactionStmt(s) => session::transaction(s),
        NodeEnum::VariableSetStmt(_) | NodeEnum::VariableShowStmt(_) => session::setting(),
        NodeEnum::SelectStmt(_) => data::select(node),
        NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_) => {
            data::write(catalog, node, scope.get())
        }
        NodeEnum::TruncateStmt(s) => data::truncate(catalog, s, scope.get()),
        NodeEnum::ReindexStmt(_) | NodeEnum::VacuumStmt(_) | NodeEnum::ClusterStmt(_) => {
            maintenance::maintenance(node)
        }
        NodeEnum::DoStmt(s) => do_blocks::do_block(catalog, s, scope.get()),
        other => data::unsupported(other),
    }
}

fn alter_table(catalog: &Catalog, s: &pb::AlterTableStmt, scope: &LazyScope<'_>) -> Undo {
    use pb::AlterTableType as At;
    let Some(rv) = &s.relation else {
        return Undo::manual("ALTER TABLE without a table name");
    };
    let table = QName::from_range_var(rv);
    let Some(NodeEnum::AlterTableCmd(cmd)) = s.cmds.first().and_then(|c| c.node.as_ref()) else {
        return Undo::nothing("ALTER TABLE with no command changes nothing");
    };
    if s.objtype != pb::ObjectType::ObjectTable as i32 {
        return Undo::manual(format!(
            "ALTER on {table} that is not a table (index, view or sequence options) is not modelled; reverse it by hand"
        ));
    }
    if catalog.table(&table).is_none() {
        if s.missing_ok {
            return Undo::nothing(format!(
                "table {table} does not exist, so ALTER TABLE IF EXISTS did nothing"
            ));
        }
        return Undo::manual(format!(
            "table {table} is not created by any earlier migration, so its previous state is unknown"
        ));
    }
    match At::try_from(cmd.subtype).unwrap_or(At::Undefined) {
        At::AtAddColumn => columns::add_column(catalog, &table, cmd),
        At::AtDropColumn => columns::drop_column(catalog, &table, cmd),
        At::AtAlterColumnType => columns::alter_type(catalog, &table, cmd),
        At::AtColumnDefault => columns::on_column(catalog, &table, cmd, columns::set_default),
        At::AtSetNotNull => columns::on_column(catalog, &table, cmd, columns::set_not_null),
        At::AtDropNotNull => columns::drop_not_null(catalog, &table, cmd, scope),
        At::AtAddConstraint => constraints::add_constraint(catalog, &table, cmd, scope),
        At::AtDropConstraint => constraints::drop_constraint(catalog, &table, cmd, scope),
        At::AtValidateConstraint => constraints::validate_constraint(catalog, &table, cmd),
        other => Undo::manual(format!(
            "ALTER TABLE {table} {} has no automatic undo yet; reverse it by hand",
            other.as_str_name().trim_start_matches("AT_")
        )),
    }
}

#[cfg(test)]
mod tests;
