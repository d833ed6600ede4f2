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
        } else if let Some(columns) = self.columns_selected(&stmt) {
            // As PostgreSQL creates it: the columns with their types and collations, without
            // NOT NULL, defaults or constraints.
            let into = stmt.into.unwrap_or_default();
            self.create_table(pb::CreateStmt {
                relation: into.rel,
                table_elts: columns,
                options: into.options,
                oncommit: into.on_commit,
                tablespacename: into.table_space_name,
                access_method: into.access_method,
                ..Default::default()
            });
        } else {
            self.tables.insert(
                name.clone(),
                Arc::new(Table {
                    name,
                    columns: Columns::default(),
                    constraints: Vec::new(),
                    shape: Packed::default(),
                    opaque: Some("the table was created with CREATE TABLE … AS from a query whose column types unmigrate does not work out (only columns selected from one table it knows)".into()),
                }),
            );
        }
    }

    /// The columns `CREATE TABLE … AS` creates when its query selects columns of one table
    /// the model knows (`*`, `t.*`, or columns, each under its own name or an alias), with
    /// the names given after the table's name; `None` for any other query.
    fn columns_selected(&self, stmt: &pb::CreateTableAsStmt) -> Option<Vec<Node>> {
        let Some(NodeEnum::SelectStmt(select)) =
            stmt.query.as_deref().and_then(|q| q.node.as_ref())
        else {
            return None;
        };
        let plain = select.op == pb::SetOperation::SetopNone as i32
            && select.with_clause.is_none()
            && select.values_lists.is_empty()
            && select.into_clause.is_none();
        let [from] = select.from_clause.as_slice() else {
            return None;
        };
        let Some(NodeEnum::RangeVar(rv)) = &from.node else {
            return None;
        };
        if !plain || rv.alias.as_ref().is_some_and(|a| !a.colnames.is_empty()) {
            return None;
        }
        let table = self
            .table(&QName::from_range_var(rv))
            .filter(|t| t.opaque.is_none())?;
        let visible = rv
            .alias
            .as_ref()
            .map_or(rv.relname.as_str(), |a| a.aliasname.as_str());
        let mut columns: Vec<(String, &Column)> = Vec::new();
        for target in &select.target_list {
            let Some(NodeEnum::ResTarget(t)) = &target.node else {
                return None;
            };
            let Some(NodeEnum::ColumnRef(r)) = t.val.as_deref().and_then(|v| v.node.as_ref())
            else {
                return None;
            };
            let star = matches!(
                r.fields.last().and_then(|f| f.node.as_ref()),
                Some(NodeEnum::AStar(_))
            );
            let names = string_list(&r.fields);
            let qualified_here = match names.as_slice() {
                [_] => true,
                [q, _] => q == visible,
                _ => false,
            };
            if star && (r.fields.len() == 1 || names.first().map(String::as_str) == Some(visible)) {
                columns.extend(table.columns.iter().map(|c| (c.name.clone(), c)));
            } else if !star && qualified_here {
                let column = table.column(names.last()?)?;
                let name = if t.name.is_empty() {
                    column.name.clone()
                } else {
                    t.name.clone()
                };
                columns.push((name, column));
            } else {
                return None;
            }
        }
        let renamed = string_list(&stmt.into.as_ref()?.col_names);
        if renamed.len() > columns.len() {
            return None;
        }
        for ((name, _), new) in columns.iter_mut().zip(renamed) {
            *name = new;
        }
        let defs = columns.into_iter().map(|(name, column)| {
            build::node(NodeEnum::ColumnDef(Box::new(pb::ColumnDef {
                colname: name,
                type_name: Some(column.type_name.unpack()),
                coll_clause: column.collation.as_ref().map(|c| Box::new(c.unpack())),
                is_local: true,
                ..Default::default()
            })))
        });
        Some(defs.collect())
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
