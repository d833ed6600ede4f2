//! Indexes: `CREATE INDEX` ↔ `DROP INDEX`, concurrent forms included.

use super::{Undo, UndoSql};
use crate::catalog::{object_qname, Catalog};
use crate::sql::quote::Ident;
use crate::sql::text::{self, DropKind};
use crate::sql::{pb, QName};

/// Undoes `CREATE [UNIQUE] INDEX [CONCURRENTLY]` with `DROP INDEX`, concurrent when the
/// forward was (so it must run in a migration of its own, outside a transaction).
///
/// Verdict **exact**: an index holds no data of its own.
///
/// ```sql
/// CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job"("status");
/// -- undo (in its own migration):
/// DROP INDEX CONCURRENTLY "Job_status_idx";
/// ```
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

/// Undoes `DROP INDEX [CONCURRENTLY]` by recreating the index as the model recorded it.
///
/// Verdict **exact** for a plain index; **lossy** for a unique one, which fails to build if
/// duplicates were written since.
///
/// ```sql
/// DROP INDEX "Job_status_idx";
/// -- undo:
/// CREATE INDEX "Job_status_idx" ON "Job" USING btree ("status");
/// ```
pub fn drop_index(catalog: &Catalog, s: &pb::DropStmt) -> Undo {
    let mut name = object_qname(&s.objects[0]);
    if !name.is_qualified() {
        // An unqualified index name resolves through the search path; look beyond `public`.
        if let Some(found) = catalog.indexes.keys().find(|k| k.name == name.name) {
            name = found.clone();
        }
    }
    let Some(index) = catalog.indexes.get(&name) else {
        if s.missing_ok {
            return Undo::nothing(format!(
                "index {name} did not exist, so DROP INDEX IF EXISTS did nothing"
            ));
        }
        return Undo::manual(format!(
            "index {name} is not created by any earlier migration, so its definition is unknown"
        ));
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
