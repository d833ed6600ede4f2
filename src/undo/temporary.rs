//! Statements on temporary relations (`CREATE TEMP TABLE … ON COMMIT DROP` to stage a
//! backfill, indexes on it, inserts into it, its `DROP`): a temporary relation lives in the
//! session's own schema and vanishes when the session ends, so none of these leave anything
//! in the schema to undo.
//!
//! Rule `undo-temporary-relation`, declared below, says what the undo does and why.

use super::rule::{undo_rule, UndoRule};
use super::{Undo, UndoSql};
use crate::catalog::{Catalog, RelationUse};
use crate::sql::quote::Ident;
use crate::sql::NodeEnum;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_TEMPORARY_RELATION];

undo_rule! {
    /// statements on temporary relations leave nothing in the schema to undo
    ///
    /// ## Undoes
    ///
    /// - `CREATE TEMPORARY TABLE [… AS]`
    /// - `CREATE INDEX on a temporary table`
    /// - `INSERT, UPDATE, DELETE, ALTER TABLE … on a temporary table`
    /// - `DROP TABLE of temporary tables`
    ///
    /// ## The undo
    ///
    /// A temporary relation lives in the session's own schema and vanishes when the session ends. The undo of its creation still drops it `IF EXISTS`: an undo usually runs in a later session, where that does nothing, but one run in the same session (a drill, a deploy of several migrations) would otherwise keep the relation and make the forward migration fail to create it again. Everything else done to it needs no undo.
    ///
    /// ## Verdict
    ///
    /// **exact**.
    ///
    /// ## Example
    ///
    /// ```sql
    /// CREATE TEMPORARY TABLE "staging" ("id" TEXT) ON COMMIT DROP;
    /// INSERT INTO "staging" VALUES ('a');
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP TABLE IF EXISTS pg_temp.staging;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/temporary/staging_tables.sql` (snapshot `snapshots/temporary__staging_tables.snap`)
    UNDO_TEMPORARY_RELATION = "undo-temporary-relation";
}

/// The undo of `node` when it creates, changes, fills or drops temporary relations only.
pub fn on_temporary(catalog: &Catalog, node: &NodeEnum) -> Option<Undo> {
    if let NodeEnum::DropStmt(s) = node {
        let (names, only) = catalog.temporary_drops(s);
        if !only {
            return None;
        }
        let names: Vec<String> = names.iter().map(|n| Ident(n).to_string()).collect();
        return Some(Undo::nothing(format!(
            "drops temporary {}, which would have vanished with its session anyway: nothing to undo",
            names.join(", ")
        )));
    }
    let relation = RelationUse::of(node)?;
    let rv = relation.relation();
    if !catalog.is_temporary_relation(rv) {
        return None;
    }
    let name = Ident(&rv.relname);
    Some(match relation {
        RelationUse::Creates(_, kind) => Undo::exact(
            format!(
                "{name} is temporary: it vanishes with the session that created it; dropped here only if the undo runs in that same session"
            ),
            vec![UndoSql::text(
                format!("DROP {kind} IF EXISTS pg_temp.{name}"),
                false,
            )],
        ),
        RelationUse::Indexes(..) | RelationUse::ActsOn(_) => Undo::nothing(format!(
            "acts on temporary {name}, which vanishes with the session that created it: nothing to undo"
        )),
    })
}
