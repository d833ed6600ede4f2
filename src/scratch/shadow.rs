//! A shadow database the role may not multiply: managed hosts often refuse `CREATE DATABASE`
//! (no CREATEDB), which is why Prisma's `shadowDatabaseUrl` exists. When a URL was given as a
//! shadow database and no database can be created beside it, the drill runs inside it, reset
//! first as Prisma resets it (the URL's schema dropped and created again) and reset again at
//! the end, with every schema the run created dropped too, so that it holds no more than
//! Prisma's own use leaves there: an empty schema where Prisma leaves the migrated one.
//!
//! Never done to a URL that was not given as disposable ([`super::ServerUrl::disposable`]), nor
//! to the database `DATABASE_URL` names; one drill at a time (an advisory lock).

use postgres::{Client, Config};

use super::database::{self, describe};
use super::{Origin, ScratchError, ServerUrl};
use crate::sql::quote::Ident;

/// The advisory lock a drill holds on a shadow database it resets ("unmigrate" in ASCII).
const LOCK_KEY: i64 = 0x756e_6d69_6772_6174;

/// The schema the snapshot functions live in (`snapshot/install.sql`).
const DRILL_SCHEMA: &str = "unmigrate_drill";

/// The session that holds the shadow database for this run, open for its advisory lock;
/// dropping it lets another drill in.
pub(crate) struct HeldSession {
    _client: Client,
    pid: i32,
    /// The schemas there once the run had reset the database.
    kept: Vec<String>,
}

impl HeldSession {
    /// The holding session's backend pid: sessions started after it are the run's.
    pub(crate) fn pid(&self) -> i32 {
        self.pid
    }

    /// The schemas there once the run had reset the database: the end of the run keeps them.
    pub(crate) fn kept(&self) -> &[String] {
        &self.kept
    }
}

impl std::fmt::Debug for HeldSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeldSession")
    }
}

/// Takes the shadow database for this run: refuses when it is the application's database or
/// another drill holds it, then resets it.
pub(crate) fn take(config: &Config, schema: &str) -> Result<HeldSession, ScratchError> {
    refuse_application_database(config)?;
    let mut session = database::connect(config)?;
    let fail = |source| ScratchError::ShadowReset {
        target: describe(config),
        source,
    };
    let locked: bool = session
        .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
        .map_err(fail)?
        .get(0);
    if !locked {
        return Err(ScratchError::ShadowInUse {
            target: describe(config),
        });
    }
    reset(&mut session, config, schema, None)?;
    let pid: i32 = session
        .query_one("SELECT pg_backend_pid()", &[])
        .map_err(fail)?
        .get(0);
    let kept = schemas(&mut session).map_err(fail)?;
    Ok(HeldSession {
        _client: session,
        pid,
        kept,
    })
}

/// The end of a run in a shadow database (or its interruption by a signal): the run's other
/// sessions there are ended (the same role's, started after the holding session), since their
/// locks would block the reset, and the database is reset. The holding session goes last.
pub(crate) fn end_run(
    config: &Config,
    schema: &str,
    held: HeldSession,
) -> Result<(), ScratchError> {
    let result = end_run_of(config, schema, held.pid, &held.kept);
    drop(held);
    result
}

/// [`end_run`] by the holding session's pid (a signal's cleanup has only that).
pub(crate) fn end_run_of(
    config: &Config,
    schema: &str,
    held_pid: i32,
    kept: &[String],
) -> Result<(), ScratchError> {
    let fail = |source| ScratchError::ShadowReset {
        target: describe(config),
        source,
    };
    let mut client = database::connect(config)?;
    client
        .execute(
            "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a, pg_stat_activity h \
              WHERE h.pid = $1 AND a.datname = current_database() AND a.usename = current_user \
                AND a.pid NOT IN (h.pid, pg_backend_pid()) AND a.backend_start >= h.backend_start",
            &[&held_pid],
        )
        .map_err(fail)?;
    reset(&mut client, config, schema, Some(kept))
}

/// Prisma's reset of its shadow database: the URL's schema dropped with everything in it and
/// created again, empty (and the drill's own `unmigrate_drill`, with its event triggers). At
/// the end of a run, also every schema the run created (not in `kept`, the schemas there once
/// the run had reset the database): Prisma would leave those, the drill leaves nothing of its
/// own. Schemas that were there before the run are never touched but the URL's.
pub(crate) fn reset(
    client: &mut Client,
    config: &Config,
    schema: &str,
    kept: Option<&[String]>,
) -> Result<(), ScratchError> {
    let fail = |source| ScratchError::ShadowReset {
        target: describe(config),
        source,
    };
    let mut drop = vec![schema.to_string(), DRILL_SCHEMA.to_string()];
    if let Some(kept) = kept {
        drop.extend(
            schemas(client)
                .map_err(fail)?
                .into_iter()
                .filter(|name| !kept.contains(name)),
        );
    }
    let mut sql = String::new();
    for name in &drop {
        sql.push_str(&format!("DROP SCHEMA IF EXISTS {} CASCADE;\n", Ident(name)));
    }
    sql.push_str(&format!("CREATE SCHEMA {};", Ident(schema)));
    client.batch_execute(&sql).map_err(fail)
}

/// The database's schemas, but the system's.
fn schemas(client: &mut Client) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "SELECT nspname::text FROM pg_namespace \
              WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
              ORDER BY nspname",
            &[],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}
/// A drill resets its shadow database: never the one the application uses.
fn refuse_application_database(shadow: &Config) -> Result<(), ScratchError> {
    let origin = || Origin::Server("DATABASE_URL".into());
    let Some(application) = std::env::var("DATABASE_URL")
        .ok()
        .and_then(|url| ServerUrl::parse(&url, origin()).ok())
        .and_then(|url| url.config().ok())
    else {
        return Ok(());
    };
    let place = |c: &Config| {
        let at = describe(c);
        at.split_once('@')
            .map_or(at.clone(), |(_, place)| place.to_string())
    };
    match place(&application) == place(shadow) {
        true => Err(ScratchError::ShadowIsApplication {
            target: describe(shadow),
        }),
        false => Ok(()),
    }
}
