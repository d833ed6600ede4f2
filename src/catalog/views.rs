//! Views in the model beyond their definitions: the views that depend on a relation (which a
//! `DROP … CASCADE` takes with it), what goes with a dropped view, and renames of what a view
//! reads followed into its recorded definition (`renamed_in_views`).

use super::renamed_in_views;
use super::{Catalog, View, ViewDefinition};
use crate::sql::{pb, Node, QName};
use pb::ObjectType;

/// The kinds a comment on a view is recorded under.
const VIEW_KINDS: &[ObjectType] = &[ObjectType::ObjectView, ObjectType::ObjectMatview];

impl Catalog {
    /// The views that read `relation`, directly or through other views: what `DROP …
    /// CASCADE` of it drops. Each comes after the views of the set it reads, the order they
    /// can be created in again.
    pub fn views_depending_on(&self, relation: &QName) -> Vec<&View> {
        let mut found: Vec<&View> = Vec::new();
        let mut queue = vec![relation.clone()];
        while let Some(read) = queue.pop() {
            for view in self.views.values().filter(|v| v.reads.contains(&read)) {
                if view.name != *relation && !found.iter().any(|v| v.name == view.name) {
                    found.push(view);
                    queue.push(view.name.clone());
                }
            }
        }
        let mut ordered: Vec<&View> = Vec::with_capacity(found.len());
        while !found.is_empty() {
            let ready = found
                .iter()
                .position(|v| {
                    !v.reads
                        .iter()
                        .any(|r| r != &v.name && found.iter().any(|f| &f.name == r))
                })
                .unwrap_or(0);
            ordered.push(found.remove(ready));
        }
        ordered
    }

    /// Forgets view `name` and what PostgreSQL drops with it: the indexes of a materialized
    /// view, the triggers on it, the comments on it and its columns.
    pub(in crate::catalog) fn forget_view(&mut self, name: &QName) {
        self.views.remove(name);
        let indexes: Vec<QName> = self.indexes_on(name).map(|i| i.name.clone()).collect();
        for index in indexes {
            self.indexes.remove(&index);
        }
        for key in self.triggers_on(name) {
            self.triggers.remove(&key);
        }
        self.forget_comments(VIEW_KINDS, name);
    }

    /// Forgets the views that depend on `relation` (a `DROP … CASCADE` of it dropped them).
    pub(in crate::catalog) fn forget_views_depending_on(&mut self, relation: &QName) {
        let names: Vec<QName> = (self.views_depending_on(relation).iter())
            .map(|v| v.name.clone())
            .collect();
        for name in names {
            self.forget_view(&name);
        }
    }

    /// Follows the rename of relation `old` to `new_name` into the views that read it.
    pub(in crate::catalog) fn follow_rename_in_views(&mut self, old: &QName, new_name: &str) {
        let new = old.sibling(new_name);
        let readers: Vec<QName> = self.views_reading(old).map(|v| v.name.clone()).collect();
        for name in readers {
            let Some(view) = self.views.get_mut(&name) else {
                continue;
            };
            let mut followed = true;
            rewrite_query(view, |query| {
                followed = renamed_in_views::rename_table(query, old, new_name);
            });
            for read in view.reads.iter_mut().filter(|r| *r == old) {
                *read = new.clone();
            }
            if !followed {
                view.not_replayable.get_or_insert_with(|| {
                    format!("{old} it reads was renamed to {new}, and unmigrate cannot follow every reference to it")
                });
            }
        }
    }

    /// Follows the rename of column `old` of `table` to `new` into the views that read the
    /// table; a view whose references unmigrate cannot resolve with certainty stops being
    /// replayable (see `renamed_in_views`).
    pub(in crate::catalog) fn follow_column_rename_in_views(
        &mut self,
        table: &QName,
        old: &str,
        new: &str,
    ) {
        let readers: Vec<QName> = self.views_reading(table).map(|v| v.name.clone()).collect();
        for name in readers {
            let Some(mut view) = self.views.remove(&name) else {
                continue;
            };
            let has_old = |relation: &QName| {
                let t = self.table(relation)?;
                t.opaque.is_none().then(|| t.column(old).is_some())
            };
            let mut outcome = Ok(());
            rewrite_query(&mut view, |query| {
                outcome = renamed_in_views::rename_column(query, table, old, new, &has_old);
            });
            if let Err(why) = outcome {
                view.not_replayable.get_or_insert(why);
            }
            self.views.insert(name, view);
        }
    }
}

/// Unpacks the view's query, lets `change` edit it, and packs the definition again.
fn rewrite_query(view: &mut View, change: impl FnOnce(&mut Node)) {
    match &mut view.definition {
        ViewDefinition::View(s) => s.update(|s| {
            if let Some(query) = s.query.as_deref_mut() {
                change(query);
            }
        }),
        ViewDefinition::Materialized(s) => s.update(|s| {
            if let Some(query) = s.query.as_deref_mut() {
                change(query);
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::NodeEnum;

    fn view_sql(catalog: &Catalog, name: &str) -> String {
        let view = catalog.views.get(&QName::new("", name)).expect("a view");
        assert_eq!(view.not_replayable, None, "{name}");
        match &view.definition {
            ViewDefinition::View(s) => {
                crate::sql::deparse(NodeEnum::ViewStmt(Box::new(s.unpack()))).expect("deparses")
            }
            ViewDefinition::Materialized(s) => {
                crate::sql::deparse(NodeEnum::CreateTableAsStmt(Box::new(s.unpack())))
                    .expect("deparses")
            }
        }
    }

    #[test]
    fn a_renamed_column_is_followed_into_the_views_that_read_it() {
        // As marquez's jobs_view when V61 renamed jobs.name to simple_name.
        let catalog = Catalog::folded(
            "CREATE TABLE jobs (uuid uuid, name text, parent uuid);
             CREATE VIEW jobs_view AS
               WITH RECURSIVE fqn AS (
                 SELECT uuid, name, parent FROM jobs
                 UNION
                 SELECT j1.uuid, j2.name || '.' || j1.name AS name, j2.parent
                 FROM jobs j1 JOIN fqn j2 ON j2.uuid = j1.parent)
               SELECT f.uuid, f.name, j.name AS simple_name FROM fqn f, jobs j WHERE j.uuid = f.uuid;
             ALTER TABLE jobs RENAME COLUMN name TO simple_name;
             ALTER TABLE jobs ADD COLUMN name text;",
        );
        assert_eq!(
            view_sql(&catalog, "jobs_view"),
            "CREATE VIEW jobs_view AS WITH RECURSIVE fqn AS (SELECT uuid, simple_name AS name, parent FROM jobs UNION SELECT j1.uuid, j2.name || '.' || j1.simple_name AS name, j2.parent FROM jobs j1 JOIN fqn j2 ON j2.uuid = j1.parent) SELECT f.uuid, f.name, j.simple_name AS simple_name FROM fqn f, jobs j WHERE j.uuid = f.uuid"
        );
    }

    #[test]
    fn a_reference_two_sources_may_hold_makes_the_view_not_replayable() {
        let catalog = Catalog::folded(
            "CREATE TABLE a (id int, name text);
             CREATE VIEW v AS SELECT name FROM a, (SELECT 1 AS name) s;
             ALTER TABLE a RENAME COLUMN name TO label;",
        );
        let view = catalog.views.get(&QName::new("", "v")).expect("a view");
        assert!(view.not_replayable.is_some());
    }

    #[test]
    fn a_renamed_table_is_followed_under_its_old_name_as_alias() {
        let catalog = Catalog::folded(
            "CREATE TABLE a (id int);
             CREATE VIEW v AS SELECT a.id FROM a;
             ALTER TABLE a RENAME TO b;",
        );
        assert_eq!(
            view_sql(&catalog, "v"),
            "CREATE VIEW v AS SELECT a.id FROM b a"
        );
        assert_eq!(
            catalog.views.get(&QName::new("", "v")).expect("v").reads,
            [QName::new("", "b")]
        );
    }

    #[test]
    fn a_cascade_forgets_the_views_that_depend_on_what_it_drops() {
        let catalog = Catalog::folded(
            "CREATE TABLE t (id int);
             CREATE VIEW a AS SELECT id FROM t;
             CREATE VIEW b AS SELECT id FROM a;
             CREATE MATERIALIZED VIEW m AS SELECT id FROM b;
             CREATE INDEX m_id ON m (id);
             CREATE VIEW keep AS SELECT 1 AS one;",
        );
        let order: Vec<&str> = (catalog.views_depending_on(&QName::new("", "t")).iter())
            .map(|v| v.name.name.as_str())
            .collect();
        assert_eq!(order, ["a", "b", "m"]);
        let mut dropped = catalog.clone();
        for stmt in crate::sql::parse_file(std::path::Path::new("d.sql"), "DROP VIEW a CASCADE;")
            .expect("parses")
        {
            dropped.apply(stmt.node);
        }
        let left: Vec<&str> = dropped.views.keys().map(|n| n.name.as_str()).collect();
        assert_eq!(left, ["keep"]);
        assert!(dropped.indexes.is_empty());
    }
}
