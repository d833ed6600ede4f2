//! `ADD [CONSTRAINT c] {PRIMARY KEY | UNIQUE} USING INDEX i`: a constraint that takes over an
//! existing unique index instead of building its own.
//!
//! What PostgreSQL does (verified on PostgreSQL 15.18, `pg_constraint`, `pg_index` and
//! `pg_attribute` read after each step):
//!
//! - Without `CONSTRAINT c`, the constraint takes the index's name: `ADD PRIMARY KEY USING INDEX
//!   t_id_idx` makes constraint `t_id_idx`, not `t_pkey` (so `DROP CONSTRAINT t_pkey` fails, 42704).
//! - With `CONSTRAINT c`, PostgreSQL renames the index to `c` (NOTICE: "ALTER TABLE / ADD
//!   CONSTRAINT USING INDEX will rename index "i" to "c"").
//! - The constraint's columns are the index's key columns, and it keeps the index's INCLUDE
//!   columns, storage parameters (`WITH`), tablespace and `NULLS NOT DISTINCT`
//!   (`pg_get_constraintdef` gives `PRIMARY KEY (b, a) INCLUDE (c)`, `UNIQUE NULLS NOT DISTINCT (a)`).
//! - PRIMARY KEY sets NOT NULL on its key columns that were nullable (not on INCLUDE columns);
//!   UNIQUE sets none. Dropping the constraint later drops its index but keeps that NOT NULL.
//! - Only a plain unique btree index qualifies: a non-unique, partial or expression index, or
//!   one with a non-default sort order, collation or operator class, is refused ("Cannot create
//!   a primary key or unique constraint using such an index"). So the key is a list of names.

use super::{Catalog, Index};
use crate::sql::{build, pb, Node, NodeEnum, QName};

impl Catalog {
    /// The standalone index `index_name` that `ADD … USING INDEX` takes over, when the model
    /// knows its definition (a key of column names, as PostgreSQL requires).
    pub fn adopted_index(&self, table: &QName, index_name: &str) -> Option<&Index> {
        self.indexes
            .get(&table.sibling(index_name))
            .filter(|i| &i.table == table && i.constraint.is_none())
            .filter(|i| key_names(&i.stmt.index_params).is_some_and(|k| !k.is_empty()))
    }

    /// Folds the index takeover of a `USING INDEX` constraint: the constraint gets its name
    /// (the index's, unless it has its own) and its definition from the index, which stops
    /// being a standalone index (the caller records it again as the constraint's). An index
    /// the model does not know leaves the table's constraints unknown, so it becomes opaque.
    pub(super) fn take_over_index(&mut self, table: &QName, c: &mut pb::Constraint) {
        let index_name = std::mem::take(&mut c.indexname);
        if c.conname.is_empty() {
            c.conname = index_name.clone();
        }
        let known = self.adopted_index(table, &index_name).is_some();
        // Known or not, the index now belongs to the constraint under the constraint's name.
        let index = self.indexes.remove(&table.sibling(&index_name));
        let Some(stmt) = index.filter(|_| known).map(|i| i.stmt) else {
            if let Some(t) = self.tables.get_mut(table) {
                t.opaque = Some(format!(
                    "its constraint {} took over index {index_name}, whose definition no earlier migration recorded",
                    c.conname
                ));
            }
            return;
        };
        c.keys = key_names(&stmt.index_params).unwrap_or_default();
        c.including = key_names(&stmt.index_including_params).unwrap_or_default();
        c.options = stmt.options;
        c.indexspace = stmt.table_space;
        c.nulls_not_distinct = stmt.nulls_not_distinct;
    }
}

impl Index {
    /// The index's key columns named as plain columns (expressions left out; INCLUDE
    /// columns are not part of the key).
    pub fn key_columns(&self) -> Vec<String> {
        self.stmt
            .index_params
            .iter()
            .filter_map(|p| match &p.node {
                Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Index elements as a list of column-name strings; `None` if one is an expression.
fn key_names(params: &[Node]) -> Option<Vec<Node>> {
    params
        .iter()
        .map(|p| match &p.node {
            Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => Some(build::string(&e.name)),
            _ => None,
        })
        .collect()
}
