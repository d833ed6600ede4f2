//! Named key constraints: primary key, unique, foreign key.

use std::fmt::Write;

use super::{column_list, relation_name, Ident};
use crate::sql::pb;
use pb::ConstrType;

/// A named primary key, unique or foreign key constraint over plain columns.
pub(super) fn key_constraint(out: &mut String, c: &pb::Constraint) -> Option<()> {
    let pb::Constraint {
        contype,
        conname,
        deferrable,
        initdeferred,
        is_enforced,
        skip_validation,
        initially_valid: _, // the deparser does not write it (NOT VALID comes from skip_validation)
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
    let plain = !conname.is_empty()
        && !*is_no_inherit
        && raw_expr.is_none()
        && cooked_expr.is_empty()
        && generated_when.is_empty()
        && generated_kind.is_empty()
        && !*nulls_not_distinct
        && !*without_overlaps
        && including.is_empty()
        && exclusions.is_empty()
        && options.is_empty()
        && indexname.is_empty()
        && indexspace.is_empty()
        && !*reset_default_tblspc
        && access_method.is_empty()
        && where_clause.is_none()
        && !*fk_with_period
        && !*pk_with_period
        && fk_del_set_cols.is_empty()
        && old_conpfeqop.is_empty()
        && *old_pktable_oid == 0;
    if !plain {
        return None;
    }
    let _ = write!(out, "CONSTRAINT {} ", Ident(conname));
    match ConstrType::try_from(*contype).ok()? {
        ConstrType::ConstrPrimary | ConstrType::ConstrUnique => {
            let no_reference = pktable.is_none() && fk_attrs.is_empty() && pk_attrs.is_empty();
            if keys.is_empty() || !no_reference {
                return None;
            }
            out.push_str(if *contype == ConstrType::ConstrPrimary as i32 {
                "PRIMARY KEY ("
            } else {
                "UNIQUE ("
            });
            column_list(out, keys)?;
            out.push(')');
        }
        ConstrType::ConstrForeign => {
            // NOT ENFORCED is written for foreign keys (and checks) only.
            if !keys.is_empty() || fk_attrs.is_empty() || !*is_enforced {
                return None;
            }
            out.push_str("FOREIGN KEY (");
            column_list(out, fk_attrs)?;
            out.push_str(") REFERENCES ");
            relation_name(out, pktable.as_ref()?)?;
            if !pk_attrs.is_empty() {
                out.push_str(" (");
                column_list(out, pk_attrs)?;
                out.push(')');
            }
            match fk_matchtype.as_str() {
                "" | "s" => {}
                "f" => out.push_str(" MATCH FULL"),
                _ => return None,
            }
            fk_action(out, " ON UPDATE ", fk_upd_action)?;
            fk_action(out, " ON DELETE ", fk_del_action)?;
        }
        _ => return None,
    }
    if *deferrable {
        out.push_str(" DEFERRABLE");
    }
    if *initdeferred {
        out.push_str(" INITIALLY DEFERRED");
    }
    if *skip_validation {
        out.push_str(" NOT VALID");
    }
    Some(())
}

/// `ON UPDATE …`/`ON DELETE …`; nothing for the default, NO ACTION.
pub(super) fn fk_action(out: &mut String, clause: &str, action: &str) -> Option<()> {
    let action = match action {
        "" | "a" => return Some(()),
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => return None,
    };
    out.push_str(clause);
    out.push_str(action);
    Some(())
}
