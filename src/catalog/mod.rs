//! The schema model: what the migrations before a statement have built, folded from parse
//! trees. Values that undo rules re-emit (types, defaults, constraint and index definitions)
//! are kept as parse-tree values, packed (see [`Packed`]), so they can be deparsed back
//! faithfully without the model growing with the size of the trees.

mod around;
pub use around::names_in;
mod columns;
mod comments;
mod fold;
mod implicit;
mod links;
mod moves;
mod packed;
pub use fold::{
    function_identity, function_key, in_run_order, index_columns, object_qname, rename_object_qname,
};
mod renamed_in_views;
mod stars;
mod temporary;
mod using_index;
mod views;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::sql::{pb, QName};

use crate::sql::refs::{column_refs, relation_refs};
pub use columns::Columns;
pub use implicit::{nextval_target, serial_over, Implicit};
pub use moves::{copies_in, ColumnCopy, Moves};
pub use packed::Packed;
pub use temporary::RelationUse;

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub schemas: BTreeSet<String>,
    /// Shared (copy on write): a copy of part of the model ([`Catalog::around`]) takes its
    /// tables without copying them.
    pub tables: BTreeMap<QName, Arc<Table>>,
    pub indexes: BTreeMap<QName, Index>,
    pub enums: BTreeMap<QName, EnumType>,
    pub sequences: BTreeMap<QName, Sequence>,
    pub views: BTreeMap<QName, View>,
    pub extensions: BTreeMap<String, Packed<pb::CreateExtensionStmt>>,
    /// Keyed by the function's qualified name and argument types, as written.
    pub functions: BTreeMap<String, Packed<pb::CreateFunctionStmt>>,
    pub triggers: BTreeMap<(QName, String), Packed<pb::CreateTrigStmt>>,
    /// Comments set with `COMMENT ON`, keyed by a description of the object.
    pub comments: BTreeMap<String, String>,
    /// Temporary relations (tables, views, sequences, indexes on them) created by the
    /// migration being folded, by name. They live in the session's own schema and vanish
    /// with it, so the persistent schema the model describes never holds them.
    pub temporary: BTreeSet<String>,
    /// Tables that have, or once had, a column whose type's last name is the key: a superset
    /// that lets [`Catalog::columns_of_type`] read those tables only, not every column of
    /// the schema (it is asked for every enum change).
    type_users: HashMap<String, links::Names>,
    /// What points at each table (see `links.rs`).
    links: links::Links,
    /// Columns the migration being folded copied into others (see [`Moves`]).
    pub moves: Moves,
    /// Composite types (`CREATE TYPE … AS (…)`), as created.
    pub composites: BTreeMap<QName, Packed<pb::CompositeTypeStmt>>,
    /// Types created by statements the model does not follow (domains, ranges, a composite
    /// type changed by `ALTER TYPE`): a `DROP TYPE IF EXISTS` of one is not a drop of nothing.
    pub untracked_types: BTreeSet<QName>,
    /// Set on a copy of part of a model ([`Catalog::around`]): tables it lacks may exist.
    partial: bool,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: QName,
    pub columns: Columns,
    pub constraints: Vec<Constraint>,
    /// The `CREATE TABLE` options besides columns and constraints (partitioning, `UNLOGGED`,
    /// storage options), kept to recreate the table as it was.
    pub shape: Packed<pb::CreateStmt>,
    /// Set when the table came from a statement whose columns the model cannot know
    /// (`CREATE TABLE … AS`, `PARTITION OF`, `LIKE`, inheritance).
    pub opaque: Option<String>,
}

/// A column as the model knows it; its parse-tree parts are packed (a table may have
/// thousands of columns, and every one is kept for the whole history).
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_name: Packed<pb::TypeName>,
    pub default: Option<Packed<pb::Node>>,
    pub not_null: bool,
    /// `GENERATED … AS IDENTITY` or `GENERATED ALWAYS AS (…) STORED`, as parsed.
    pub generated: Option<Packed<pb::Constraint>>,
    pub collation: Option<Packed<pb::CollateClause>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
    Exclusion,
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// The definition as parsed, with `conname` and key columns filled in; for a foreign
    /// key the referenced table is taken from `references` when rendering.
    pub def: Packed<pb::Constraint>,
    /// Columns of this table that the constraint covers or mentions.
    pub columns: Vec<String>,
    /// For a foreign key: the referenced table and columns.
    pub references: Option<(QName, Vec<String>)>,
    pub not_valid: bool,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: QName,
    pub table: QName,
    /// The `CREATE INDEX` statement with its name filled in (never concurrent, never
    /// `IF NOT EXISTS`); the relation is taken from `table` when rendering.
    pub stmt: Packed<pb::IndexStmt>,
    /// Columns of the table the index key, predicate or INCLUDE list mentions.
    pub columns: Vec<String>,
    /// The constraint this index implements (primary key, unique, exclusion), if any.
    pub constraint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EnumType {
    pub name: QName,
    pub values: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Sequence {
    pub name: QName,
    pub stmt: Packed<pb::CreateSeqStmt>,
    pub owned_by: Option<(QName, String)>,
    /// Set when PostgreSQL created the sequence for the `owned_by` column (a serial or
    /// identity column), not a `CREATE SEQUENCE`: see `implicit.rs`.
    pub implicit: Option<Implicit>,
}

#[derive(Debug, Clone)]
pub struct View {
    pub name: QName,
    pub definition: ViewDefinition,
    /// Relations the query reads from.
    pub reads: Vec<QName>,
    /// Why the definition cannot be replayed as recorded (a `*` the model could not expand).
    pub not_replayable: Option<String>,
}

#[derive(Debug, Clone)]
pub enum ViewDefinition {
    View(Packed<pb::ViewStmt>),
    Materialized(Packed<pb::CreateTableAsStmt>),
}

impl Catalog {
    /// Whether the model knows no table at all: a lone file explained without its history,
    /// where any table may exist. A copy of part of a model knows the rest exists.
    pub fn knows_nothing(&self) -> bool {
        self.tables.is_empty() && !self.partial
    }

    pub fn table(&self, name: &QName) -> Option<&Table> {
        self.tables.get(name).map(Arc::as_ref)
    }

    /// The table, to change: its own copy if a copy of the model shares it.
    pub(crate) fn table_mut(&mut self, name: &QName) -> Option<&mut Table> {
        self.tables.get_mut(name).map(Arc::make_mut)
    }

    /// Whether a relation-like object (table, index, sequence, view) holds this name; they
    /// share one namespace per schema in PostgreSQL.
    pub fn relation_exists(&self, name: &QName) -> bool {
        self.tables.contains_key(name)
            || self.indexes.contains_key(name)
            || self.sequences.contains_key(name)
            || self.views.contains_key(name)
    }

    /// Indexes on `table`, in name order.
    pub fn indexes_on<'a>(&'a self, table: &'a QName) -> impl Iterator<Item = &'a Index> + 'a {
        self.links
            .indexes(table)
            .iter()
            .filter_map(|name| self.indexes.get(name))
            .filter(move |i| &i.table == table)
    }

    /// Foreign keys of other tables (and self-references) that point at `table`.
    pub fn foreign_keys_into<'a>(
        &'a self,
        table: &'a QName,
    ) -> impl Iterator<Item = (&'a Table, &'a Constraint)> + 'a {
        let referrers = self.links.referrers(table).iter();
        referrers
            .filter_map(|name| self.table(name))
            .flat_map(move |t| {
                t.constraints
                    .iter()
                    .filter(move |c| matches!(&c.references, Some((target, _)) if target == table))
                    .map(move |c| (t, c))
            })
    }

    /// Columns (table, column) whose type is `enum_name` or an array of it.
    pub fn columns_of_type<'a>(
        &'a self,
        type_name: &'a QName,
    ) -> impl Iterator<Item = (&'a Table, &'a Column)> + 'a {
        let users = self.type_users.get(&type_name.name).into_iter().flatten();
        users
            .filter_map(|name| self.table(name))
            .flat_map(move |t| {
                t.columns
                    .iter()
                    .filter(move |c| type_name.is_named_by(&c.type_name.unpack().names))
                    .map(move |c| (t, c))
            })
    }

    /// Views whose query reads `relation`.
    pub fn views_reading<'a>(&'a self, relation: &'a QName) -> impl Iterator<Item = &'a View> + 'a {
        self.views
            .values()
            .filter(move |v| v.reads.contains(relation))
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.get(name)
    }

    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.name == name)
    }

    /// Whether the table is partitioned (`PARTITION BY`): its indexes have no `CONCURRENTLY`
    /// form, and some `NOT VALID` forms do not exist for it.
    pub fn is_partitioned(&self) -> bool {
        self.shape.unpack().partspec.is_some()
    }

    pub fn primary_key(&self) -> Option<&Constraint> {
        self.constraints
            .iter()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
    }
}

impl Constraint {
    /// For a foreign key: whether an `UPDATE` of the referenced key fires an action here
    /// (anything but `NO ACTION` and `RESTRICT`).
    pub fn cascades_updates(&self) -> bool {
        !matches!(self.def.unpack().fk_upd_action.as_str(), "a" | "r")
    }
}

#[cfg(test)]
impl Catalog {
    /// The model after folding `sql`, for tests.
    pub(crate) fn folded(sql: &str) -> Catalog {
        let mut catalog = Catalog::default();
        for s in crate::sql::parse_file(std::path::Path::new("t.sql"), sql).expect("parses") {
            catalog.apply(s.node);
        }
        catalog
    }
}

impl Column {
    /// Whether the column's type is an array (`T[]`).
    pub fn is_array(&self) -> bool {
        !self.type_name.unpack().array_bounds.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql;

    fn fold(sql_text: &str) -> Catalog {
        Catalog::folded(sql_text)
    }

    fn users(catalog: &Catalog, type_name: &str) -> Vec<String> {
        let name = QName::new(sql::names::DEFAULT_SCHEMA, type_name);
        catalog
            .columns_of_type(&name)
            .map(|(t, c)| format!("{}.{}.{}", t.name.schema, t.name.name, c.name))
            .collect()
    }

    #[test]
    fn columns_of_a_type_follow_renames_retypes_and_drops() {
        let catalog = fold(
            "CREATE TYPE e AS ENUM ('a');
             CREATE TABLE z (x e, y int);
             CREATE TABLE b (x int);
             ALTER TABLE b ALTER COLUMN x TYPE e USING 'a';
             ALTER TABLE z RENAME TO a;
             CREATE TABLE c (x e);
             DROP TABLE c;
             CREATE TABLE c (x int);
             CREATE SCHEMA s;
             CREATE TABLE s.t (x e);
             ALTER SCHEMA s RENAME TO r;",
        );
        assert_eq!(users(&catalog, "e"), ["public.a.x", "public.b.x", "r.t.x"]);
        let renamed =
            fold("CREATE TYPE e AS ENUM ('a'); CREATE TABLE t (x e); ALTER TYPE e RENAME TO f;");
        assert!(users(&renamed, "e").is_empty());
        assert_eq!(users(&renamed, "f"), ["public.t.x"]);
    }

    #[test]
    fn an_unnamed_unique_index_is_named_like_any_unnamed_index() {
        let catalog = fold(
            "CREATE TABLE t (a text UNIQUE, b text);
             CREATE UNIQUE INDEX ON t (b);
             CREATE UNIQUE INDEX ON t (a);",
        );
        let names: Vec<String> = catalog.indexes.keys().map(|n| n.name.clone()).collect();
        assert_eq!(names, ["t_a_idx", "t_a_key", "t_b_idx"]);
    }

    #[test]
    fn a_composite_type_is_kept_until_alter_type_changes_it() {
        let catalog = fold(
            "CREATE TYPE a AS (x int);
             CREATE TYPE b AS (x int);
             ALTER TYPE b ADD ATTRIBUTE y text;
             CREATE TYPE c AS (x int);
             ALTER TYPE c RENAME TO d;",
        );
        let kept: Vec<&str> = catalog.composites.keys().map(|n| n.name.as_str()).collect();
        assert_eq!(kept, ["a", "d"]);
        assert!(catalog.untracked_types.contains(&QName::new("", "b")));
    }

    #[test]
    fn a_do_block_that_only_checks_leaves_the_tables_it_reads_as_they_are() {
        let catalog = fold(
            "CREATE TABLE t (id int PRIMARY KEY, c int, CONSTRAINT t_c_check CHECK (c > 0));
             CREATE TABLE u (id int);
             DO $$ DECLARE n bigint; BEGIN
               SELECT count(*) INTO n FROM t WHERE c IS NULL;
               IF n > 0 THEN RAISE EXCEPTION 'missing: %', n; END IF;
               IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 't_c_check') THEN
                 ALTER TABLE t ADD CONSTRAINT t_c_check CHECK (c > 0);
               END IF;
             END $$;
             DO $$ BEGIN UPDATE u SET id = 1; END $$;",
        );
        let t = catalog.table(&QName::new("", "t")).expect("t");
        assert_eq!(t.opaque, None);
        assert_eq!(t.constraints.len(), 2);
        assert!(catalog
            .table(&QName::new("", "u"))
            .expect("u")
            .opaque
            .is_some());
    }
}
