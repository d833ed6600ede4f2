//! `CREATE INDEX` over plain columns.

use std::fmt::Write;

use super::{relation_name, separated, Ident};
use crate::sql::{pb, Node, NodeEnum};
use pb::{SortByDir, SortByNulls};

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] i ON t USING m (a, b)` over plain columns.
pub(super) fn create_index(out: &mut String, s: &pb::IndexStmt) -> Option<()> {
    let pb::IndexStmt {
        idxname,
        relation,
        access_method,
        table_space,
        index_params,
        index_including_params,
        options,
        where_clause,
        exclude_op_names,
        idxcomment,
        index_oid,
        old_number,
        old_create_subid,
        old_first_relfilelocator_subid,
        unique,
        nulls_not_distinct,
        primary,
        isconstraint,
        iswithoutoverlaps,
        deferrable,
        initdeferred,
        transformed,
        concurrent,
        if_not_exists,
        reset_default_tblspc,
    } = s;
    let plain = !idxname.is_empty()
        && !access_method.is_empty()
        && table_space.is_empty()
        && !index_params.is_empty()
        && index_including_params.is_empty()
        && options.is_empty()
        && where_clause.is_none()
        && exclude_op_names.is_empty()
        && idxcomment.is_empty()
        && *index_oid == 0
        && *old_number == 0
        && *old_create_subid == 0
        && *old_first_relfilelocator_subid == 0
        && !*nulls_not_distinct
        && !*primary
        && !*isconstraint
        && !*iswithoutoverlaps
        && !*deferrable
        && !*initdeferred
        && !*transformed
        && !*if_not_exists
        && !*reset_default_tblspc;
    if !plain {
        return None;
    }
    out.push_str(if *unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    });
    if *concurrent {
        out.push_str("CONCURRENTLY ");
    }
    let _ = write!(out, "{} ON ", Ident(idxname));
    relation_name(out, relation.as_ref()?)?;
    let _ = write!(out, " USING {} (", Ident(access_method));
    separated(out, index_params, ", ", |out, param| {
        let _ = write!(out, "{}", Ident(plain_index_column(param)?));
        Some(())
    })?;
    out.push(')');
    Some(())
}

/// The column of an index key that is a bare column: no expression, collation, operator
/// class or ordering.
pub(super) fn plain_index_column(param: &Node) -> Option<&str> {
    let Some(NodeEnum::IndexElem(e)) = &param.node else {
        return None;
    };
    let pb::IndexElem {
        name,
        expr,
        indexcolname,
        collation,
        opclass,
        opclassopts,
        ordering,
        nulls_ordering,
    } = &**e;
    let plain = !name.is_empty()
        && expr.is_none()
        && indexcolname.is_empty()
        && collation.is_empty()
        && opclass.is_empty()
        && opclassopts.is_empty()
        && *ordering == SortByDir::SortbyDefault as i32
        && *nulls_ordering == SortByNulls::SortbyNullsDefault as i32;
    plain.then_some(name.as_str())
}
