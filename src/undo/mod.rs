//! The undo rule engine. Each forward statement is matched to a rule (one file per rule
//! family) that reads the schema model as it stood just before the statement and returns the
//! statements that reverse it, with an honest verdict and a one-line reason.

mod backfill;
mod claims;
mod columns;
mod comment;
mod composites;
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
mod outcome;
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

use crate::catalog::Catalog;
use crate::sql::touches::Touches;
use crate::sql::{pb, NodeEnum, QName};

pub use claims::{Claims, Reason};
pub use derive::{derive_each, derive_undos, MigrationUndo, StatementUndo, VerdictCounts};
pub use effect::Effect;
pub use explained::{kept_by_design, FileHazards, FoundHazard};
pub use file::{render_parts, Files};
pub use guard::PREFLIGHT_FAILED;
pub use lock_timeout::{LockTimeout, DEFAULT_LOCK_TIMEOUT};
pub(crate) use outcome::stmt;
pub use outcome::{
    render, render_keeping, DataLoss, Placement, TransactionControl, Undo, UndoSql, Verdict,
    COLUMN_ORDER_NOTE,
};
pub use rule::UndoRule;
use scope::is_data_statement;
pub use scope::{touches_of_file, LazyScope};

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
/// An `ALTER TABLE`'s commands come in the order PostgreSQL runs them
/// ([`crate::catalog::in_run_order`]), which the
/// model follows and the undo reverses: `ADD CONSTRAINT c CHECK (x …), ADD COLUMN x` adds
/// the column first, so its undo drops the constraint before the column.
fn split_parts(node: NodeEnum) -> Vec<NodeEnum> {
    match node {
        NodeEnum::AlterTableStmt(mut a) => {
            crate::catalog::in_run_order(&mut a.cmds);
            a.cmds
                .into_iter()
                .map(|cmd| {
                    NodeEnum::AlterTableStmt(pb::AlterTableStmt {
                        relation: a.relation.clone(),
                        cmds: vec![cmd],
                        objtype: a.objtype,
                        missing_ok: a.missing_ok,
                    })
                })
                .collect()
        }
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
        NodeEnum::CompositeTypeStmt(s) => composites::create_composite_type(catalog, s),
        NodeEnum::AlterEnumStmt(s) => enums::alter_enum(catalog, s),
        NodeEnum::ViewStmt(s) => views::create_view(catalog, s),
        NodeEnum::CreateSeqStmt(s) => objects::create_sequence(catalog, s),
        NodeEnum::AlterSeqStmt(s) => sequences::alter_sequence(catalog, s),
        NodeEnum::CreateExtensionStmt(s) => objects::create_extension(catalog, s),
        NodeEnum::CreateSchemaStmt(s) => objects::create_schema(catalog, s),
        NodeEnum::CreateFunctionStmt(s) => objects::create_function(catalog, s),
        NodeEnum::CreateTrigStmt(s) => objects::create_trigger(catalog, s),
        NodeEnum::CommentStmt(s) => objects::comment(catalog, s),
        NodeEnum::TransactionStmt(s) => session::transaction(s),
        NodeEnum::VariableSetStmt(_) | NodeEnum::VariableShowStmt(_) => session::setting(),
        NodeEnum::SelectStmt(_) => data::select(catalog, node),
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
