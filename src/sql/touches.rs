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
    /// The first statement whose data effects its text does not bound (gathered with `names`
    /// only; see [`Touches::data_reach`]), and why.
    unbounded: Option<&'static str>,
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

    /// Touches of statements whose data effects are not known (a file that does not parse):
    /// their [`Touches::data_reach`] is any table, for `why`.
    pub fn any(why: &'static str) -> Self {
        Touches {
            names: true,
            unbounded: Some(why),
            ..Touches::default()
        }
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
        if self.names && self.unbounded.is_none() {
            self.unbounded = unbounded(node);
        }
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

    /// Which tables' data the statements may change, as far as their text shows: every table
    /// they name in any way, or any table at all. What the server adds to that (foreign keys
    /// that cascade, inheritance, triggers, functions) only the live database knows
    /// (`rows::reach`). Needs the names ([`Touches::with_names`]).
    pub fn data_reach(&self) -> DataReach<'_> {
        if let Some(why) = self.unbounded {
            return DataReach::Any(why);
        }
        if self.any_table {
            return DataReach::Any("a DO block whose code unmigrate cannot follow");
        }
        let columns = self.columns.iter().map(|(t, _)| t);
        let added = self.added_columns.keys().map(|(t, _)| t);
        let named = (self.tables.iter())
            .chain(&self.created)
            .chain(&self.created_if_absent)
            .chain(&self.dropped)
            .chain(&self.renamed)
            .chain(columns)
            .chain(added)
            .collect();
        DataReach::Tables {
            named,
            written: self.tables.iter().collect(),
        }
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

/// Which tables' data a migration may change, as far as its statements' text shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataReach<'a> {
    /// Any table, and why the text does not bound it.
    Any(&'static str),
    /// Only these tables (by name, in any schema), and what the server joins to them.
    Tables {
        /// Every table named.
        named: BTreeSet<&'a QName>,
        /// The tables whose rows a statement may write (not only through `ALTER TABLE`,
        /// renames or `CREATE INDEX`): a delete or update there may cascade through foreign
        /// keys.
        written: BTreeSet<&'a QName>,
    },
}

/// Settings a migration may `SET` without changing how any value prints (`TimeZone`,
/// `DateStyle`, `search_path` and the like change what a value or a name reads as).
const HARMLESS_SETTINGS: &[&str] = &[
    "lock_timeout",
    "statement_timeout",
    "idle_in_transaction_session_timeout",
    "client_min_messages",
    "maintenance_work_mem",
    "work_mem",
    "max_parallel_maintenance_workers",
    "check_function_bodies",
    "application_name",
    "synchronous_commit",
    "client_encoding",
    "standard_conforming_strings",
];

/// Why `node` may change the data of tables it does not name, or `None` when it changes only
/// tables it names (plus what the server joins to them: see [`DataReach::Tables`]). Statement
/// kinds not listed here are unbounded: a new kind is judged before it is trusted.
fn unbounded(node: &NodeEnum) -> Option<&'static str> {
    use pb::DropBehavior::DropCascade;
    let cascade = |behavior: i32| behavior == DropCascade as i32;
    match node {
        NodeEnum::CreateStmt(_)
        | NodeEnum::CreateTableAsStmt(_)
        | NodeEnum::IndexStmt(_)
        | NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_)
        | NodeEnum::SelectStmt(_)
        | NodeEnum::CopyStmt(_)
        | NodeEnum::CreateEnumStmt(_)
        | NodeEnum::CreateDomainStmt(_)
        | NodeEnum::AlterDomainStmt(_)
        | NodeEnum::CompositeTypeStmt(_)
        | NodeEnum::CreateSeqStmt(_)
        | NodeEnum::AlterSeqStmt(_)
        | NodeEnum::CreateSchemaStmt(_)
        | NodeEnum::ViewStmt(_)
        | NodeEnum::RefreshMatViewStmt(_)
        | NodeEnum::CreateFunctionStmt(_)
        | NodeEnum::CreateTrigStmt(_)
        | NodeEnum::CreateExtensionStmt(_)
        | NodeEnum::CreatePolicyStmt(_)
        | NodeEnum::AlterPolicyStmt(_)
        | NodeEnum::CommentStmt(_)
        | NodeEnum::GrantStmt(_)
        | NodeEnum::AlterOwnerStmt(_)
        | NodeEnum::AlterDefaultPrivilegesStmt(_)
        | NodeEnum::TransactionStmt(_)
        | NodeEnum::ConstraintsSetStmt(_)
        | NodeEnum::LockStmt(_)
        | NodeEnum::VacuumStmt(_)
        | NodeEnum::ReindexStmt(_)
        | NodeEnum::ClusterStmt(_)
        | NodeEnum::DoStmt(_) => None,
        NodeEnum::AlterTableStmt(a) if a.objtype == pb::ObjectType::ObjectType as i32 => {
            Some("ALTER TYPE of a composite type (its values print differently)")
        }
        NodeEnum::AlterTableStmt(a) => {
            let cascades = a.cmds.iter().any(|c| match &c.node {
                Some(NodeEnum::AlterTableCmd(cmd)) => cascade(cmd.behavior),
                _ => false,
            });
            cascades.then_some("ALTER TABLE … CASCADE")
        }
        NodeEnum::DropStmt(d) if cascade(d.behavior) => Some("DROP … CASCADE"),
        NodeEnum::DropStmt(d)
            if [pb::ObjectType::ObjectType, pb::ObjectType::ObjectDomain]
                .iter()
                .any(|&t| d.remove_type == t as i32) =>
        {
            None
        }
        NodeEnum::DropStmt(d) => {
            let bounded = [
                pb::ObjectType::ObjectTable,
                pb::ObjectType::ObjectIndex,
                pb::ObjectType::ObjectSequence,
                pb::ObjectType::ObjectView,
                pb::ObjectType::ObjectMatview,
            ];
            let kind = bounded.iter().any(|&t| d.remove_type == t as i32);
            (!kind).then_some("a DROP of a function, trigger, rule or other object")
        }
        NodeEnum::TruncateStmt(t) if cascade(t.behavior) => Some("TRUNCATE … CASCADE"),
        NodeEnum::TruncateStmt(_) => None,
        NodeEnum::RenameStmt(r) => {
            let schema = r.rename_type == pb::ObjectType::ObjectSchema as i32;
            schema.then_some("a schema rename")
        }
        NodeEnum::AlterEnumStmt(e) => {
            let renames = !e.old_val.is_empty();
            renames.then_some("an enum value rename (every value of it prints differently)")
        }
        NodeEnum::VariableSetStmt(v) => {
            let harmless = HARMLESS_SETTINGS.contains(&v.name.to_ascii_lowercase().as_str());
            (!harmless).then_some("a SET of a setting that changes how values or names read")
        }
        _ => Some("a statement whose data effects unmigrate does not bound"),
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

    #[test]
    fn data_reach_is_the_tables_named_unless_a_statement_is_unbounded() {
        let t = Touches::of_sql(
            "SET lock_timeout = '5s';
             CREATE TABLE a (id int);
             ALTER TABLE b ADD COLUMN x int;
             ALTER TABLE c RENAME TO d;
             UPDATE e SET y = 1;
             CREATE INDEX ON f (id);
             RESET lock_timeout;",
        );
        let DataReach::Tables { named, written } = t.data_reach() else {
            panic!("bounded: {:?}", t.data_reach());
        };
        let names: Vec<&str> = named.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"], "an index changes no data");
        let written: Vec<&str> = written.iter().map(|q| q.name.as_str()).collect();
        // A renamed table's rows move to the other name; ALTER TABLE writes no rows.
        assert_eq!(written, ["a", "c", "d", "e"]);
        for unbounded in [
            "DROP TABLE a CASCADE",
            "TRUNCATE a CASCADE",
            "ALTER TABLE a DROP COLUMN x CASCADE",
            "SET TimeZone = 'UTC'",
            "SET search_path = other",
            "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'",
            "ALTER TYPE pair ADD ATTRIBUTE z int",
            "DROP FUNCTION f()",
            "DROP TRIGGER t ON a",
            "CALL p()",
            "ALTER TABLE a SET SCHEMA other",
            "CREATE RULE r AS ON INSERT TO a DO INSTEAD NOTHING",
            "DO $$ BEGIN EXECUTE 'DELETE FROM a'; END $$",
        ] {
            let t = Touches::of_sql(unbounded);
            assert!(matches!(t.data_reach(), DataReach::Any(_)), "{unbounded}");
        }
        assert!(matches!(
            Touches::any("unparsed").data_reach(),
            DataReach::Any("unparsed")
        ));
    }
}
