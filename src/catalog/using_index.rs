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
            .filter(|i| key_names(&i.stmt.unpack().index_params).is_some_and(|k| !k.is_empty()))
    }

    /// Folds the index takeover of a `USING INDEX` constraint: the constraint gets its name
    /// (the index's, unless it has its own) and its definition from the index, which stops
    /// being a standalone index (the caller records it again as the constraint's). False when
    /// the model does not know the index: the constraint's columns are unknown, so it is not
    /// recorded and the table becomes opaque (its recreation and keys are left to a person).
    #[must_use]
    pub(super) fn take_over_index(&mut self, table: &QName, c: &mut pb::Constraint) -> bool {
        let index_name = std::mem::take(&mut c.indexname);
        if c.conname.is_empty() {
            c.conname = index_name.clone();
        }
        let known = self.adopted_index(table, &index_name).is_some();
        // Known or not, the index now belongs to the constraint under the constraint's name.
        let index = self.indexes.remove(&table.sibling(&index_name));
        let Some(stmt) = index.filter(|_| known).map(|i| i.stmt.unpack()) else {
            if let Some(t) = self.table_mut(table) {
                t.opaque = Some(format!(
                    "its constraint {} took over index {index_name}, whose definition no earlier migration recorded",
                    c.conname
                ));
            }
            return false;
        };
        c.keys = key_names(&stmt.index_params).unwrap_or_default();
        c.including = key_names(&stmt.index_including_params).unwrap_or_default();
        c.options = stmt.options;
        c.indexspace = stmt.table_space;
        c.nulls_not_distinct = stmt.nulls_not_distinct;
        true
    }
}

impl Index {
    /// The index's key columns named as plain columns (expressions left out; INCLUDE
    /// columns are not part of the key).
    pub fn key_columns(&self) -> Vec<String> {
        self.stmt
            .unpack()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(sql: &str) -> Catalog {
        Catalog::folded(sql)
    }

    fn t() -> QName {
        QName::new("", "t")
    }

    /// Every constraint as `name kind (columns)`.
    fn constraints(catalog: &Catalog) -> Vec<String> {
        let table = catalog.table(&t()).expect("table t");
        table
            .constraints
            .iter()
            .map(|c| format!("{} {:?} ({})", c.name, c.kind, c.columns.join(", ")))
            .collect()
    }

    /// Every index on `t` as `name (the constraint it implements)`.
    fn indexes(catalog: &Catalog) -> Vec<String> {
        catalog
            .indexes_on(&t())
            .map(|i| {
                format!(
                    "{} ({})",
                    i.name.name,
                    i.constraint.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }

    /// The NOT NULL columns of `t`.
    fn not_null(catalog: &Catalog) -> Vec<String> {
        let table = catalog.table(&t()).expect("table t");
        table
            .columns
            .iter()
            .filter(|c| c.not_null)
            .map(|c| c.name.clone())
            .collect()
    }

    const TABLE: &str = r#"CREATE TABLE "t" ("id" int, "a" int NOT NULL, "b" int, "c" int);
CREATE UNIQUE INDEX "t_ab_idx" ON "t" ("a", "b") INCLUDE ("c");"#;

    #[test]
    fn an_unnamed_primary_key_takes_the_index_name_and_makes_its_key_not_null() {
        let catalog = folded(&format!(
            r#"{TABLE} ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_ab_idx";"#
        ));
        assert_eq!(constraints(&catalog), ["t_ab_idx PrimaryKey (a, b)"]);
        assert_eq!(indexes(&catalog), ["t_ab_idx (t_ab_idx)"]);
        assert_eq!(not_null(&catalog), ["a", "b"], "the key, not INCLUDE");
    }

    #[test]
    fn a_named_unique_constraint_renames_the_index_and_keeps_its_definition() {
        let catalog = folded(&format!(
            r#"{TABLE} ALTER TABLE "t" ADD CONSTRAINT "t_ab_key" UNIQUE USING INDEX "t_ab_idx";"#
        ));
        assert_eq!(constraints(&catalog), ["t_ab_key Unique (a, b)"]);
        assert_eq!(indexes(&catalog), ["t_ab_key (t_ab_key)"]);
        assert_eq!(not_null(&catalog), ["a"], "UNIQUE sets no NOT NULL");
        let def = catalog.table(&t()).unwrap().constraints[0].def.unpack();
        assert_eq!(crate::sql::string_list(&def.keys), ["a", "b"]);
        assert_eq!(crate::sql::string_list(&def.including), ["c"]);
        assert!(def.indexname.is_empty());
    }

    #[test]
    fn an_index_the_model_does_not_know_leaves_the_constraint_unrecorded_and_the_table_opaque() {
        let catalog = folded(
            r#"CREATE TABLE "t" ("id" int);
ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_id_idx";"#,
        );
        let table = catalog.table(&t()).unwrap();
        assert!(table
            .opaque
            .as_ref()
            .is_some_and(|why| why.contains("t_id_idx")));
        assert!(table.constraints.is_empty(), "{:?}", table.constraints);
    }
}
