//! Statements on temporary relations (`CREATE TEMP TABLE … ON COMMIT DROP` to stage a
//! backfill, indexes on it, inserts into it, its `DROP`): a temporary relation lives in the
//! session's own schema and vanishes when the session ends, so none of these leave anything
//! in the schema to undo.
//!
//! The undo of the creation still drops the relation `IF EXISTS`: an undo usually runs in a
//! later session, where that does nothing, but one run in the same session (a drill, a
//! deploy of several migrations) would otherwise keep the relation and make the forward
//! migration fail to create it again.
//!
//! ```sql
//! CREATE TEMPORARY TABLE temp_prices AS SELECT …;
//! INSERT INTO prices SELECT … FROM temp_prices;
//! DROP TABLE temp_prices;
//! -- undo (the INSERT has its own rule):
//! DROP TABLE IF EXISTS pg_temp."temp_prices";
//! ```

use super::{Undo, UndoSql};
use crate::catalog::{is_relation_drop, Catalog};
use crate::sql::text::Ident;
use crate::sql::{pb, string_list, NodeEnum};

/// The undo of `node` when it creates, changes, fills or drops a temporary relation.
pub fn on_temporary(catalog: &Catalog, node: &NodeEnum) -> Option<Undo> {
    let (relation, kind) = match node {
        NodeEnum::CreateStmt(s) => (s.relation.as_ref()?, Some("TABLE")),
        NodeEnum::CreateTableAsStmt(s) => (s.into.as_ref()?.rel.as_ref()?, Some("TABLE")),
        NodeEnum::ViewStmt(s) => (s.view.as_ref()?, Some("VIEW")),
        NodeEnum::CreateSeqStmt(s) => (s.sequence.as_ref()?, Some("SEQUENCE")),
        NodeEnum::IndexStmt(s) => (s.relation.as_ref()?, None),
        NodeEnum::AlterTableStmt(s) => (s.relation.as_ref()?, None),
        NodeEnum::CreateTrigStmt(s) => (s.relation.as_ref()?, None),
        NodeEnum::InsertStmt(s) => (s.relation.as_ref()?, None),
        NodeEnum::UpdateStmt(s) => (s.relation.as_ref()?, None),
        NodeEnum::DeleteStmt(s) => (s.relation.as_ref()?, None),
        NodeEnum::DropStmt(s) => return drop_temporary(catalog, s),
        _ => return None,
    };
    if !catalog.is_temporary_relation(relation) {
        return None;
    }
    let name = &relation.relname;
    Some(match kind {
        Some(kind) => Undo::exact(
            format!(
                "{} is temporary: it vanishes with the session that created it; dropped here only if the undo runs in that same session",
                Ident(name)
            ),
            vec![UndoSql::text(
                format!("DROP {kind} IF EXISTS pg_temp.{}", Ident(name)),
                false,
            )],
        ),
        None => Undo::nothing(format!(
            "acts on temporary {}, which vanishes with the session that created it: nothing to undo",
            Ident(name)
        )),
    })
}

/// `DROP` of temporary relations only: they would have vanished with the session anyway.
fn drop_temporary(catalog: &Catalog, s: &pb::DropStmt) -> Option<Undo> {
    if !is_relation_drop(s) || s.objects.is_empty() {
        return None;
    }
    let mut names = Vec::new();
    for object in &s.objects {
        let Some(NodeEnum::List(l)) = &object.node else {
            return None;
        };
        let parts = string_list(&l.items);
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        if !catalog.is_temporary(&parts) {
            return None;
        }
        names.push(Ident(parts.last()?).to_string());
    }
    Some(Undo::nothing(format!(
        "drops temporary {}, which would have vanished with its session anyway: nothing to undo",
        names.join(", ")
    )))
}
