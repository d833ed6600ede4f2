//! Going on after an undo leaves the database in no known state (a down that fails half-way,
//! or one the migration cannot be applied again after): the database is emptied and the
//! history replayed forward up to the migration, so the drill of the next one starts where
//! the tool would leave it. Hand-written downs fail this way often; without a rebuild, the
//! first such down would end the drill of a whole history.
//!
//! Emptying drops what migrations make inside the database: every schema (those that existed
//! when the drill began are created again, empty: `public` as the server's `initdb` makes it),
//! extensions and event triggers; the schema watcher is installed afresh. Objects outside
//! schemas that a migration made and nothing depends on (a publication, a cast between
//! built-in types) would stay; none of the corpora makes one.

use postgres::Client;

use super::phases::{sql_file, Cycle};
use super::DrillError;
use crate::drill::apply::ApplyError;
use crate::migrations::Migration;
use crate::snapshot::SchemaWatcher;

/// The user schemas of the scratch database (the drill's own and the system's left out).
const USER_SCHEMAS: &str = "SELECT nspname::text FROM pg_namespace \
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'unmigrate_drill') \
      AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%' \
    ORDER BY 1";

/// Every user event trigger (the drill's own left out), as the statements that drop them.
const DROP_EVENT_TRIGGERS: &str = "SELECT format('DROP EVENT TRIGGER %I', evtname) \
    FROM pg_event_trigger WHERE evtname NOT LIKE 'unmigrate\\_drill%'";

/// Every extension a migration made (what initdb installs left out), as the statements that
/// drop them: after the schemas, whose drops take most of them along.
const DROP_EXTENSIONS: &str = "SELECT format('DROP EXTENSION IF EXISTS %I CASCADE', extname) \
    FROM pg_extension WHERE oid >= 16384";

/// `public` as `initdb` makes it: owned by the database's owner (PostgreSQL 14 on), usable by
/// all, and open to everyone's tables before PostgreSQL 15.
const PUBLIC: &str = r#"
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        EXECUTE 'CREATE SCHEMA public AUTHORIZATION pg_database_owner';
    ELSE
        CREATE SCHEMA public;
    END IF;
    IF current_setting('server_version_num')::int >= 150000 THEN
        GRANT USAGE ON SCHEMA public TO PUBLIC;
    ELSE
        GRANT USAGE, CREATE ON SCHEMA public TO PUBLIC;
    END IF;
END $$;
COMMENT ON SCHEMA public IS 'standard public schema'"#;

/// The user schemas there are now: what a rebuild creates again.
pub(super) fn user_schemas(client: &mut Client) -> Result<Vec<String>, DrillError> {
    let rows = client
        .query(USER_SCHEMAS, &[])
        .map_err(|e| DrillError::Apply(ApplyError::Connection(e)))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

impl Cycle<'_, '_> {
    /// Empties the database, creates `schemas` again and applies `migrations` forward, in
    /// order, as the tool would; then takes a full snapshot. `Some(reason)` when one of them
    /// fails: the drill cannot go on.
    pub(super) fn rebuild(
        &mut self,
        migrations: &[Migration],
        schemas: &[String],
        fresh: &mut Client,
    ) -> Result<Option<String>, DrillError> {
        let connection = |e| DrillError::Apply(ApplyError::Connection(e));
        // The watcher goes first (it is installed afresh below: what it remembers of objects
        // describes a database that is gone), so its event triggers do not follow the drops.
        let tracking = self.watcher.tracking();
        let client = self.session.client();
        client
            .batch_execute("DROP SCHEMA unmigrate_drill CASCADE")
            .map_err(connection)?;
        let texts = |client: &mut Client, sql| -> Result<Vec<String>, DrillError> {
            let rows = client.query(sql, &[]).map_err(connection)?;
            Ok(rows.iter().map(|row| row.get(0)).collect())
        };
        // Sent one by one, so a failure names its statement.
        let mut drops = texts(client, DROP_EVENT_TRIGGERS)?;
        drops.extend(user_schemas(client)?.iter().map(|schema| {
            format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                crate::sql::quote::Ident(schema)
            )
        }));
        drops.extend(texts(client, DROP_EXTENSIONS)?);
        for drop in drops {
            match fresh.batch_execute(&drop) {
                Ok(()) => {}
                Err(e) if e.as_db_error().is_some() => {
                    return Ok(Some(format!(
                        "the database could not be emptied to rebuild it from the history \
                         ({drop}: {})",
                        crate::errors::one_line(&e)
                    )))
                }
                Err(e) => return Err(connection(e)),
            }
        }
        for schema in schemas {
            let create = match schema.as_str() {
                "public" => PUBLIC.to_string(),
                other => format!("CREATE SCHEMA {}", crate::sql::quote::Ident(other)),
            };
            client.batch_execute(&create).map_err(connection)?;
        }
        *self.watcher = SchemaWatcher::install(self.session.client(), tracking)?;
        self.session.restart_bookkeeping()?;
        self.forget_rows();
        for m in migrations {
            let applied = self.session.apply(sql_file(m))?;
            if let Some(failure) = applied.failure {
                return Ok(Some(format!(
                    "{} failed while the database was rebuilt from the history ({}: {})",
                    m.name,
                    failure.code.as_deref().unwrap_or("error"),
                    failure.message
                )));
            }
        }
        self.previous = self.snapshot()?;
        Ok(None)
    }
}
