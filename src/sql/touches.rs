//! What a migration touches, read from its statements' parse trees: the tables it creates, the
//! columns it adds, and the tables and columns it names. One answer for every stage that asks:
//! undo rules for data statements (does the undo remove what they wrote anyway?), explain's
//! rules (is this table new, so nobody uses it yet?) and the seeded drill (which data may this
//! migration change?).

use std::collections::{BTreeSet, HashMap};

use super::refs::{column_refs, relation_refs};
use super::{pb, NodeEnum, QName};

/// What one migration's statements touch, gathered statement by statement ([`Touches::add`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touches {
    /// Tables (and materialized views) created by `CREATE TABLE` or `CREATE … AS`.
    created: BTreeSet<QName>,
    /// Tables created `IF NOT EXISTS`: created only when the schema before lacked them,
    /// which only a reader that knows that schema can tell ([`Touches::creates`]).
    created_if_absent: BTreeSet<QName>,
    /// Tables dropped by `DROP TABLE`: the undo recreates them.
    dropped: BTreeSet<QName>,
    /// Tables renamed, or with a column renamed (both names of a renamed table): a name
    /// there may stand for something else after the migration than before it.
    renamed: BTreeSet<QName>,
    /// Columns added with `ALTER TABLE … ADD COLUMN`, with the first statement adding each.
    added_columns: HashMap<(QName, String), usize>,
    /// Tables whose rows and every column the migration may change: every table a statement
    /// names, except through `ALTER TABLE` and renames (which name columns) and
    /// `CREATE INDEX` (which reads a table and changes none of its data).
    pub tables: BTreeSet<QName>,
    /// Single columns it may change: named by `ALTER TABLE`, or both names of a column rename.
    pub columns: BTreeSet<(QName, String)>,
    /// A `DO` block whose code cannot be followed (dynamic SQL, a loop, …) may change the
    /// data of any table (gathered with `names` only).
    any_table: bool,
    /// Whether `tables` and `columns` are gathered: finding every table a statement names
    /// walks its whole tree, which only the seeded drill needs ([`Touches::with_names`]).
    names: bool,
    /// How many statements were added.
    count: usize,
}

impl Touches {
    /// What `statements` create and add (`tables` and `columns` stay empty).
    pub fn of<'a>(statements: impl IntoIterator<Item = &'a NodeEnum>) -> Self {
        Touches::default().adding(statements)
    }

    /// [`Touches::of`], with the tables and columns the statements name.
    pub fn with_names<'a>(statements: impl IntoIterator<Item = &'a NodeEnum>) -> Self {
        let names = Touches {
            names: true,
            ..Touches::default()
        };
        names.adding(statements)
    }

    fn adding<'a>(mut self, statements: impl IntoIterator<Item = &'a NodeEnum>) -> Self {
        for node in statements {
            self.add(node);
        }
        self
    }

    /// Adds the next statement of the migration.
    pub fn add(&mut self, node: &NodeEnum) {
        let index = self.count;
        self.count += 1;
        match node {
            NodeEnum::CreateStmt(c) => {
                if let Some(rv) = &c.relation {
                    self.creates_table(QName::from_range_var(rv), c.if_not_exists);
                }
                self.names_tables(node);
            }
            NodeEnum::CreateTableAsStmt(c) => {
                if let Some(rv) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                    self.creates_table(QName::from_range_var(rv), c.if_not_exists);
                }
                self.names_tables(node);
            }
            NodeEnum::AlterTableStmt(a) => self.alter_table(a, index),
            NodeEnum::RenameStmt(r) => self.rename(r),
            NodeEnum::IndexStmt(_) => {}
            NodeEnum::DropStmt(d) if d.remove_type == pb::ObjectType::ObjectTable as i32 => {
                for object in &d.objects {
                    if let Some(NodeEnum::List(list)) = &object.node {
                        self.dropped.insert(QName::from_name_nodes(&list.items));
                    }
                }
                self.names_tables(node);
            }
            // The SQL a block runs names its tables inside a string: read the block.
            NodeEnum::DoStmt(block) if self.names => match super::plpgsql::do_body(block) {
                Ok(body) => {
                    for (_, statement) in &body.statements {
                        self.names_tables(statement);
                    }
                }
                Err(_) => self.any_table = true,
            },
            other => self.names_tables(other),
        }
    }

    /// Whether the migration creates `table`; `existed_before` answers for a creation
    /// `IF NOT EXISTS` (a reader that cannot tell should answer `true`: then no rule assumes
    /// that the undo drops a table that was there before).
    pub fn creates(&self, table: &QName, existed_before: impl FnOnce(&QName) -> bool) -> bool {
        self.created.contains(table)
            || (self.created_if_absent.contains(table) && !existed_before(table))
    }

    /// Whether `table` stands before the migration and after it, as far as its statements
    /// show: no `CREATE TABLE` (even `IF NOT EXISTS`) and no `DROP TABLE` of it. Then its undo
    /// works on a table in use, neither dropping it (index and all) nor recreating it empty.
    pub fn keeps_table(&self, table: &QName) -> bool {
        !self.created.contains(table)
            && !self.created_if_absent.contains(table)
            && !self.dropped.contains(table)
    }

    /// Whether the migration renames `table`, renames another table to its name, or renames
    /// one of its columns.
    pub fn renames(&self, table: &QName) -> bool {
        self.renamed.contains(table)
    }

    /// The first statement (counted from 0) that adds `column` to `table`, if one does.
    pub fn adds_column(&self, table: &QName, column: &str) -> Option<usize> {
        self.added_columns
            .get(&(table.clone(), column.to_string()))
            .copied()
    }

    /// The columns added, as (table, column).
    pub fn added_columns(&self) -> impl Iterator<Item = &(QName, String)> {
        self.added_columns.keys()
    }

    /// Whether the migration may change the data of `column` of `table` (`None`: its rows).
    pub fn may_change(&self, table: &QName, column: Option<&str>) -> bool {
        self.any_table
            || self.tables.contains(table)
            || column.is_some_and(|c| self.columns.contains(&(table.clone(), c.to_string())))
    }

    fn creates_table(&mut self, table: QName, if_not_exists: bool) {
        if if_not_exists {
            self.created_if_absent.insert(table);
        } else {
            self.created.insert(table);
        }
    }

    fn names_tables(&mut self, node: &NodeEnum) {
        if !self.names {
            return;
        }
        let node = pb::Node {
            node: Some(node.clone()),
        };
        self.tables.extend(relation_refs(&node));
    }

    fn alter_table(&mut self, a: &pb::AlterTableStmt, index: usize) {
        let Some(rv) = &a.relation else { return };
        let table = QName::from_range_var(rv);
        for cmd in &a.cmds {
            let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                continue;
            };
            if let Some(NodeEnum::ColumnDef(c)) = cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
                if cmd.subtype == pb::AlterTableType::AtAddColumn as i32 {
                    self.added_columns
                        .entry((table.clone(), c.colname.clone()))
                        .or_insert(index);
                }
            }
            if !self.names {
                continue;
            }
            let mut names = Vec::new();
            if !cmd.name.is_empty() {
                names.push(cmd.name.clone());
            }
            if let Some(def) = cmd.def.as_deref() {
                if let Some(NodeEnum::ColumnDef(c)) = &def.node {
                    names.push(c.colname.clone());
                }
                names.extend(column_refs(def));
            }
            for name in names {
                self.columns.insert((table.clone(), name));
            }
        }
    }

    fn rename(&mut self, r: &pb::RenameStmt) {
        let Some(rv) = r.relation.as_ref() else {
            return;
        };
        let table = QName::from_range_var(rv);
        if r.rename_type == pb::ObjectType::ObjectTable as i32 {
            self.renamed.insert(table.sibling(&r.newname));
        }
        self.renamed.insert(table.clone());
        if !self.names {
            return;
        }
        if r.rename_type == pb::ObjectType::ObjectColumn as i32 {
            self.columns.insert((table.clone(), r.subname.clone()));
            self.columns.insert((table, r.newname.clone()));
        } else if r.rename_type == pb::ObjectType::ObjectTable as i32 {
            self.tables.insert(table.sibling(&r.newname));
            self.tables.insert(table);
        }
    }
}

#[cfg(test)]
impl Touches {
    /// What the statements of a migration's text touch, with names ([`Touches::with_names`]).
    pub(crate) fn of_sql(sql: &str) -> Touches {
        let statements =
            crate::sql::parse_file(std::path::Path::new("m.sql"), sql).expect("parses");
        Touches::with_names(statements.iter().map(|s| &s.node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str) -> QName {
        QName::new(crate::sql::names::DEFAULT_SCHEMA, name)
    }

    #[test]
    fn a_table_is_kept_unless_the_migration_creates_or_drops_it() {
        let t = Touches::of_sql(
            "CREATE TABLE a (id int);
             CREATE TABLE IF NOT EXISTS b (id int);
             DROP TABLE c, public.d;
             CREATE INDEX ON e (id);",
        );
        for gone in ["a", "b", "c", "d"] {
            assert!(!t.keeps_table(&q(gone)), "{gone}");
        }
        assert!(t.keeps_table(&q("e")));
    }

    #[test]
    fn creations_count_create_table_as_and_if_not_exists_only_where_the_table_was_absent() {
        let t = Touches::of_sql(
            "CREATE TABLE a (id int);
             CREATE TABLE b AS SELECT 1 AS x;
             CREATE MATERIALIZED VIEW m AS SELECT 1 AS x;
             CREATE TABLE IF NOT EXISTS c (id int);",
        );
        assert!(t.creates(&q("a"), |_| true));
        assert!(t.creates(&q("b"), |_| true));
        assert!(t.creates(&q("m"), |_| true));
        assert!(!t.creates(&q("c"), |_| true));
        assert!(t.creates(&q("c"), |_| false));
        assert!(!t.creates(&q("z"), |_| false));
    }

    #[test]
    fn added_columns_keep_their_first_statement_and_named_columns_are_touched() {
        let t = Touches::of_sql(
            "ALTER TABLE a ADD COLUMN x int;
             UPDATE a SET x = 1;
             ALTER TABLE b ADD COLUMN y int, ADD COLUMN x int DEFAULT 0;
             ALTER TABLE a RENAME COLUMN v TO w;
             CREATE INDEX i ON c (z);",
        );
        assert_eq!(t.adds_column(&q("a"), "x"), Some(0));
        assert_eq!(t.adds_column(&q("b"), "x"), Some(2));
        assert_eq!(t.adds_column(&q("a"), "w"), None);
        assert!(t.may_change(&q("a"), None), "the UPDATE names the table");
        assert!(t.may_change(&q("b"), Some("y")) && !t.may_change(&q("b"), Some("q")));
        assert!(t.may_change(&q("a"), Some("v")) && t.may_change(&q("a"), Some("w")));
        assert!(
            !t.may_change(&q("c"), Some("z")),
            "an index changes no data"
        );
    }
}
