//! Indexes: `CREATE INDEX` ↔ `DROP INDEX`, concurrent forms included.

use super::rule::{undo_rule, UndoRule};
use super::{Undo, UndoSql};
use crate::catalog::{object_qname, Catalog};
use crate::sql::quote::Ident;
use crate::sql::text::{self, DropKind};
use crate::sql::{pb, QName};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_CREATE_INDEX, UNDO_DROP_INDEX];

undo_rule! {
    /// a new index is dropped again, concurrently when it was built so
    ///
    /// ## Undoes
    ///
    /// - `CREATE [UNIQUE] INDEX`
    /// - `CREATE INDEX CONCURRENTLY`
    /// - `CREATE INDEX IF NOT EXISTS`
    ///
    /// ## The undo
    ///
    /// `DROP INDEX`, under the name PostgreSQL chose for an unnamed index; `DROP INDEX CONCURRENTLY` when the forward was concurrent, in an undo migration of its own (it cannot run inside a transaction).
    ///
    /// ## Verdict
    ///
    /// **exact**: an index holds no data of its own. Nothing to undo when `IF NOT EXISTS` met an existing index.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT);
    ///
    /// -- this migration
    /// CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job"("status");
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// DROP INDEX CONCURRENTLY "Job_status_idx"; -- in a migration of its own
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/indexes/create_indexes.sql` (snapshot `snapshots/indexes__create_indexes.snap`)
    /// - `tests/cases/indexes/concurrently_own_folder.sql` (snapshot `snapshots/indexes__concurrently_own_folder.snap`)
    /// - `tests/cases/indexes/long_names_truncated.sql` (snapshot `snapshots/indexes__long_names_truncated.snap`)
    UNDO_CREATE_INDEX = "undo-create-index";
}

/// The undo of rule `undo-create-index` (UNDO_CREATE_INDEX above).
pub fn create_index(catalog: &Catalog, s: &pb::IndexStmt) -> Undo {
    let table = QName::from_range_var(s.relation.as_ref().expect("index table"));
    let name = if s.idxname.is_empty() {
        catalog.default_index_name(&table, s)
    } else {
        table.sibling(&s.idxname)
    };
    if catalog.indexes.contains_key(&name) {
        return Undo::nothing(format!(
            "index {name} already existed, so CREATE INDEX IF NOT EXISTS did nothing"
        ));
    }
    let statement = UndoSql::text(
        text::drop(DropKind::Index, &name, s.concurrent),
        s.concurrent,
    );
    let mut reason = format!("drops index {name} again");
    if s.idxname.is_empty() {
        reason.push_str(" (the name PostgreSQL chose for the unnamed index)");
    }
    Undo::exact(reason, vec![statement])
}

undo_rule! {
    /// a dropped index is created again as the model recorded it
    ///
    /// ## Undoes
    ///
    /// - `DROP INDEX`
    /// - `DROP INDEX CONCURRENTLY`
    /// - `DROP INDEX IF EXISTS`
    ///
    /// ## The undo
    ///
    /// Recreates the index from its recorded definition (concurrently when the drop was).
    ///
    /// ## Verdict
    ///
    /// **exact** for a plain index; **lossy** for a unique one, which fails to build if duplicates were written since. **manual** when no earlier migration creates the index, or when it implements a constraint (PostgreSQL refuses to drop it this way).
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Job" ("id" TEXT PRIMARY KEY, "status" TEXT);
    /// CREATE INDEX "Job_status_idx" ON "Job"("status");
    ///
    /// -- this migration
    /// DROP INDEX "Job_status_idx";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// CREATE INDEX "Job_status_idx" ON "Job" USING btree (status);
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/indexes/drop_indexes.sql` (snapshot `snapshots/indexes__drop_indexes.snap`)
    /// - `tests/cases/indexes/drop_index_concurrently.sql` (snapshot `snapshots/indexes__drop_index_concurrently.snap`)
    UNDO_DROP_INDEX = "undo-drop-index";
}

/// The undo of rule `undo-drop-index` (UNDO_DROP_INDEX above).
pub fn drop_index(catalog: &Catalog, s: &pb::DropStmt) -> Undo {
    let mut name = object_qname(&s.objects[0]);
    if !name.is_qualified() {
        // An unqualified index name resolves through the search path; look beyond `public`.
        if let Some(found) = catalog.indexes.keys().find(|k| k.name == name.name) {
            name = found.clone();
        }
    }
    let Some(index) = catalog.indexes.get(&name) else {
        return Undo::of_unknown_drop("index", &name, s.missing_ok);
    };
    if let Some(constraint) = &index.constraint {
        return Undo::manual(format!(
            "index {name} implements constraint {}; PostgreSQL refuses to drop it this way",
            Ident(constraint)
        ));
    }
    let statement = super::recreate::create_index(index, s.concurrent);
    if index.stmt.unpack().unique {
        Undo::lossy(
            format!("recreates unique index {name}: fails if duplicate rows were written since"),
            vec![statement],
        )
    } else {
        Undo::exact(format!("recreates index {name}"), vec![statement])
    }
}
