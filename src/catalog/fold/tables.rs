//! Tables: `CREATE TABLE` (and `… AS`), `DROP TABLE` and renames of tables and schemas, with
//! what PostgreSQL does to the objects that belong to or point at them.

use super::*;
use std::sync::Arc;

impl Catalog {
    pub(in crate::catalog) fn create_table(&mut self, s: pb::CreateStmt) {
        let name = QName::from_range_var(s.relation.as_ref().expect("table name"));
        if s.if_not_exists && self.tables.contains_key(&name) {
            return;
        }
        let pb::CreateStmt {
            relation,
            table_elts,
            inh_relations,
            partbound,
            partspec,
            of_typename,
            constraints,
            options,
            oncommit,
            tablespacename,
            access_method,
            ..
        } = s;
        let opaque = (!inh_relations.is_empty() || partbound.is_some() || of_typename.is_some())
            .then(|| {
                "the table inherits its columns (INHERITS, PARTITION OF or OF type)".to_string()
            });
        // Everything but the elements, which the model keeps in its own form.
        let shape = Packed::pack(&pb::CreateStmt {
            relation,
            inh_relations,
            partbound,
            partspec,
            of_typename,
            options,
            oncommit,
            tablespacename,
            access_method,
            ..Default::default()
        });
        self.tables.insert(
            name.clone(),
            Arc::new(Table {
                name: name.clone(),
                columns: Columns::with_capacity(table_elts.len()),
                constraints: Vec::new(),
                shape,
                opaque,
            }),
        );
        for element in table_elts {
            match element.node {
                Some(NodeEnum::ColumnDef(def)) => self.add_column(&name, *def),
                Some(NodeEnum::Constraint(c)) => self.add_constraint(&name, c),
                Some(NodeEnum::TableLikeClause(_)) => {
                    if let Some(t) = self.table_mut(&name) {
                        t.opaque = Some("the table copies columns with LIKE".into());
                    }
                }
                _ => {}
            }
        }
        for c in constraints {
            if let Some(NodeEnum::Constraint(c)) = c.node {
                self.add_constraint(&name, c);
            }
        }
    }

    pub(in crate::catalog) fn create_table_as(&mut self, mut stmt: pb::CreateTableAsStmt) {
        let Some(rel) = stmt.into.as_ref().and_then(|i| i.rel.as_ref()) else {
            return;
        };
        let name = QName::from_range_var(rel);
        if stmt.objtype == ObjectType::ObjectMatview as i32 {
            stmt.if_not_exists = false;
            self.insert_view(name, Parsed::Materialized(stmt));
        } else {
            self.tables.insert(
                name.clone(),
                Arc::new(Table {
                    name,
                    columns: Columns::default(),
                    constraints: Vec::new(),
                    shape: Packed::default(),
                    opaque: Some("the table was created with CREATE TABLE … AS".into()),
                }),
            );
        }
    }

    /// Drops a table and what PostgreSQL drops with it.
    pub(crate) fn drop_table(&mut self, name: &QName) {
        self.tables.remove(name);
        self.forget_comments(&[ObjectType::ObjectTable], name);
        for index in self.links.indexes(name) {
            if self.indexes.get(index).is_some_and(|i| &i.table == name) {
                self.indexes.remove(index);
            }
        }
        for sequence in self.links.sequences(name) {
            if self
                .sequences
                .get(sequence)
                .is_some_and(|s| matches!(&s.owned_by, Some((t, _)) if t == name))
            {
                self.sequences.remove(sequence);
            }
        }
        for key in self.triggers_on(name) {
            self.triggers.remove(&key);
        }
        for referrer in self.links.referrers(name) {
            if let Some(other) = self.tables.get_mut(referrer).map(Arc::make_mut) {
                other
                    .constraints
                    .retain(|c| !matches!(&c.references, Some((t, _)) if t == name));
            }
        }
    }

    pub(in crate::catalog) fn rename_table(&mut self, old: &QName, new_name: &str) {
        let Some(mut t) = self.tables.remove(old) else {
            return;
        };
        let new = old.sibling(new_name);
        Arc::make_mut(&mut t).name = new.clone();
        // The tables it references now have a referrer of the new name (itself included).
        let targets: Vec<QName> = t
            .constraints
            .iter()
            .filter_map(|c| c.references.as_ref())
            .map(|(target, _)| {
                if target == old {
                    new.clone()
                } else {
                    target.clone()
                }
            })
            .collect();
        self.tables.insert(new.clone(), t);
        self.links.rename_table(old, &new);
        for target in &targets {
            self.links.add_referrer(target, &new);
        }
        self.note_type_users(&new);
        for name in self.links.indexes(&new) {
            if let Some(i) = self.indexes.get_mut(name).filter(|i| &i.table == old) {
                i.table = new.clone();
            }
        }
        for name in self.links.referrers(&new) {
            let Some(t) = self.tables.get_mut(name).map(Arc::make_mut) else {
                continue;
            };
            for c in &mut t.constraints {
                if let Some((target, _)) = &mut c.references {
                    if target == old {
                        *target = new.clone();
                    }
                }
            }
        }
        for name in self.links.sequences(&new) {
            if let Some((t, _)) = self
                .sequences
                .get_mut(name)
                .and_then(|s| s.owned_by.as_mut())
            {
                if t == old {
                    *t = new.clone();
                }
            }
        }
        for key in self.triggers_on(old) {
            if let Some(trig) = self.triggers.remove(&key) {
                self.triggers.insert((new.clone(), key.1), trig);
            }
        }
    }

    pub(in crate::catalog) fn rename_schema(&mut self, old: &str, new: &str) {
        if self.schemas.remove(old) {
            self.schemas.insert(new.to_string());
        }
        let moved = |q: &QName| q.schema == old;
        let tables: Vec<QName> = self.tables.keys().filter(|q| moved(q)).cloned().collect();
        for t in tables {
            // Tables move with their indexes and references; reuse the table rename path
            // by renaming within the new schema.
            if let Some(mut table) = self.tables.remove(&t) {
                let new_q = QName::new(new, &t.name);
                Arc::make_mut(&mut table).name = new_q.clone();
                self.tables.insert(new_q.clone(), table);
                self.note_type_users(&new_q);
            }
        }
        let rekey = |q: &QName| {
            if q.schema == old {
                QName::new(new, &q.name)
            } else {
                q.clone()
            }
        };
        let indexes = std::mem::take(&mut self.indexes);
        self.indexes = indexes
            .into_values()
            .map(|mut i| {
                i.name = rekey(&i.name);
                i.table = rekey(&i.table);
                (i.name.clone(), i)
            })
            .collect();
        // A schema rename is rare: every table is changed (and copied, where shared).
        for t in self.tables.values_mut().map(Arc::make_mut) {
            for c in &mut t.constraints {
                if let Some((target, _)) = &mut c.references {
                    *target = rekey(target);
                }
            }
        }
        let enums = std::mem::take(&mut self.enums);
        self.enums = enums
            .into_values()
            .map(|mut e| {
                e.name = rekey(&e.name);
                (e.name.clone(), e)
            })
            .collect();
        self.relink();
    }
}
