//! A table's columns in table order, found by name in constant time: a migration may add
//! thousands of columns to one table, and every rule and fold step looks columns up by name.

use std::hash::{BuildHasher, RandomState};
use std::ops::Deref;

use hashbrown::HashTable;

use super::Column;

/// The columns of a table, in order. Reads go through the slice (`Deref`); changes go
/// through the methods here, which keep the name index in step.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    list: Vec<Column>,
    /// Position of the first column of each name, hashed by the name it points at (so the
    /// names are not kept twice).
    first: HashTable<usize>,
    hasher: RandomState,
    /// Set once two columns share a name (the model renamed one onto another, which
    /// PostgreSQL refuses): lookups then scan, exactly as a plain list would answer.
    duplicates: bool,
}

impl Deref for Columns {
    type Target = [Column];

    fn deref(&self) -> &[Column] {
        &self.list
    }
}

impl Columns {
    pub fn with_capacity(capacity: usize) -> Self {
        Columns {
            list: Vec::with_capacity(capacity),
            first: HashTable::with_capacity(capacity),
            hasher: RandomState::new(),
            duplicates: false,
        }
    }

    /// The first column of this name.
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.position(name).map(|i| &self.list[i])
    }

    fn position(&self, name: &str) -> Option<usize> {
        if self.duplicates {
            self.list.iter().position(|c| c.name == name)
        } else {
            self.first_of(name)
        }
    }

    /// The position of the first column called `name`, from the index.
    fn first_of(&self, name: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(name);
        self.first
            .find(hash, |&i| self.list[i].name == name)
            .copied()
    }

    /// Indexes the column at `i` unless one of its name comes first; false when one does.
    fn index(&mut self, i: usize) -> bool {
        let Columns {
            list,
            first,
            hasher,
            ..
        } = self;
        let name = list[i].name.as_str();
        let hash = hasher.hash_one(name);
        if first.find(hash, |&j| list[j].name == name).is_some() {
            return false;
        }
        first.insert_unique(hash, i, |&j| hasher.hash_one(list[j].name.as_str()));
        true
    }

    /// The first column of this name, to change anything but its name (see [`Self::rename`]).
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.position(name).map(|i| &mut self.list[i])
    }

    /// Sets or clears NOT NULL on every column of one of these names.
    pub(crate) fn set_not_null(&mut self, names: &[String], not_null: bool) {
        if self.duplicates {
            for c in self.list.iter_mut().filter(|c| names.contains(&c.name)) {
                c.not_null = not_null;
            }
            return;
        }
        for name in names {
            if let Some(i) = self.first_of(name) {
                self.list[i].not_null = not_null;
            }
        }
    }

    /// Every column, to change anything but their names.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Column> {
        self.list.iter_mut()
    }

    /// Appends a column.
    pub(crate) fn push(&mut self, column: Column) {
        self.list.push(column);
        if !self.index(self.list.len() - 1) {
            self.duplicates = true;
        }
    }

    /// Removes every column of this name.
    pub(crate) fn remove(&mut self, name: &str) {
        // The last column, and the only one of its name: nothing moves, so only its own
        // index entry goes. An undo drops the columns a migration added last first, and
        // reindexing after each made dropping n columns take n² steps.
        let last = self.list.len().wrapping_sub(1);
        if !self.duplicates && self.first_of(name) == Some(last) {
            let hash = self.hasher.hash_one(name);
            if let Ok(entry) = self.first.find_entry(hash, |&i| i == last) {
                entry.remove();
            }
            self.list.pop();
            return;
        }
        let before = self.list.len();
        self.list.retain(|c| c.name != name);
        if self.list.len() != before {
            self.reindex();
        }
    }

    /// Renames every column called `old`.
    pub(crate) fn rename(&mut self, old: &str, new: &str) {
        let mut renamed = false;
        for c in self.list.iter_mut().filter(|c| c.name == old) {
            c.name = new.to_string();
            renamed = true;
        }
        if renamed {
            self.reindex();
        }
    }

    fn reindex(&mut self) {
        self.first.clear();
        self.duplicates = false;
        for i in 0..self.list.len() {
            if !self.index(i) {
                self.duplicates = true;
            }
        }
    }
}

impl<'a> IntoIterator for &'a Columns {
    type Item = &'a Column;
    type IntoIter = std::slice::Iter<'a, Column>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str) -> Column {
        Column {
            name: name.to_string(),
            type_name: Default::default(),
            default: None,
            not_null: false,
            generated: None,
            collation: None,
        }
    }

    fn names(columns: &Columns) -> Vec<&str> {
        columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn lookups_follow_pushes_drops_and_renames() {
        let mut columns = Columns::default();
        for name in ["a", "b", "c"] {
            columns.push(column(name));
        }
        columns.remove("a");
        assert_eq!(names(&columns), ["b", "c"]);
        assert!(columns.get("a").is_none());
        columns.rename("c", "d");
        assert_eq!(columns.get("d").map(|c| c.name.as_str()), Some("d"));
        assert!(columns.get("c").is_none());
        columns.set_not_null(&["b".to_string()], true);
        assert!(columns.get("b").is_some_and(|c| c.not_null));
        assert!(columns.get("d").is_some_and(|c| !c.not_null));
        // The last column goes without a reindex; the others stay found.
        columns.push(column("e"));
        columns.remove("e");
        assert_eq!(names(&columns), ["b", "d"]);
        assert!(columns.get("e").is_none());
        assert_eq!(columns.get("d").map(|c| c.name.as_str()), Some("d"));
        columns.push(column("e"));
        assert_eq!(columns.get("e").map(|c| c.name.as_str()), Some("e"));
    }

    /// A rename onto an existing name leaves two columns of one name (PostgreSQL refuses it,
    /// the model keeps folding): lookups then answer as a scan of the list would.
    #[test]
    fn a_rename_onto_an_existing_name_answers_as_a_list_scan() {
        let mut columns = Columns::default();
        for name in ["a", "b"] {
            columns.push(column(name));
        }
        columns.rename("b", "a");
        assert_eq!(names(&columns), ["a", "a"]);
        columns.set_not_null(&["a".to_string()], true);
        assert!(columns.iter().all(|c| c.not_null));
        columns.get_mut("a").expect("first a").not_null = false;
        assert!(!columns[0].not_null && columns[1].not_null);
        columns.remove("a");
        assert!(columns.is_empty() && columns.get("a").is_none());
    }
}
