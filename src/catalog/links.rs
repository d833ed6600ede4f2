//! Which objects point at a table: its indexes, the tables whose foreign keys reference it,
//! and the sequences it owns, found without scanning the whole model.
//!
//! A rename, drop or undo asks these questions for one table; answering them by scanning every
//! index, table and sequence made folding a history quadratic in its length. Each entry is a
//! superset (a name is added when the link is made and dropped only when its table's entry
//! moves), so a reader checks the link on the object itself, as a scan would have.

use std::collections::{btree_set, BTreeSet, HashMap};

use super::Catalog;
use crate::sql::QName;

#[derive(Debug, Clone, Default)]
pub(super) struct Links {
    /// Table → names of indexes that are, or were, on it.
    indexes: HashMap<QName, Names>,
    /// Table → names of tables with a foreign key that references, or referenced, it.
    referrers: HashMap<QName, Names>,
    /// Table → names of sequences that it owns, or owned.
    sequences: HashMap<QName, Names>,
}

/// An empty set, for tables without links.
static NONE: Names = Names::Few(Vec::new());

impl Links {
    pub(super) fn add_index(&mut self, table: &QName, index: &QName) {
        insert(&mut self.indexes, table, index);
    }

    pub(super) fn add_referrer(&mut self, target: &QName, referrer: &QName) {
        insert(&mut self.referrers, target, referrer);
    }

    pub(super) fn add_sequence(&mut self, table: &QName, sequence: &QName) {
        insert(&mut self.sequences, table, sequence);
    }

    /// Names of indexes that may be on `table`, in name order.
    pub(super) fn indexes(&self, table: &QName) -> &Names {
        self.indexes.get(table).unwrap_or(&NONE)
    }

    /// Names of tables that may reference `table`, in name order.
    pub(super) fn referrers(&self, table: &QName) -> &Names {
        self.referrers.get(table).unwrap_or(&NONE)
    }

    /// Names of sequences that `table` may own.
    pub(super) fn sequences(&self, table: &QName) -> &Names {
        self.sequences.get(table).unwrap_or(&NONE)
    }

    /// The links of `tables` only: what a copy of part of the model holding them needs
    /// (each entry is a superset already; a name it lacks the copy does not hold either).
    pub(super) fn of<'a>(&self, tables: impl IntoIterator<Item = &'a QName>) -> Links {
        let mut part = Links::default();
        for table in tables {
            for (map, from) in [
                (&mut part.indexes, &self.indexes),
                (&mut part.referrers, &self.referrers),
                (&mut part.sequences, &self.sequences),
            ] {
                if let Some(names) = from.get(table) {
                    map.insert(table.clone(), names.clone());
                }
            }
        }
        part
    }

    /// `old` is now called `new`: what pointed at `old` points at `new`.
    pub(super) fn rename_table(&mut self, old: &QName, new: &QName) {
        for map in [&mut self.indexes, &mut self.referrers, &mut self.sequences] {
            if let Some(names) = map.remove(old) {
                map.entry(new.clone()).or_default().extend(names);
            }
        }
    }
}

fn insert(map: &mut HashMap<QName, Names>, key: &QName, name: &QName) {
    map.entry(key.clone()).or_default().insert(name);
}

/// A set of names in name order: a sorted list while it is small, as almost every table's
/// links are (a B-tree's smallest node has room for eleven names, and a history of thousands
/// of tables keeps three sets per table), a B-tree once it is large.
#[derive(Debug, Clone)]
pub(super) enum Names {
    Few(Vec<QName>),
    Many(BTreeSet<QName>),
}

impl Default for Names {
    fn default() -> Self {
        Names::Few(Vec::new())
    }
}

impl Names {
    /// Past this many names, a sorted list's inserts cost more than a B-tree's nodes.
    const FEW: usize = 16;

    pub(super) fn insert(&mut self, name: &QName) {
        match self {
            Names::Few(names) => {
                if let Err(at) = names.binary_search(name) {
                    if names.len() < Self::FEW {
                        // Most objects have one link: room for exactly one, not the usual four.
                        names.reserve_exact(usize::from(names.is_empty()));
                        names.insert(at, name.clone());
                    } else {
                        let mut many: BTreeSet<QName> = std::mem::take(names).into_iter().collect();
                        many.insert(name.clone());
                        *self = Names::Many(many);
                    }
                }
            }
            Names::Many(names) => {
                if !names.contains(name) {
                    names.insert(name.clone());
                }
            }
        }
    }

    pub(super) fn iter(&self) -> NamesIter<'_> {
        match self {
            Names::Few(names) => NamesIter::Few(names.iter()),
            Names::Many(names) => NamesIter::Many(names.iter()),
        }
    }
}

impl Extend<QName> for Names {
    fn extend<I: IntoIterator<Item = QName>>(&mut self, names: I) {
        for name in names {
            self.insert(&name);
        }
    }
}

impl IntoIterator for Names {
    type Item = QName;
    type IntoIter = Box<dyn Iterator<Item = QName>>;

    fn into_iter(self) -> Self::IntoIter {
        match self {
            Names::Few(names) => Box::new(names.into_iter()),
            Names::Many(names) => Box::new(names.into_iter()),
        }
    }
}

impl<'a> IntoIterator for &'a Names {
    type Item = &'a QName;
    type IntoIter = NamesIter<'a>;

    fn into_iter(self) -> NamesIter<'a> {
        self.iter()
    }
}

/// The names of a [`Names`], in name order.
pub(super) enum NamesIter<'a> {
    Few(std::slice::Iter<'a, QName>),
    Many(btree_set::Iter<'a, QName>),
}

impl<'a> Iterator for NamesIter<'a> {
    type Item = &'a QName;

    fn next(&mut self) -> Option<&'a QName> {
        match self {
            NamesIter::Few(names) => names.next(),
            NamesIter::Many(names) => names.next(),
        }
    }
}

impl Catalog {
    /// Records the links of every object again, from the objects themselves: after a change
    /// that renames many objects at once (a schema rename).
    pub(super) fn relink(&mut self) {
        let mut links = Links::default();
        for index in self.indexes.values() {
            links.add_index(&index.table, &index.name);
        }
        for table in self.tables.values() {
            for (target, _) in table
                .constraints
                .iter()
                .filter_map(|c| c.references.as_ref())
            {
                links.add_referrer(target, &table.name);
            }
        }
        for sequence in self.sequences.values() {
            if let Some((table, _)) = &sequence.owned_by {
                links.add_sequence(table, &sequence.name);
            }
        }
        self.links = links;
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::sql::{self, QName};

    fn fold(sql_text: &str) -> Catalog {
        Catalog::folded(sql_text)
    }

    fn q(name: &str) -> QName {
        QName::new(sql::names::DEFAULT_SCHEMA, name)
    }

    fn referrers(catalog: &Catalog, table: &str) -> Vec<String> {
        let table = q(table);
        catalog
            .foreign_keys_into(&table)
            .map(|(t, c)| format!("{}.{}", t.name.name, c.name))
            .collect()
    }

    fn indexes(catalog: &Catalog, table: &str) -> Vec<String> {
        let table = q(table);
        catalog
            .indexes_on(&table)
            .map(|i| i.name.name.clone())
            .collect()
    }

    #[test]
    fn links_follow_renames_of_both_ends() {
        let catalog = fold(
            "CREATE TABLE p (id int PRIMARY KEY);
             CREATE TABLE c (id int, p int REFERENCES p, up int REFERENCES c(id2), id2 int UNIQUE);
             CREATE INDEX c_p_idx ON c (p);
             ALTER TABLE c RENAME TO d;
             ALTER TABLE p RENAME TO q;
             ALTER INDEX c_p_idx RENAME TO d_p_idx;
             ALTER TABLE q RENAME COLUMN id TO key;",
        );
        assert_eq!(referrers(&catalog, "q"), ["d.c_p_fkey"]);
        assert_eq!(referrers(&catalog, "d"), ["d.c_up_fkey"]);
        assert!(referrers(&catalog, "p").is_empty() && referrers(&catalog, "c").is_empty());
        let fk = catalog
            .table(&q("d"))
            .unwrap()
            .constraint("c_p_fkey")
            .unwrap();
        assert_eq!(fk.references, Some((q("q"), vec!["key".to_string()])));
        assert_eq!(indexes(&catalog, "d"), ["c_id2_key", "d_p_idx"]);
        assert!(indexes(&catalog, "c").is_empty());
    }

    #[test]
    fn dropping_a_table_drops_what_points_at_it_and_a_reused_name_starts_clean() {
        let catalog = fold(
            "CREATE TABLE p (id serial PRIMARY KEY);
             CREATE TABLE c (p int REFERENCES p);
             CREATE INDEX p_id_idx ON p (id);
             DROP TABLE p CASCADE;
             CREATE TABLE p (id int);
             CREATE TABLE other (x int);
             CREATE INDEX p_id_idx ON other (x);",
        );
        assert!(catalog.table(&q("c")).unwrap().constraints.is_empty());
        assert!(indexes(&catalog, "p").is_empty());
        assert_eq!(indexes(&catalog, "other"), ["p_id_idx"]);
        assert!(!catalog.sequences.contains_key(&q("p_id_seq")));
    }

    #[test]
    fn a_schema_rename_relinks_everything() {
        let catalog = fold(
            "CREATE SCHEMA s;
             CREATE TABLE s.p (id int PRIMARY KEY);
             CREATE TABLE s.c (p int REFERENCES s.p);
             CREATE INDEX c_p_idx ON s.c (p);
             ALTER SCHEMA s RENAME TO r;",
        );
        let p = QName::new("r", "p");
        let c = QName::new("r", "c");
        assert_eq!(catalog.foreign_keys_into(&p).count(), 1);
        let names: Vec<_> = catalog
            .indexes_on(&c)
            .map(|i| i.name.name.clone())
            .collect();
        assert_eq!(names, ["c_p_idx"]);
    }
}
