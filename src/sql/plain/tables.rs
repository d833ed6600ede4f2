//! `CREATE TABLE` and `ALTER TABLE` with one command.

use std::fmt::Write;

use super::columns::column_def;
use super::constraints::key_constraint;
use super::values::expression;
use super::{relation_name, separated, Ident};
use crate::sql::{pb, NodeEnum};
use pb::{AlterTableType, DropBehavior, ObjectType};

/// `CREATE TABLE t (columns…, constraints…)` without options.
pub(super) fn create_table(out: &mut String, s: &pb::CreateStmt) -> Option<()> {
    let pb::CreateStmt {
        relation,
        table_elts,
        inh_relations,
        partbound,
        partspec,
        of_typename,
        constraints,
        nnconstraints,
        options,
        oncommit,
        tablespacename,
        access_method,
        if_not_exists,
    } = s;
    let relation = relation.as_ref()?;
    let plain = relation.relpersistence == "p"
        && relation.inh
        && inh_relations.is_empty()
        && partbound.is_none()
        && partspec.is_none()
        && of_typename.is_none()
        && constraints.is_empty()
        && nnconstraints.is_empty()
        && options.is_empty()
        && *oncommit == pb::OnCommitAction::OncommitNoop as i32
        && tablespacename.is_empty()
        && access_method.is_empty()
        && !*if_not_exists;
    if !plain {
        return None;
    }
    out.push_str("CREATE TABLE ");
    relation_name(out, relation)?;
    out.push_str(" (");
    separated(out, table_elts, ", ", |out, element| match &element.node {
        Some(NodeEnum::ColumnDef(def)) => column_def(out, def, false),
        Some(NodeEnum::Constraint(c)) => key_constraint(out, c),
        _ => None,
    })?;
    out.push(')');
    Some(())
}

/// `ALTER TABLE t …` with one command: `ADD COLUMN`, `ALTER COLUMN … SET|DROP DEFAULT`,
/// `ALTER COLUMN … TYPE … USING …` or `ADD CONSTRAINT` (a key constraint).
pub(super) fn alter_table(out: &mut String, s: &pb::AlterTableStmt) -> Option<()> {
    let pb::AlterTableStmt {
        relation,
        cmds,
        objtype,
        missing_ok,
    } = s;
    let [cmd] = cmds.as_slice() else {
        return None;
    };
    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
        return None;
    };
    let pb::AlterTableCmd {
        subtype,
        name,
        num,
        newowner,
        def,
        behavior,
        missing_ok: cmd_missing_ok,
        recurse,
    } = &**cmd;
    let plain = *objtype == ObjectType::ObjectTable as i32
        && !*missing_ok
        && *num == 0
        && newowner.is_none()
        && *behavior == DropBehavior::DropRestrict as i32
        && !*cmd_missing_ok
        && !*recurse;
    if !plain {
        return None;
    }
    let subtype = AlterTableType::try_from(*subtype).ok()?;
    out.push_str("ALTER TABLE ");
    relation_name(out, relation.as_ref()?)?;
    let Some(def) = def else {
        if subtype != AlterTableType::AtColumnDefault || name.is_empty() {
            return None;
        }
        let _ = write!(out, " ALTER COLUMN {} DROP DEFAULT", Ident(name));
        return Some(());
    };
    match (subtype, def.node.as_ref()?) {
        (AlterTableType::AtAddConstraint, NodeEnum::Constraint(c)) if name.is_empty() => {
            out.push_str(" ADD ");
            key_constraint(out, c)
        }
        (AlterTableType::AtAddColumn, NodeEnum::ColumnDef(c)) if name.is_empty() => {
            out.push_str(" ADD COLUMN ");
            column_def(out, c, false)
        }
        (AlterTableType::AtColumnDefault, expr) if !name.is_empty() => {
            let _ = write!(out, " ALTER COLUMN {} SET DEFAULT ", Ident(name));
            expression(out, expr)
        }
        (AlterTableType::AtAlterColumnType, NodeEnum::ColumnDef(c)) if !name.is_empty() => {
            let _ = write!(out, " ALTER COLUMN {} TYPE ", Ident(name));
            column_def(out, c, true)
        }
        _ => None,
    }
}
