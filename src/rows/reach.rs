//! Which tables' data a phase of a seeded drill may have changed, so that only those are
//! fingerprinted again (a fingerprint costs a query per table, and a history grows to hundreds
//! of tables while each migration names a few).
//!
//! The statements' text names tables ([`crate::sql::touches::DataReach`]); the live database
//! adds what it joins to them. A named table reaches the tables whose foreign keys into it
//! cascade (`ON DELETE CASCADE`, `SET NULL`, `SET DEFAULT`, and the same `ON UPDATE`), its
//! inheritance parents and children, and so on from those. Anything the server may run on the
//! statements' behalf makes the reach every table: a trigger or rule on a reached table, a
//! view or foreign table among them (writes through it land elsewhere), a default or CHECK of
//! one that calls a user-defined function, an event trigger other than the drill's own, or a
//! user-defined function the statements' text mentions (it may write anywhere).

use std::collections::BTreeSet;

use postgres::{Client, Statement};

use super::live::{self, SKIPPED_SCHEMAS};
use crate::sql::QName;

/// The tables whose data a phase may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    All,
    Tables {
        /// The user tables reached, as they exist now.
        found: Vec<Table>,
        /// The names (any schema) the phase named: a cached table of one of these names that
        /// is not `found` is gone (dropped, or renamed away).
        named: BTreeSet<String>,
    },
}

/// A user table as a fingerprint reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub oid: u32,
    pub name: QName,
    /// `FROM` what (see [`live::LiveTable::from`]).
    pub from: String,
    /// Its column names, in order.
    pub columns: Vec<String>,
}

impl Table {
    pub(super) fn new(
        oid: u32,
        schema: &str,
        name: &str,
        partitioned: bool,
        columns: Vec<String>,
    ) -> Table {
        let name = QName::new(schema, name);
        let only = if partitioned { "" } else { "ONLY " };
        Table {
            oid,
            from: format!("{only}{}", live::qualified(&name)),
            name,
            columns,
        }
    }
}

/// A table reached, as the widening query writes it.
#[derive(serde::Deserialize)]
struct Found {
    oid: u32,
    schema: String,
    name: String,
    partitioned: bool,
    columns: Vec<String>,
}

/// From the tables named `$1` (any schema): the user tables reached through cascading
/// foreign keys and inheritance, whether the server may run code on their behalf, and the
/// names of the user-defined functions (not an extension's), lower case.
fn widen_sql() -> String {
    format!(
        "WITH RECURSIVE edges(parent, child) AS ( \
             SELECT confrelid, conrelid FROM pg_constraint \
              WHERE contype = 'f' \
                AND (confdeltype IN ('c', 'n', 'd') OR confupdtype IN ('c', 'n', 'd')) \
             UNION ALL SELECT inhparent, inhrelid FROM pg_inherits \
             UNION ALL SELECT inhrelid, inhparent FROM pg_inherits \
         ), reached(oid) AS ( \
             SELECT c.oid FROM pg_class c WHERE c.relname = ANY($1) \
             UNION \
             SELECT e.child FROM edges e JOIN reached r ON e.parent = r.oid \
         ), user_functions AS ( \
             SELECT p.oid, p.proname FROM pg_proc p \
               JOIN pg_namespace n ON n.oid = p.pronamespace \
              WHERE n.nspname NOT IN {SKIPPED_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_%' \
                AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                                 WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid \
                                   AND d.deptype = 'e') \
         ), calls AS ( \
             SELECT d.objid, d.classid FROM pg_depend d \
              WHERE d.refclassid = 'pg_proc'::regclass \
                AND d.refobjid IN (SELECT oid FROM user_functions) \
         ), found AS ( \
             SELECT c.oid::bigint AS oid, n.nspname AS schema, c.relname AS name, \
                    c.relkind = 'p' AS partitioned, \
                    (SELECT coalesce(json_agg(a.attname ORDER BY a.attnum), '[]') \
                       FROM pg_attribute a \
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns \
               FROM reached r JOIN pg_class c ON c.oid = r.oid \
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {user} \
         ) \
         SELECT (SELECT coalesce(json_agg(found), '[]') FROM found)::text, \
                EXISTS (SELECT 1 FROM pg_trigger t JOIN reached r ON t.tgrelid = r.oid \
                         WHERE NOT t.tgisinternal) \
             OR EXISTS (SELECT 1 FROM pg_rewrite w JOIN reached r ON w.ev_class = r.oid \
                         WHERE w.rulename <> '_RETURN') \
             OR EXISTS (SELECT 1 FROM pg_class c JOIN reached r ON c.oid = r.oid \
                         WHERE c.relkind IN ('v', 'f')) \
             OR EXISTS (SELECT 1 FROM pg_attrdef a JOIN reached r ON a.adrelid = r.oid \
                          JOIN calls k ON k.classid = 'pg_attrdef'::regclass AND k.objid = a.oid) \
             OR EXISTS (SELECT 1 FROM pg_constraint o JOIN reached r ON o.conrelid = r.oid \
                          JOIN calls k ON k.classid = 'pg_constraint'::regclass AND k.objid = o.oid) \
             OR EXISTS (SELECT 1 FROM pg_event_trigger e \
                         WHERE e.evtname NOT LIKE 'unmigrate\\_drill\\_%'), \
                coalesce((SELECT array_agg(DISTINCT lower(proname)) FROM user_functions), '{{}}')",
        user = live::user_table_sql()
    )
}

/// The catalog queries that widen a phase's named tables, prepared once per session: they run
/// after every phase of a seeded drill.
pub struct Widen {
    widen: Statement,
}

impl Widen {
    pub fn prepare(client: &mut Client) -> Result<Widen, postgres::Error> {
        Ok(Widen {
            widen: client.prepare(&widen_sql())?,
        })
    }

    /// The tables whose data SQL may have changed that names the tables `named` (`None`:
    /// any table) and reads `texts`, as the live database stands after it ran.
    pub fn reach<'a>(
        &self,
        client: &mut Client,
        named: Option<impl IntoIterator<Item = &'a QName>>,
        texts: &[&str],
    ) -> Result<Reach, postgres::Error> {
        let Some(named) = named else {
            return Ok(Reach::All);
        };
        let named: BTreeSet<String> = named.into_iter().map(|q| q.name.clone()).collect();
        let names: Vec<&str> = named.iter().map(String::as_str).collect();
        let row = client.query_one(&self.widen, &[&names])?;
        let runs_code: bool = row.get(1);
        let functions: Vec<String> = row.get(2);
        let mentioned = || {
            let lowered: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
            functions
                .iter()
                .any(|f| lowered.iter().any(|t| t.contains(f.as_str())))
        };
        if runs_code || (!functions.is_empty() && mentioned()) {
            return Ok(Reach::All);
        }
        // Our own query writes the JSON; should it ever not read back, every table is read
        // (and debug builds stop: that is a bug, and a slow drill would hide it).
        let found = match serde_json::from_str::<Vec<Found>>(row.get(0)) {
            Ok(found) => found,
            Err(error) => {
                debug_assert!(false, "the tables reached do not read back: {error}");
                return Ok(Reach::All);
            }
        };
        let found = found
            .into_iter()
            .map(|t| Table::new(t.oid, &t.schema, &t.name, t.partitioned, t.columns))
            .collect();
        Ok(Reach::Tables { found, named })
    }
}
