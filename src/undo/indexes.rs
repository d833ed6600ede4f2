//! Indexes: `CREATE INDEX` ↔ `DROP INDEX`, concurrent forms included.

use super::guard::Guard;
use super::rule::{undo_rule, UndoRule};
use super::{table_in_use, Effect, LazyScope, Undo, UndoSql};
use crate::catalog::{object_qname, Catalog};
use crate::sql::quote::Ident;
use crate::sql::text::{self, DropKind};
use crate::sql::{pb, QName};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[UNDO_CREATE_INDEX, UNDO_DROP_INDEX];

undo_rule! {
    /// a new index is dropped again, concurrently on a table in use
    ///
    /// ## Undoes
    ///
    /// - `CREATE [UNIQUE] INDEX`
    /// - `CREATE INDEX CONCURRENTLY`
    /// - `CREATE INDEX IF NOT EXISTS`
    ///
    /// ## The undo
    ///
    /// `DROP INDEX`, under the name PostgreSQL chose for an unnamed index. `DROP INDEX CONCURRENTLY`, in an undo migration of its own (it cannot run inside a transaction), when the forward was concurrent or the table is in use before the undo and stays after it: the migration neither creates nor drops it, and it is a plain table (PostgreSQL has no concurrent drop for a partitioned index). No statement when the migration creates the table: the undo's `DROP TABLE` drops the index with it.
    ///
    /// ## Verdict
    ///
    /// **exact**: an index holds no data of its own. Nothing to undo when `IF NOT EXISTS` met an existing index. The index an undo drops never backs a constraint (the forward created it as a plain index, and the undo of a later `USING INDEX` drops that constraint first), so `DROP INDEX CONCURRENTLY` can drop it.
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
    /// - `tests/cases/indexes/tables_in_use.sql` (snapshot `snapshots/indexes__tables_in_use.snap`)
    UNDO_CREATE_INDEX = "undo-create-index";
}

/// The undo of rule `undo-create-index` (UNDO_CREATE_INDEX above).
pub fn create_index(catalog: &Catalog, s: &pb::IndexStmt, scope: &LazyScope<'_>) -> Undo {
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
    let chosen = if s.idxname.is_empty() {
        " (the name PostgreSQL chose for the unnamed index)"
    } else {
        ""
    };
    if created_here(catalog, &table, scope) {
        return Undo::nothing(format!(
            "index {name}{chosen} goes with table {table}, which the undo drops: the forward migration creates it"
        ));
    }
    let concurrent = s.concurrent || table_in_use(catalog, &table, scope);
    let statement = UndoSql::text(text::drop(DropKind::Index, &name, concurrent), concurrent)
        .with_effect(Effect::DropsIndex {
            table: table.clone(),
            name: name.name.clone(),
            columns: crate::catalog::index_columns(s),
            definition: Box::new(s.clone()),
        });
    let mut reason = format!("drops index {name} again{chosen}");
    if concurrent && !s.concurrent {
        reason.push_str(&format!(
            ", CONCURRENTLY (in a migration of its own) so queries on {table} go on"
        ));
    }
    Undo::exact(reason, vec![statement])
}

/// Whether the forward migration creates `table` (not `IF NOT EXISTS`, which may have found
/// it): the undo then drops the table, and every index on it with it.
fn created_here(catalog: &Catalog, table: &QName, scope: &LazyScope<'_>) -> bool {
    scope.get().creates(table, |_| true) && catalog.table(table).is_some()
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
    /// Recreates the index from its recorded definition: `CREATE INDEX CONCURRENTLY`, in an undo migration of its own, when the drop was concurrent or the table is in use before the undo and stays after it (the migration neither creates nor drops it, and it is a plain table, not a partitioned one); a plain `CREATE INDEX` on a table the undo itself recreates, empty. Its comment, which PostgreSQL dropped with it, is put back.
    ///
    /// ## Verdict
    ///
    /// When a later statement of the same migration creates an index identical to it apart from the name (a rename done as a drop and a create), the undo renames that index back instead (`ALTER INDEX b RENAME TO a`, in the undo of the create; see `src/undo/rebuilt.rs`): **exact**, no build.
    ///
    /// **exact** for a plain index; **lossy** for a unique one, which fails to build if duplicates were written since. **manual** when no earlier migration creates the index, or when it implements a constraint (PostgreSQL refuses to drop it this way). A `CONCURRENTLY` build that fails (duplicates, a cancel, a deadlock) leaves an INVALID index behind, which the note says: drop it with `DROP INDEX CONCURRENTLY` before deploying again.
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
    /// CREATE INDEX CONCURRENTLY "Job_status_idx" ON "Job" USING btree (status); -- in a migration of its own
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/indexes/drop_indexes.sql` (snapshot `snapshots/indexes__drop_indexes.snap`)
    /// - `tests/cases/indexes/drop_index_concurrently.sql` (snapshot `snapshots/indexes__drop_index_concurrently.snap`)
    /// - `tests/cases/indexes/renamed_by_rebuild.sql` (snapshot `snapshots/indexes__renamed_by_rebuild.snap`)
    /// - `tests/cases/indexes/tables_in_use.sql` (snapshot `snapshots/indexes__tables_in_use.snap`)
    UNDO_DROP_INDEX = "undo-drop-index";
}

/// The undo of rule `undo-drop-index` (UNDO_DROP_INDEX above).
pub fn drop_index(catalog: &Catalog, s: &pb::DropStmt, scope: &LazyScope<'_>) -> Undo {
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
    let concurrent = s.concurrent || table_in_use(catalog, &index.table, scope);
    let statement =
        super::recreate::create_index(index, concurrent).with_effect(Effect::CreatesIndex {
            table: index.table.clone(),
            name: name.name.clone(),
            definition: Box::new(index.stmt.unpack()),
        });
    let invalid = if concurrent {
        format!(
            " A failed CONCURRENTLY build leaves an INVALID index {name} behind: drop it (DROP INDEX CONCURRENTLY) before deploying again"
        )
    } else {
        String::new()
    };
    let how = if concurrent {
        format!(
            " CONCURRENTLY, in a migration of its own, so writes to {} go on",
            index.table
        )
    } else {
        String::new()
    };
    let mut statements = vec![statement];
    statements.extend(super::recreate::comments_of(
        catalog,
        pb::ObjectType::ObjectIndex,
        &name,
    ));
    if index.stmt.unpack().unique {
        Undo::lossy(
            format!("recreates unique index {name}{how}: fails if duplicate rows were written since.{invalid}"),
            statements,
        )
        .guarded(Guard::duplicates(index))
    } else if concurrent {
        Undo::exact(format!("recreates index {name}{how}.{invalid}"), statements)
    } else {
        Undo::exact(format!("recreates index {name}"), statements)
    }
}
