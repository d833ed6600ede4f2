//! A shadow database the role may not multiply: managed hosts often refuse `CREATE DATABASE`
//! (no CREATEDB), which is why Prisma's `shadowDatabaseUrl` exists. When a URL was given as a
//! shadow database and no database can be created beside it, the drill runs inside it, reset
//! first as Prisma resets it (its schemas dropped and the URL's schema created again) and reset
//! again at the end, so that it holds no more than Prisma's own use leaves there: an empty
//! schema where Prisma leaves the migrated one.
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
}

impl HeldSession {
    /// The holding session's backend pid: sessions started after it are the run's.
    pub(crate) fn pid(&self) -> i32 {
        self.pid
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
    reset(&mut session, config, schema)?;
    let pid: i32 = session
        .query_one("SELECT pg_backend_pid()", &[])
        .map_err(fail)?
        .get(0);
    Ok(HeldSession {
        _client: session,
        pid,
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
    let result = end_run_of(config, schema, held.pid);
    drop(held);
    result
}

/// [`end_run`] by the holding session's pid (a signal's cleanup has only that).
pub(crate) fn end_run_of(config: &Config, schema: &str, held_pid: i32) -> Result<(), ScratchError> {
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
    reset(&mut client, config, schema)
}

/// Prisma's reset, as far as this role can: every schema it owns is dropped with what is in
/// it (the drill's own `unmigrate_drill` and its event triggers included), then `schema` is
/// created again, empty.
pub(crate) fn reset(
    client: &mut Client,
    config: &Config,
    schema: &str,
) -> Result<(), ScratchError> {
    let fail = |source| ScratchError::ShadowReset {
        target: describe(config),
        source,
    };
    let owned: Vec<String> = client
        .query(
            "SELECT nspname FROM pg_namespace \
              WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
                AND pg_has_role(current_user, nspowner, 'USAGE') \
              ORDER BY nspname",
            &[],
        )
        .map_err(fail)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut sql = String::new();
    for name in owned.iter().chain([&DRILL_SCHEMA.to_string()]) {
        sql.push_str(&format!("DROP SCHEMA IF EXISTS {} CASCADE;\n", Ident(name)));
    }
    sql.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {};", Ident(schema)));
    client.batch_execute(&sql).map_err(fail)
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
