//! A copy of the part of the model a few statements are about, to fold them into without
//! touching (or copying) the whole model.
//!
//! `generate` explains each file of an undo against the model as the earlier files of the
//! same undo leave it. Copying the whole model for that, once per migration, made generating
//! a history quadratic in its length; the statements of one undo name a handful of objects,
//! and the rules that judge them look only at those and at what points at them.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::Catalog;
use crate::sql::{pb, NodeEnum, QName};

impl Catalog {
    /// The objects `named` names (tables, indexes, sequences, views, enum types: see
    /// [`names_in`] for the names statements give), with
    /// what a rule or a fold step asks about them: each named table's indexes and owned
    /// sequences, the users of a named type among the named tables, and the tables a foreign
    /// key joins a named table to. Tables are shared, not copied (a fold copies one it
    /// changes), so the cost follows the names, not the size of the tables. Schemas and the
    /// types the model does not follow come whole (they are few); functions, triggers and
    /// comments, which neither `explain` nor the shape of a table depends on, are left out.
    pub fn around(&self, named: &BTreeSet<QName>) -> Catalog {
        let mut tables = BTreeSet::new();
        for name in named {
            if self.tables.contains_key(name) {
                tables.insert(name.clone());
            }
            if let Some(index) = self.indexes.get(name) {
                tables.insert(index.table.clone());
            }
            if let Some((owner, _)) = self.sequences.get(name).and_then(|s| s.owned_by.as_ref()) {
                tables.insert(owner.clone());
            }
        }
        // An index or sequence may name a table the model does not hold (one it cannot
        // follow): that table is not copied.
        tables.retain(|t| self.tables.contains_key(t));
        let mut part = Catalog {
            schemas: self.schemas.clone(),
            untracked_types: self.untracked_types.clone(),
            partial: !self.tables.is_empty(),
            ..Catalog::default()
        };
        for name in &tables {
            part.tables.insert(name.clone(), self.tables[name].clone());
            for index in self.indexes_on(name) {
                part.indexes.insert(index.name.clone(), index.clone());
            }
            for sequence in self.links.sequences(name) {
                if let Some(s) = self.sequences.get(sequence) {
                    part.sequences.insert(sequence.clone(), s.clone());
                }
            }
        }
        // The tables foreign keys join a named one to, either way: dropping or changing a
        // key locks and checks the table at its other end.
        for name in &tables {
            let referrers = self.foreign_keys_into(name).map(|(t, _)| &t.name);
            let targets = self.tables[name]
                .constraints
                .iter()
                .filter_map(|c| c.references.as_ref().map(|(target, _)| target));
            let joined: Vec<QName> = referrers.chain(targets).cloned().collect();
            for other in joined {
                if let Some(t) = self.tables.get(&other) {
                    part.tables.entry(other).or_insert_with(|| Arc::clone(t));
                }
            }
        }
        for name in named {
            if let Some(e) = self.enums.get(name) {
                part.enums.insert(name.clone(), e.clone());
                if let Some(users) = self.type_users.get(&name.name) {
                    let users = users.iter().filter(|t| tables.contains(*t)).cloned();
                    part.type_users
                        .entry(name.name.clone())
                        .or_default()
                        .extend(users);
                }
            }
            if let Some(s) = self.sequences.get(name) {
                part.sequences.insert(name.clone(), s.clone());
            }
            if let Some(v) = self.views.get(name) {
                part.views.insert(name.clone(), v.clone());
            }
        }
        part.links = self.links.of(part.tables.keys());
        part
    }
}

/// Every object name a statement mentions: relations, type names and the objects of a `DROP`.
/// `nodes()` walks statements and expressions for the relations they read, not table
/// elements or `ALTER TABLE` commands: those are read here.
pub fn names_in(statement: &NodeEnum, out: &mut BTreeSet<QName>) {
    use pg_query::NodeRef;
    let element = |node: Option<&NodeEnum>, out: &mut BTreeSet<QName>| match node {
        Some(NodeEnum::ColumnDef(c)) => {
            if let Some(t) = &c.type_name {
                out.insert(QName::from_name_nodes(&t.names));
            }
            for constraint in &c.constraints {
                if let Some(NodeEnum::Constraint(k)) = &constraint.node {
                    out.extend(k.pktable.as_ref().map(QName::from_range_var));
                }
            }
        }
        Some(NodeEnum::Constraint(k)) => {
            out.extend(k.pktable.as_ref().map(QName::from_range_var));
        }
        _ => {}
    };
    for (node, ..) in statement.nodes() {
        match node {
            NodeRef::RangeVar(rv) => {
                out.insert(QName::from_range_var(rv));
            }
            NodeRef::TypeCast(pb::TypeCast {
                type_name: Some(t), ..
            }) => {
                out.insert(QName::from_name_nodes(&t.names));
            }
            NodeRef::CreateStmt(c) => {
                for e in &c.table_elts {
                    element(e.node.as_ref(), out);
                }
            }
            NodeRef::AlterTableStmt(a) => {
                for cmd in &a.cmds {
                    if let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node {
                        element(cmd.def.as_deref().and_then(|d| d.node.as_ref()), out);
                    }
                }
            }
            NodeRef::AlterEnumStmt(a) => {
                out.insert(QName::from_name_nodes(&a.type_name));
            }
            NodeRef::CreateEnumStmt(c) => {
                out.insert(QName::from_name_nodes(&c.type_name));
            }
            NodeRef::RenameStmt(r) => {
                out.extend(r.relation.as_ref().map(QName::from_range_var));
                if let Some(NodeEnum::List(list)) =
                    r.object.as_deref().and_then(|o| o.node.as_ref())
                {
                    out.insert(QName::from_name_nodes(&list.items));
                }
            }
            NodeRef::DropStmt(d) => {
                for object in &d.objects {
                    match &object.node {
                        Some(NodeEnum::List(list)) => {
                            out.insert(QName::from_name_nodes(&list.items));
                        }
                        Some(NodeEnum::TypeName(t)) => {
                            out.insert(QName::from_name_nodes(&t.names));
                        }
                        _ => {}
                    }
                }
            }
            NodeRef::IndexStmt(pb::IndexStmt {
                idxname,
                relation: Some(rv),
                ..
            }) if !idxname.is_empty() => {
                out.insert(QName::from_range_var(rv).sibling(idxname));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql;

    fn nodes(text: &str) -> Vec<NodeEnum> {
        sql::parse_file(std::path::Path::new("t.sql"), text)
            .expect("parses")
            .into_iter()
            .map(|s| s.node)
            .collect()
    }

    /// The part of `catalog` the statements of `sql` name.
    fn around(catalog: &Catalog, sql: &str) -> Catalog {
        let mut named = BTreeSet::new();
        for node in nodes(sql) {
            names_in(&node, &mut named);
        }
        catalog.around(&named)
    }

    fn names<T>(map: &std::collections::BTreeMap<QName, T>) -> Vec<String> {
        map.keys().map(|q| q.name.clone()).collect()
    }

    #[test]
    fn takes_the_named_objects_and_what_they_are_joined_to() {
        let catalog = Catalog::folded(
            "CREATE TYPE mood AS ENUM ('a');
             CREATE TYPE other AS ENUM ('b');
             CREATE TABLE parent (id serial PRIMARY KEY);
             CREATE TABLE child (id int, parent_id int REFERENCES parent, m mood);
             CREATE INDEX child_m ON child (m);
             CREATE TABLE far (id int, child_id int);
             CREATE TABLE lone (id int, o other);
             CREATE VIEW v AS SELECT id FROM lone;",
        );
        let part = around(&catalog, "DROP INDEX child_m;");
        assert_eq!(names(&part.tables), ["child", "parent"]);
        assert_eq!(names(&part.indexes), ["child_m"]);
        // Shared with the whole model, not copied; a fold of the part copies what it changes.
        let child = QName::new("", "child");
        assert!(Arc::ptr_eq(&part.tables[&child], &catalog.tables[&child]));
        let mut changed = around(&catalog, "DROP INDEX child_m;");
        changed.apply(nodes("ALTER TABLE child ADD COLUMN y int;").remove(0));
        assert!(changed.tables[&child].column("y").is_some());
        assert!(catalog.tables[&child].column("y").is_none());
        assert!(part.enums.is_empty());
        assert!(part.views.is_empty());
        // The copy answers what the whole model answers about the objects it holds.
        let into: Vec<_> = part
            .foreign_keys_into(&QName::new("", "parent"))
            .map(|(t, _)| t.name.name.clone())
            .collect();
        assert_eq!(into, ["child"]);
        // A named type comes with its users among the named tables.
        let part = around(&catalog, "ALTER TABLE child ALTER COLUMN m TYPE mood;");
        assert_eq!(names(&part.enums), ["mood"]);
        assert_eq!(part.columns_of_type(&QName::new("", "mood")).count(), 1);

        let part = around(&catalog, "ALTER TABLE parent ADD COLUMN x int;");
        assert_eq!(names(&part.tables), ["child", "parent"]);
        assert_eq!(names(&part.indexes), ["parent_pkey"]);
        assert_eq!(names(&part.sequences), ["parent_id_seq"]);
        let part = around(&catalog, "DROP VIEW v; ALTER TYPE other ADD VALUE 'c';");
        assert!(part.tables.is_empty());
        assert!(!part.knows_nothing());
        assert!(around(&Catalog::default(), "DROP TABLE t;").knows_nothing());
        assert_eq!(names(&part.views), ["v"]);
        assert_eq!(names(&part.enums), ["other"]);
        // Names inside table elements and ALTER TABLE commands count too.
        let part = around(
            &catalog,
            "CREATE TABLE n (x other, p int REFERENCES lone); ALTER TABLE far ADD FOREIGN KEY (child_id) REFERENCES child;",
        );
        assert_eq!(names(&part.tables), ["child", "far", "lone", "parent"]);
        assert_eq!(names(&part.enums), ["other"]);
    }
}
