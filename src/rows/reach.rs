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
use crate::sql::touches::DataReach;
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
        "WITH RECURSIVE edges(parent, child, cascade) AS ( \
             SELECT confrelid, conrelid, true FROM pg_constraint \
              WHERE contype = 'f' \
                AND (confdeltype IN ('c', 'n', 'd') OR confupdtype IN ('c', 'n', 'd')) \
             UNION ALL SELECT inhparent, inhrelid, false FROM pg_inherits \
             UNION ALL SELECT inhrelid, inhparent, false FROM pg_inherits \
         ), reached(oid, written) AS ( \
             SELECT c.oid, c.relname = ANY($2) FROM pg_class c \
              WHERE c.relname = ANY($1) OR c.relname = ANY($2) \
             UNION \
             SELECT e.child, r.written FROM edges e JOIN reached r ON e.parent = r.oid \
              WHERE r.written OR NOT e.cascade \
         ), user_functions AS ({user_functions} \
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
               FROM (SELECT DISTINCT oid FROM reached) r JOIN pg_class c ON c.oid = r.oid \
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
                          JOIN calls k ON k.classid = 'pg_constraint'::regclass AND k.objid = o.oid)",
        user = live::user_table_sql(),
        user_functions = user_functions_sql(),
    )
}

/// The user-defined functions (not an extension's): `oid` and `proname`.
fn user_functions_sql() -> String {
    format!(
        "SELECT p.oid, p.proname FROM pg_proc p \
           JOIN pg_namespace n ON n.oid = p.pronamespace \
          WHERE n.nspname NOT IN {SKIPPED_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_%' \
            AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                             WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid \
                               AND d.deptype = 'e')"
    )
}

/// What code the server may run for any statement: the user-defined functions' names (lower
/// case), and whether an event trigger other than the drill's own exists.
fn server_code_sql() -> String {
    format!(
        "SELECT coalesce((SELECT array_agg(DISTINCT lower(proname)) \
                            FROM ({}) AS f), '{{}}'), \
                EXISTS (SELECT 1 FROM pg_event_trigger \
                         WHERE evtname NOT LIKE 'unmigrate\\_drill\\_%')",
        user_functions_sql()
    )
}

/// The catalog queries that widen a phase's named tables, prepared once per session: they run
/// after every phase of a seeded drill. What code the server may run for any statement is
/// kept between phases, and read again after SQL that may change it.
pub struct Widen {
    widen: Statement,
    server_code: Statement,
    known: Option<ServerCode>,
}

/// User-defined functions (lower case), and whether a user's event trigger exists.
struct ServerCode {
    functions: Vec<String>,
    event_triggers: bool,
}

impl Widen {
    /// Reads the user-defined functions and event triggers again before the next phase:
    /// SQL ran that this did not see.
    pub fn forget_code(&mut self) {
        self.known = None;
    }

    pub fn prepare(client: &mut Client) -> Result<Widen, postgres::Error> {
        Ok(Widen {
            widen: client.prepare(&widen_sql())?,
            server_code: client.prepare(&server_code_sql())?,
            known: None,
        })
    }

    /// The tables whose data SQL may have changed that names and writes the tables `named`
    /// and reads `texts`, as the live database stands after it ran.
    pub fn reach(
        &mut self,
        client: &mut Client,
        named: &DataReach<'_>,
        texts: &[&str],
    ) -> Result<Reach, postgres::Error> {
        let DataReach::Tables { named, written } = named else {
            self.known = None; // what it ran is not known: nor what it created
            return Ok(Reach::All);
        };
        let lowered: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
        // Functions and event triggers come and go with statements that say so.
        let may_change_code = ["function", "procedure", "trigger"]
            .iter()
            .any(|word| lowered.iter().any(|t| t.contains(word)));
        let code = match &self.known {
            Some(code) if !may_change_code => code,
            _ => {
                let row = client.query_one(&self.server_code, &[])?;
                self.known.insert(ServerCode {
                    functions: row.get(0),
                    event_triggers: row.get(1),
                })
            }
        };
        let calls_function =
            || (code.functions.iter()).any(|f| lowered.iter().any(|t| t.contains(f.as_str())));
        if code.event_triggers || calls_function() {
            return Ok(Reach::All);
        }
        if named.is_empty() && written.is_empty() {
            return Ok(Reach::Tables {
                found: Vec::new(),
                named: BTreeSet::new(),
            });
        }
        let names = |set: &BTreeSet<&QName>| -> Vec<String> {
            set.iter().map(|q| q.name.clone()).collect()
        };
        let (written, named) = (names(written), names(named));
        let row = client.query_one(&self.widen, &[&named, &written])?;
        if row.get::<_, bool>(1) {
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
        let named = named.into_iter().chain(written).collect();
        Ok(Reach::Tables { found, named })
    }
}
