//! Column definitions and their unnamed `NOT NULL`/`DEFAULT` constraints.

use std::fmt::Write;

use super::types::type_name_text;
use super::values::expression;
use super::Ident;
use crate::sql::{pb, NodeEnum};
use pb::ConstrType;

/// A column: `name type [NOT NULL] [DEFAULT value]`; for `ALTER COLUMN … TYPE` (`retype`),
/// the unnamed definition `type [USING value]`.
pub(super) fn column_def(out: &mut String, c: &pb::ColumnDef, retype: bool) -> Option<()> {
    let pb::ColumnDef {
        colname,
        type_name,
        compression,
        inhcount: _,
        is_local: _,
        is_not_null: _, // written from the constraints, as the deparser does
        is_from_type: _,
        storage: _,
        storage_name,
        raw_default,
        cooked_default: _,
        identity: _,
        identity_sequence: _,
        generated: _,
        coll_clause,
        coll_oid: _,
        constraints,
        fdwoptions,
        location: _,
    } = c;
    let plain = colname.is_empty() == retype
        && compression.is_empty()
        && storage_name.is_empty()
        && coll_clause.is_none()
        && fdwoptions.is_empty()
        && (retype || raw_default.is_none())
        && (!retype || constraints.is_empty());
    if !plain {
        return None;
    }
    if !retype {
        let _ = write!(out, "{} ", Ident(colname));
    }
    type_name_text(out, type_name.as_ref()?)?;
    if let Some(using) = raw_default {
        out.push_str(" USING ");
        expression(out, using.node.as_ref()?)?;
    }
    for constraint in constraints {
        let Some(NodeEnum::Constraint(constraint)) = &constraint.node else {
            return None;
        };
        out.push(' ');
        column_constraint(out, constraint)?;
    }
    Some(())
}

/// `NOT NULL` or `DEFAULT value` on a column, unnamed and without attributes.
pub(super) fn column_constraint(out: &mut String, c: &pb::Constraint) -> Option<()> {
    let pb::Constraint {
        contype,
        conname,
        deferrable,
        initdeferred,
        is_enforced: _, // written for foreign keys and checks only
        skip_validation,
        initially_valid: _,
        is_no_inherit,
        raw_expr,
        cooked_expr,
        generated_when,
        generated_kind,
        nulls_not_distinct,
        keys,
        without_overlaps,
        including,
        exclusions,
        options,
        indexname,
        indexspace,
        reset_default_tblspc,
        access_method,
        where_clause,
        pktable,
        fk_attrs,
        pk_attrs,
        fk_with_period,
        pk_with_period,
        fk_matchtype,
        fk_upd_action,
        fk_del_action,
        fk_del_set_cols,
        old_conpfeqop,
        old_pktable_oid,
        location: _,
    } = c;
    let plain = conname.is_empty()
        && !*deferrable
        && !*initdeferred
        && !*skip_validation
        && !*is_no_inherit
        && cooked_expr.is_empty()
        && generated_when.is_empty()
        && generated_kind.is_empty()
        && !*nulls_not_distinct
        && keys.is_empty()
        && !*without_overlaps
        && including.is_empty()
        && exclusions.is_empty()
        && options.is_empty()
        && indexname.is_empty()
        && indexspace.is_empty()
        && !*reset_default_tblspc
        && access_method.is_empty()
        && where_clause.is_none()
        && pktable.is_none()
        && fk_attrs.is_empty()
        && pk_attrs.is_empty()
        && !*fk_with_period
        && !*pk_with_period
        && fk_matchtype.is_empty()
        && fk_upd_action.is_empty()
        && fk_del_action.is_empty()
        && fk_del_set_cols.is_empty()
        && old_conpfeqop.is_empty()
        && *old_pktable_oid == 0;
    if !plain {
        return None;
    }
    match ConstrType::try_from(*contype).ok()? {
        ConstrType::ConstrNotnull if raw_expr.is_none() => out.push_str("NOT NULL"),
        ConstrType::ConstrDefault => {
            out.push_str("DEFAULT ");
            expression(out, raw_expr.as_deref()?.node.as_ref()?)?;
        }
        _ => return None,
    }
    Some(())
}
