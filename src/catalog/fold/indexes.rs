//! Indexes: `CREATE INDEX` (named as PostgreSQL names an unnamed one) and renames.

use super::*;

impl Catalog {
    pub(in crate::catalog) fn create_index(&mut self, s: Box<pb::IndexStmt>) {
        let Some(rel) = s.relation.as_ref() else {
            return;
        };
        let table = QName::from_range_var(rel);
        let name = if s.idxname.is_empty() {
            self.default_index_name(&table, &s)
        } else {
            table.sibling(&s.idxname)
        };
        if self.indexes.contains_key(&name) {
            return; // IF NOT EXISTS over an existing index (otherwise the forward failed)
        }
        let columns = index_columns(&s);
        let mut stmt = s;
        stmt.idxname = name.name.clone();
        stmt.concurrent = false;
        stmt.if_not_exists = false;
        self.links.add_index(&table, &name);
        self.indexes.insert(
            name.clone(),
            Index {
                name,
                table,
                stmt: Packed::from(stmt),
                columns,
                constraint: None,
            },
        );
    }

    /// The name PostgreSQL gives an unnamed index: `<table>_<columns>_idx`, numbered on
    /// collision. A unique one too: `_key` is for constraints only (ChooseIndexName in
    /// PostgreSQL's indexcmds.c), and `CREATE UNIQUE INDEX ON t (c)` makes `t_c_idx`.
    pub fn default_index_name(&self, table: &QName, s: &pb::IndexStmt) -> QName {
        let columns: Vec<String> = s
            .index_params
            .iter()
            .filter_map(|p| match &p.node {
                Some(NodeEnum::IndexElem(e)) => Some(index_column_name(e)),
                _ => None,
            })
            .collect();
        let label = if s.primary { "pkey" } else { "idx" };
        let addition = name_addition(&columns);
        table.sibling(&choose_name(&table.name, Some(&addition), label, |n| {
            self.relation_exists(&table.sibling(n))
        }))
    }

    pub(in crate::catalog) fn rename_index(&mut self, old: &QName, new_name: &str) {
        if let Some(mut index) = self.indexes.remove(old) {
            let new = old.sibling(new_name);
            self.links.add_index(&index.table, &new);
            index.name = new.clone();
            index
                .stmt
                .update(|stmt| stmt.idxname = new_name.to_string());
            if let Some(constraint) = &index.constraint {
                // Renaming a constraint's index renames the constraint too.
                if let Some(t) = self.table_mut(&index.table) {
                    if let Some(c) = t.constraints.iter_mut().find(|c| &c.name == constraint) {
                        c.name = new_name.to_string();
                        c.def.update(|def| def.conname = new_name.to_string());
                    }
                }
                index.constraint = Some(new_name.to_string());
            }
            self.indexes.insert(new, index);
        } else if self.tables.contains_key(old) {
            // ALTER INDEX … RENAME also accepts a table (PostgreSQL renames any relation).
            self.rename_table(old, new_name);
        }
    }
}

/// Columns of the table an index's key, predicate or INCLUDE list mentions (those whose drop
/// drops it).
pub fn index_columns(s: &pb::IndexStmt) -> Vec<String> {
    let mut columns = Vec::new();
    for p in s.index_params.iter().chain(&s.index_including_params) {
        match &p.node {
            Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => columns.push(e.name.clone()),
            _ => columns.extend(column_refs(p)),
        }
    }
    if let Some(w) = s.where_clause.as_deref() {
        columns.extend(column_refs(w));
    }
    columns.dedup();
    columns
}
