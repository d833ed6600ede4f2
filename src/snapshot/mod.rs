//! Schema snapshots of a live database: one normalised text per object (a table with its
//! columns, constraints, indexes, triggers and comments; a view; an enum with its values in
//! order; a function…), equal for equal schemas whatever the OIDs, owners or privileges.
//!
//! Why catalog queries and not `pg_dump --schema-only`: a drill compares the schema three times
//! per migration, and a dump of a few hundred tables takes ~70 ms, longer than applying the
//! migration. So the definitions are rendered by functions installed in the scratch database
//! (`install.sql`), and event triggers record which objects each statement touched (dropped
//! objects and cascades included). After a phase only those objects, and the objects whose
//! definitions name them (views on a renamed table, tables using a renamed type), are
//! rendered again. A full render at the end of every drill checks that nothing was missed.
//!
//! Where event triggers cannot be created (a server given by URL, without superuser), every
//! comparison renders the whole schema: slower, equally strict.

mod diff;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use postgres::{Client, Statement};

pub use diff::{ObjectDiff, SchemaDiff};

/// The functions and tables the snapshot needs, in schema `unmigrate_drill` (never listed).
const INSTALL_SQL: &str = include_str!("install.sql");

/// Created after the functions, so installing them is not itself recorded. `ENABLE ALWAYS`
/// keeps them firing when a migration sets `session_replication_role = replica`.
const EVENT_TRIGGERS_SQL: &str = "\
    CREATE EVENT TRIGGER unmigrate_drill_ddl ON ddl_command_end \
        EXECUTE FUNCTION unmigrate_drill.log_ddl();\n\
    CREATE EVENT TRIGGER unmigrate_drill_drop ON sql_drop \
        EXECUTE FUNCTION unmigrate_drill.log_drop();\n\
    ALTER EVENT TRIGGER unmigrate_drill_ddl ENABLE ALWAYS;\n\
    ALTER EVENT TRIGGER unmigrate_drill_drop ENABLE ALWAYS;";

/// The schema as normalised text, one entry per object, keyed by kind and qualified name
/// (`table public."User"`). Definitions are shared, so keeping a snapshot per phase is cheap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    objects: BTreeMap<String, Arc<str>>,
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The definition of one object, by key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.objects.get(key).map(|d| &**d)
    }

    /// The whole snapshot as one text, objects in key order.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for def in self.objects.values() {
            text.push_str(def);
            text.push('\n');
        }
        text
    }

    /// Whether going from `self` to `after` does to every object what going from `from` to
    /// `to` does: an object that changes between `from` and `to` ends as `to` has it, and
    /// every other object is left as `self` has it. How one down of a rollback is judged on
    /// its own migration when earlier downs left differences behind.
    pub fn repeats_change(&self, after: &Snapshot, from: &Snapshot, to: &Snapshot) -> bool {
        let keys: std::collections::BTreeSet<&String> = [self, after, from, to]
            .into_iter()
            .flat_map(|s| s.objects.keys())
            .collect();
        keys.into_iter().all(|key| {
            let (was, is) = (from.objects.get(key), to.objects.get(key));
            let wanted = if was != is { is } else { self.objects.get(key) };
            after.objects.get(key) == wanted
        })
    }

    /// What differs between the schema as it must be (`self`) and as it is (`actual`);
    /// `None` when they are equal.
    pub fn diff(
        &self,
        actual: &Snapshot,
        expected_label: impl Into<String>,
        actual_label: impl Into<String>,
    ) -> Option<SchemaDiff> {
        let objects = diff::compare(&self.objects, &actual.objects);
        (!objects.is_empty()).then(|| SchemaDiff {
            expected_label: expected_label.into(),
            actual_label: actual_label.into(),
            objects,
        })
    }
}

/// How a [`SchemaWatcher`] keeps its snapshot up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tracking {
    /// Event triggers record what changed; only that is rendered again.
    Incremental,
    /// Everything is rendered every time (no superuser, or asked for).
    Full,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot install the snapshot functions in the scratch database: {0}")]
    Install(#[source] postgres::Error),
    #[error("cannot read the schema of the scratch database: {0}")]
    Query(#[source] postgres::Error),
}

/// The live schema of one database, kept up to date phase after phase.
pub struct SchemaWatcher {
    tracking: Tracking,
    /// Listed objects by catalog and OID, to find the key of one that was dropped or renamed.
    keys: HashMap<(u32, u32), String>,
    current: Snapshot,
    take_changes: Option<Statement>,
    render_all: Statement,
    /// SQL ran that event triggers do not report (see [`SchemaWatcher::note_applied`]): the
    /// next refresh renders everything.
    stale: bool,
}

impl SchemaWatcher {
    /// Installs the snapshot functions and takes a first full snapshot. Asks for
    /// [`Tracking::Incremental`] and falls back to full renders when event triggers cannot be
    /// created (they need superuser). Snapshots leave out the migration tool's table, named by
    /// the setting [`crate::drill::BOOKKEEPING_SETTING`].
    pub fn install(client: &mut Client, wanted: Tracking) -> Result<SchemaWatcher, SnapshotError> {
        client
            .batch_execute(INSTALL_SQL)
            .map_err(SnapshotError::Install)?;
        let mut tracking = Tracking::Full;
        if wanted == Tracking::Incremental {
            match client.batch_execute(EVENT_TRIGGERS_SQL) {
                Ok(()) => tracking = Tracking::Incremental,
                Err(e) if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) => {}
                Err(e) => return Err(SnapshotError::Install(e)),
            }
        }
        let render_all = client
            .prepare("SELECT cls, obj, key, def FROM unmigrate_drill.render_all()")
            .map_err(SnapshotError::Install)?;
        let take_changes = match tracking {
            Tracking::Incremental => Some(
                client
                    .prepare("SELECT cls, obj, key, def FROM unmigrate_drill.take_changes()")
                    .map_err(SnapshotError::Install)?,
            ),
            Tracking::Full => None,
        };
        let mut watcher = SchemaWatcher {
            tracking,
            keys: HashMap::new(),
            current: Snapshot::default(),
            take_changes,
            render_all,
            stale: false,
        };
        watcher.reset(client)?;
        Ok(watcher)
    }

    pub fn tracking(&self) -> Tracking {
        self.tracking
    }

    /// Tells the watcher what SQL was applied since the last refresh. PostgreSQL 15 and 16 run
    /// no event trigger for `REINDEX` (17 added it) nor for `CLUSTER`, yet both change what a
    /// snapshot shows: `REINDEX … CONCURRENTLY` gives the index a new identity, `CLUSTER`
    /// marks the index the table is clustered on. After SQL that may hold either, the next
    /// refresh renders the whole schema. The test is on the text, so it errs on the safe side
    /// (a comment naming them costs one full render, never a missed change).
    pub fn note_applied(&mut self, sql: &str) {
        if self.tracking == Tracking::Incremental && escapes_event_triggers(sql) {
            self.stale = true;
        }
    }

    /// Brings the snapshot up to date with the database and returns it.
    pub fn refresh(&mut self, client: &mut Client) -> Result<&Snapshot, SnapshotError> {
        if self.stale {
            if let Some(statement) = &self.take_changes {
                // Consume what the event triggers did record: the full render covers it.
                client.query(statement, &[]).map_err(SnapshotError::Query)?;
            }
            self.reset(client)?;
            self.stale = false;
            return Ok(&self.current);
        }
        match &self.take_changes {
            Some(statement) => {
                let rows = client.query(statement, &[]).map_err(SnapshotError::Query)?;
                // Forget every returned object first: a key can move from one object to
                // another in one step (rename the old type away, create the new one).
                for row in &rows {
                    let id = (row.get::<_, u32>(0), row.get::<_, u32>(1));
                    if let Some(old) = self.keys.remove(&id) {
                        self.current.objects.remove(&old);
                    }
                }
                for row in rows {
                    if let Some(key) = row.get::<_, Option<String>>(2) {
                        let id = (row.get::<_, u32>(0), row.get::<_, u32>(1));
                        let def: String = row.get(3);
                        self.current.objects.insert(key.clone(), Arc::from(def));
                        self.keys.insert(id, key);
                    }
                }
            }
            None => self.reset(client)?,
        }
        Ok(&self.current)
    }

    /// Renders the whole schema afresh, without touching the tracked snapshot's bookkeeping
    /// beyond restarting it from what is rendered.
    pub fn render_full(&mut self, client: &mut Client) -> Result<Snapshot, SnapshotError> {
        let rows = client
            .query(&self.render_all, &[])
            .map_err(SnapshotError::Query)?;
        let mut snapshot = Snapshot::default();
        self.keys.clear();
        for row in rows {
            let key: String = row.get(2);
            let def: String = row.get(3);
            self.keys
                .insert((row.get::<_, u32>(0), row.get::<_, u32>(1)), key.clone());
            snapshot.objects.insert(key, Arc::from(def));
        }
        Ok(snapshot)
    }

    fn reset(&mut self, client: &mut Client) -> Result<(), SnapshotError> {
        self.current = self.render_full(client)?;
        Ok(())
    }

    /// The snapshot as of the last refresh.
    pub fn current(&self) -> &Snapshot {
        &self.current
    }

    /// Replaces the tracked snapshot with a full render and returns what the tracked one had
    /// wrong (`None` when it was right): the drill's end-of-run proof.
    pub fn verify(&mut self, client: &mut Client) -> Result<Option<SchemaDiff>, SnapshotError> {
        self.refresh(client)?;
        let tracked = std::mem::take(&mut self.current);
        self.current = self.render_full(client)?;
        Ok(self
            .current
            .diff(&tracked, "full snapshot", "snapshot tracked phase by phase"))
    }
}

/// Whether `sql` may hold a statement no event trigger reports (`REINDEX`, `CLUSTER`).
fn escapes_event_triggers(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.contains("REINDEX") || upper.contains("CLUSTER")
}

impl std::fmt::Debug for SchemaWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaWatcher")
            .field("tracking", &self.tracking)
            .field("objects", &self.current.len())
            .finish()
    }
}
