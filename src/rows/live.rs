//! The user tables of a live database, read from `pg_catalog`: what seeding and fingerprints
//! need to know about them. Read from the server, never from the history model, so that
//! seeding works for any schema, whatever statements built it.

use std::collections::BTreeMap;

use postgres::Client;

pub use super::partitions::Partitions;
use crate::sql::quote::Ident;
use crate::sql::QName;

/// One user table as the server has it.
#[derive(Debug, Clone)]
pub struct LiveTable {
    pub oid: u32,
    pub name: QName,
    /// `FROM ONLY "s"."t"` for a plain table (inheritance children are counted on their own),
    /// `FROM "s"."t"` for a partitioned one (its rows live in its partitions).
    pub from: String,
    pub columns: Vec<LiveColumn>,
    /// Attribute numbers of the columns in any unique index (key or expression).
    pub unique: Vec<i16>,
    /// Each unique index (or, from [`super::hints`], one a later migration adds).
    pub unique_keys: Vec<UniqueKey>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Attribute numbers of the columns that CHECK constraints mention.
    pub checked: Vec<i16>,
    pub checks: Vec<LiveCheck>,
    /// For a partitioned table: that it has no partition, or a key value one of them takes
    /// (see `rows/partitions.rs`).
    pub partitions: Option<Partitions>,
}

/// One unique index: the columns its keys and expressions use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueKey {
    pub name: String,
    /// Empty for an index on constant expressions only (`CREATE UNIQUE INDEX … ((true))`):
    /// the table holds one row at most.
    pub columns: Vec<i16>,
    /// A partial index (`WHERE …`) limits only some rows.
    pub partial: bool,
}

/// One CHECK constraint.
#[derive(Debug, Clone)]
pub struct LiveCheck {
    pub name: String,
    /// As `pg_get_constraintdef` shows it: `CHECK ((price > 0))`.
    pub definition: String,
    pub columns: Vec<i16>,
}

#[derive(Debug, Clone)]
pub struct LiveColumn {
    pub attnum: i16,
    pub name: String,
    /// The column's type as SQL (`format_type`): `character varying(20)`, `"Role"[]`.
    pub type_sql: String,
    pub not_null: bool,
    pub has_default: bool,
    /// Identity, generated, or filled from a sequence (`serial`): PostgreSQL fills it, and a
    /// value given for it would either be refused or leave the sequence behind.
    pub filled_by_server: bool,
    /// The type that values are generated for (a domain's base type, an array's element).
    pub base: BaseType,
    pub is_array: bool,
}

/// What value generation needs to know about a (base or element) type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseType {
    /// `typname`: `int4`, `varchar`, `uuid`…
    pub name: String,
    /// The type as SQL, for casts (enum names are quoted and qualified as needed).
    pub sql: String,
    /// `typcategory`: `S` string, `N` numeric, `E` enum…
    pub category: char,
    /// The type modifier (`varchar(20)` → 24), -1 when none.
    pub typmod: i32,
    /// Number of labels, for an enum.
    pub enum_labels: i64,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub name: String,
    /// Attribute numbers in this table, paired with the referenced columns' names.
    pub columns: Vec<i16>,
    pub parent: u32,
    pub parent_columns: Vec<String>,
    /// Not in the live table: declared by a later migration of the history (see
    /// [`super::hints`]). Followed when the parent has rows, ignored otherwise.
    pub hinted: bool,
}

/// Schemas that never hold user data: the system's, and the drill's own.
pub(super) const SKIPPED_SCHEMAS: &str = "('pg_catalog', 'information_schema', 'unmigrate_drill')";

/// Whether `pg_class c`, joined to its `pg_namespace n`, is a user table: a table or
/// partitioned table (not a partition: its rows count in its parent) in a user schema, not
/// temporary, not an extension's, and not the migration runner's bookkeeping table (named by
/// the setting `unmigrate.bookkeeping`, see [`crate::drill::BOOKKEEPING_SETTING`]; Prisma's
/// without it).
pub(super) fn user_table_sql() -> String {
    format!(
        "c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't' \
         AND n.nspname NOT IN {SKIPPED_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_%' \
         AND NOT (c.relname = coalesce(current_setting('unmigrate.bookkeeping', true), \
                                       '_prisma_migrations') \
                  AND n.nspname = current_schema()) \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                           AND d.objid = c.oid AND d.deptype = 'e')"
    )
}

pub(super) fn tables_sql() -> String {
    format!(
        "SELECT c.oid, n.nspname, c.relname, c.relkind = 'p' \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE {} ORDER BY n.nspname, c.relname",
        user_table_sql()
    )
}

/// Columns of the given tables with their base types (one level of domain, one of array).
const COLUMNS_SQL: &str = "\
SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
       a.atthasdef, \
       a.attidentity <> '' OR a.attgenerated <> '' \
         OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false), \
       b.typcategory = 'A', \
       e.typname, format_type(e.oid, CASE WHEN b.typcategory = 'A' THEN -1 \
                                      ELSE coalesce(nullif(t.typtypmod, -1), a.atttypmod) END), \
       e.typcategory::text, \
       CASE WHEN b.typcategory = 'A' THEN a.atttypmod ELSE coalesce(nullif(t.typtypmod, -1), a.atttypmod) END, \
       (SELECT count(*) FROM pg_enum en WHERE en.enumtypid = e.oid) \
  FROM pg_attribute a \
  JOIN pg_type t ON t.oid = a.atttypid \
  JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
  JOIN pg_type e ON e.oid = CASE WHEN b.typcategory = 'A' THEN b.typelem ELSE b.oid END \
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
 WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
 ORDER BY a.attrelid, a.attnum";

/// Unique indexes with the columns they use: key columns, and the columns expressions use
/// (from pg_depend).
const UNIQUE_SQL: &str = "\
SELECT i.indrelid, c.relname, i.indpred IS NOT NULL, \
       ARRAY(SELECT k.attnum FROM unnest(i.indkey::int2[]) AS k(attnum) WHERE k.attnum > 0 \
             UNION \
             SELECT d.refobjsubid::int2 FROM pg_depend d \
              WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid \
                AND d.refclassid = 'pg_class'::regclass AND d.refobjid = i.indrelid \
                AND d.refobjsubid > 0) \
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
 WHERE i.indisunique AND i.indrelid = ANY($1) \
 ORDER BY i.indrelid, c.relname";

const CONSTRAINTS_SQL: &str = "\
SELECT c.conrelid, c.contype::text, c.conname, c.conkey, c.confrelid, \
       coalesce((SELECT array_agg(a.attname ORDER BY k.ord) \
                   FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord) \
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum), '{}'), \
       pg_get_constraintdef(c.oid) \
  FROM pg_constraint c \
 WHERE c.conrelid = ANY($1) AND c.contype IN ('f', 'c') \
 ORDER BY c.conrelid, c.conname";

/// Every user table, in schema and name order, with what seeding needs to know.
pub fn user_tables(client: &mut Client) -> Result<Vec<LiveTable>, postgres::Error> {
    let mut tables: Vec<LiveTable> = client
        .query(&tables_sql(), &[])?
        .iter()
        .map(|row| {
            let name = QName::new(row.get(1), row.get(2));
            let only = if row.get::<_, bool>(3) { "" } else { "ONLY " };
            LiveTable {
                oid: row.get(0),
                from: format!("{only}{}", qualified(&name)),
                name,
                columns: Vec::new(),
                unique: Vec::new(),
                unique_keys: Vec::new(),
                foreign_keys: Vec::new(),
                checked: Vec::new(),
                checks: Vec::new(),
                partitions: None,
            }
        })
        .collect();
    if tables.is_empty() {
        return Ok(tables);
    }
    let oids: Vec<u32> = tables.iter().map(|t| t.oid).collect();
    let index: BTreeMap<u32, usize> = oids.iter().enumerate().map(|(i, o)| (*o, i)).collect();
    for row in client.query(COLUMNS_SQL, &[&oids])? {
        let table = &mut tables[index[&row.get::<_, u32>(0)]];
        table.columns.push(LiveColumn {
            attnum: row.get(1),
            name: row.get(2),
            type_sql: row.get(3),
            not_null: row.get(4),
            has_default: row.get(5),
            filled_by_server: row.get(6),
            is_array: row.get(7),
            base: BaseType {
                name: row.get(8),
                sql: row.get(9),
                category: row.get::<_, String>(10).chars().next().unwrap_or('X'),
                typmod: row.get(11),
                enum_labels: row.get(12),
            },
        });
    }
    for row in client.query(UNIQUE_SQL, &[&oids])? {
        let table = &mut tables[index[&row.get::<_, u32>(0)]];
        let key = UniqueKey {
            name: row.get(1),
            partial: row.get(2),
            columns: row.get(3),
        };
        for &attnum in &key.columns {
            if !table.unique.contains(&attnum) {
                table.unique.push(attnum);
            }
        }
        table.unique_keys.push(key);
    }
    for row in client.query(CONSTRAINTS_SQL, &[&oids])? {
        let table = &mut tables[index[&row.get::<_, u32>(0)]];
        let kind: String = row.get(1);
        let columns: Vec<i16> = row.get::<_, Option<Vec<i16>>>(3).unwrap_or_default();
        if kind == "c" {
            table.checked.extend(&columns);
            table.checks.push(LiveCheck {
                name: row.get(2),
                definition: row.get(6),
                columns,
            });
        } else {
            table.foreign_keys.push(ForeignKey {
                name: row.get(2),
                columns,
                parent: row.get(4),
                parent_columns: row.get(5),
                hinted: false,
            });
        }
    }
    for (oid, partitions) in super::partitions::of_tables(client, &oids)? {
        tables[index[&oid]].partitions = Some(partitions);
    }
    Ok(tables)
}

/// `TRUNCATE … CASCADE` of `tables`: the rows go, the schema stays (`None` for no table).
pub fn truncate_sql(tables: &[LiveTable]) -> Option<String> {
    if tables.is_empty() {
        return None;
    }
    let names: Vec<String> = tables.iter().map(|t| qualified(&t.name)).collect();
    Some(format!("TRUNCATE {} CASCADE", names.join(", ")))
}

/// `"schema"."name"`, always qualified, for SQL the drill writes itself.
pub fn qualified(name: &QName) -> String {
    format!("{}.{}", Ident(&name.schema), Ident(&name.name))
}

/// A single-quoted string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
