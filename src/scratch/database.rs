//! Scratch databases: created under a name that says who made them, and dropped by that name
//! only, so nothing the run did not create is ever touched.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use postgres::config::{Host, SslMode};
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};

use super::leftovers;
use super::registry::{self, Resource, Ticket};
use super::run_id::RunId;
use super::shadow;
use super::tls;
use super::{ScratchError, ServerUrl};
use crate::sql::quote::{Ident, Literal};

/// Every scratch database name starts with this, so a leftover one is recognisable on sight.
pub const NAME_PREFIX: &str = "unmigrate_drill_";

/// How long a connection attempt may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a drop waits for terminated sessions to leave the database.
const DROP_TIMEOUT: Duration = Duration::from_secs(10);

/// Attempts at a free name before giving up (a clash needs a leftover of our own pid).
const NAME_ATTEMPTS: usize = 10;

/// Numbers databases made by this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// How the next scratch database is named.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Naming {
    /// `unmigrate_drill_<pid>_<n>`: our own embedded cluster, where only we create databases.
    Counter,
    /// `unmigrate_drill_<pid>_<start>_<tag>_<random>`: a shared server, where another host may
    /// run a process with our pid, and where a database outlives a killed run. The run's
    /// [`RunId`] lets a later run prove it dead and drop its databases (see `leftovers.rs`).
    Random,
}

impl Naming {
    fn next(self) -> String {
        let pid = std::process::id();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
        match self {
            Naming::Counter => format!("{NAME_PREFIX}{pid}_{n}"),
            Naming::Random => match RunId::current() {
                Some(run) => format!(
                    "{NAME_PREFIX}{}_{:08x}",
                    run.to_name_part(),
                    random_48_bits(n) & 0xffff_ffff
                ),
                None => format!("{NAME_PREFIX}{pid}_{:012x}", random_48_bits(n)),
            },
        }
    }
}

/// Randomness without a dependency: std seeds every `RandomState` from the OS.
fn random_48_bits(salt: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(salt);
    hasher.finish() & 0xffff_ffff_ffff
}

/// Who removes the database when the [`ScratchDb`] goes away.
#[derive(Debug)]
enum Cleanup {
    /// In an embedded cluster: dropped if the server is still up; the cluster's removal covers
    /// the rest.
    Embedded,
    /// On a server given by URL: registered, so that a signal drops it too.
    Registered(Ticket),
    /// A shadow database the drill runs inside (see `shadow.rs`): reset, not dropped;
    /// registered, so that a signal resets it too.
    Shadow {
        ticket: Ticket,
        held: Box<shadow::HeldSession>,
        schema: String,
    },
}

/// A fresh, empty database that exists for one run and is dropped when this value is (or a
/// shadow database, reset before and after the run).
#[derive(Debug)]
pub struct ScratchDb {
    name: String,
    /// Connects to the maintenance database the scratch one was created from (or to the
    /// shadow database itself).
    admin: Config,
    /// Settings every session on the database starts with (`search_path` for a URL's
    /// `?schema=`, the drill's `TimeZone` in a shadow database), as `-c` options: nothing is
    /// stored in a database the drill does not own.
    settings: Vec<(String, String)>,
    cleanup: Option<Cleanup>,
}

impl ScratchDb {
    /// Creates a fresh database on the server at `url` (its database is used only to issue
    /// `CREATE DATABASE` and, at the end, `DROP DATABASE` of our own database). First drops
    /// the databases that runs killed outright left there, when their names prove them dead.
    ///
    /// When the URL was given as a shadow database and its role may not create databases,
    /// the drill runs inside that database instead, reset as Prisma resets it (`shadow.rs`).
    /// The URL's `?schema=` is created, and every session's `search_path`.
    pub fn on_server(url: &ServerUrl) -> Result<ScratchDb, ScratchError> {
        let admin = url.config()?;
        let mut client = connect(&admin)?;
        if let Some(note) = plain_text_note(&mut client, &admin) {
            eprintln!("warning: {note}");
        }
        if url.disposable() && !may_create_databases(&mut client, &admin)? {
            drop(client);
            return ScratchDb::inside_shadow(url, admin);
        }
        leftovers::sweep_databases(&mut client, &admin)?.note_removed();
        let name = create_in(&mut client, &admin, Naming::Random)?;
        drop(client);
        let resource = Resource::Database {
            admin: Box::new(admin.clone()),
            name: name.clone(),
        };
        let ticket = match registry::register(resource) {
            Ok(ticket) => ticket,
            Err(error) => {
                let _ = drop_database(&admin, &name);
                return Err(error);
            }
        };
        let mut db = ScratchDb {
            name,
            admin,
            settings: Vec::new(),
            cleanup: Some(Cleanup::Registered(ticket)),
        };
        if let Some(schema) = url.schema() {
            db.use_schema(schema)?;
        }
        Ok(db)
    }

    /// The shadow database itself, reset, with every session in the URL's schema.
    fn inside_shadow(url: &ServerUrl, admin: Config) -> Result<ScratchDb, ScratchError> {
        let schema = url.schema().unwrap_or(crate::sql::names::DEFAULT_SCHEMA);
        let held = shadow::take(&admin, schema)?;
        let ticket = registry::register(Resource::Shadow {
            config: Box::new(admin.clone()),
            schema: schema.to_string(),
            held_pid: held.pid(),
            kept: held.kept().to_vec(),
        })?;
        eprintln!(
            "note: {} cannot create databases; the drill runs inside the shadow database {} \
             ({}), reset before and after as Prisma resets it",
            describe(&admin),
            admin.get_dbname().unwrap_or("?"),
            url.origin().describe()
        );
        Ok(ScratchDb {
            name: admin.get_dbname().unwrap_or_default().to_string(),
            settings: vec![("search_path".into(), Ident(schema).to_string())],
            admin,
            cleanup: Some(Cleanup::Shadow {
                ticket,
                held: Box::new(held),
                schema: schema.to_string(),
            }),
        })
    }

    /// Creates `schema` in the fresh database and starts every session there, as Prisma runs
    /// migrations under `?schema=`.
    fn use_schema(&mut self, schema: &str) -> Result<(), ScratchError> {
        let mut client = self.connect()?;
        client
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", Ident(schema)))
            .map_err(|source| ScratchError::Schema {
                schema: schema.to_string(),
                source,
            })?;
        self.settings
            .push(("search_path".into(), Ident(schema).to_string()));
        Ok(())
    }

    /// Every later session of the drill runs with `setting` at `value` (the drill's time
    /// zone): stored in the database when the run created it, else given to each session.
    pub fn set_default(
        &mut self,
        client: &mut Client,
        setting: &str,
        value: &str,
    ) -> Result<(), postgres::Error> {
        if matches!(self.cleanup, Some(Cleanup::Shadow { .. })) {
            self.settings.push((setting.to_string(), value.to_string()));
            return Ok(());
        }
        client.batch_execute(&format!(
            "ALTER DATABASE {} SET {} TO {}",
            Ident(&self.name),
            Ident(setting),
            Literal(value)
        ))
    }

    /// Whether the run drills inside a shadow database rather than a database of its own.
    pub fn is_shadow(&self) -> bool {
        matches!(self.cleanup, Some(Cleanup::Shadow { .. }))
    }

    /// A database in an embedded cluster reached through `admin`.
    pub(crate) fn in_cluster(admin: Config) -> Result<ScratchDb, ScratchError> {
        let name = create_database(&admin, Naming::Counter)?;
        Ok(ScratchDb {
            name,
            admin,
            settings: Vec::new(),
            cleanup: Some(Cleanup::Embedded),
        })
    }

    /// The database's name: `unmigrate_drill_<pid>_<n>` in an embedded cluster,
    /// `unmigrate_drill_<pid>_<start>_<tag>_<random>` on a server given by URL.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection settings for this database.
    pub fn config(&self) -> Config {
        let mut config = self.admin.clone();
        config.dbname(&self.name);
        if !self.settings.is_empty() {
            let mut options = config.get_options().unwrap_or_default().to_string();
            for (setting, value) in &self.settings {
                if !options.is_empty() {
                    options.push(' ');
                }
                options.push_str(&option_word(&format!("-c{setting}={value}")));
            }
            config.options(&options);
        }
        config
    }

    /// A new session on this database.
    pub fn connect(&self) -> Result<Client, ScratchError> {
        connect(&self.config())
    }

    /// Drops the database now, reporting failure (dropping the value only warns).
    pub fn destroy(mut self) -> Result<(), ScratchError> {
        let ours = match self.cleanup.take() {
            Some(Cleanup::Registered(ticket)) => match registry::release(ticket) {
                Some(_) => true,
                None => registry::wait_for_signal_exit(),
            },
            Some(Cleanup::Embedded) => true,
            Some(Cleanup::Shadow {
                ticket,
                held,
                schema,
            }) => {
                if registry::release(ticket).is_none() {
                    registry::wait_for_signal_exit();
                }
                return shadow::end_run(&self.admin, &schema, *held);
            }
            None => false,
        };
        if ours {
            drop_database(&self.admin, &self.name)?;
        }
        Ok(())
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        match self.cleanup.take() {
            Some(Cleanup::Embedded) => {
                let _ = drop_database(&self.admin, &self.name);
            }
            Some(Cleanup::Registered(ticket)) => match registry::release(ticket) {
                Some(resource) => registry::clean_up(resource),
                // A signal's cleanup took it over and is ending the process.
                None => registry::wait_for_signal_exit(),
            },
            Some(Cleanup::Shadow {
                ticket,
                held,
                schema,
            }) => match registry::release(ticket) {
                Some(_) => {
                    if let Err(error) = shadow::end_run(&self.admin, &schema, *held) {
                        eprintln!("warning: {error}");
                    }
                }
                None => registry::wait_for_signal_exit(),
            },
            None => {}
        }
    }
}

/// Whether a drill on `url` runs inside the shadow database it names (given as disposable, and
/// its role may not create databases): then there is one database, and no parallel ranges.
pub fn runs_inside_shadow(url: &ServerUrl) -> Result<bool, ScratchError> {
    if !url.disposable() {
        return Ok(false);
    }
    let admin = url.config()?;
    Ok(!may_create_databases(&mut connect(&admin)?, &admin)?)
}

/// Whether the URL's role may create databases (CREATEDB or superuser).
fn may_create_databases(client: &mut Client, config: &Config) -> Result<bool, ScratchError> {
    client
        .query_one(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .map(|row| row.get(0))
        .map_err(|source| ScratchError::Connect {
            target: describe(config),
            source,
        })
}

/// One word of the `options` connection parameter: the server splits it at spaces unless
/// escaped with a backslash (a schema named with a space).
fn option_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if c.is_whitespace() || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A session as described by `config`, with a bounded connect time.
pub(crate) fn connect(config: &Config) -> Result<Client, ScratchError> {
    let mut config = config.clone();
    config.connect_timeout(CONNECT_TIMEOUT);
    let connected = if over_unix_sockets_only(&config) {
        // PostgreSQL has no TLS on Unix sockets: skip the SSLRequest round trip.
        config.connect(NoTls)
    } else {
        config.connect(tls::connector()?)
    };
    connected.map_err(|source| ScratchError::Connect {
        target: describe(&config),
        source,
    })
}

fn over_unix_sockets_only(config: &Config) -> bool {
    let hosts = config.get_hosts();
    !hosts.is_empty() && hosts.iter().all(|host| matches!(host, Host::Unix(_)))
}

/// A note when `sslmode=prefer` (the default) ended in plain text on a TCP connection: the
/// server offered no TLS, and the user may not know their credentials travel in the clear.
fn plain_text_note(client: &mut Client, config: &Config) -> Option<String> {
    if over_unix_sockets_only(config) || config.get_ssl_mode() != SslMode::Prefer {
        return None;
    }
    let row = client
        .query_opt(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .ok()??;
    let encrypted: bool = row.try_get(0).ok()?;
    (!encrypted).then(|| {
        format!(
            "the connection to {} is not encrypted: the server offers no TLS (sslmode=prefer); \
             add sslmode=require to the URL to refuse plain text",
            describe(config)
        )
    })
}

/// `user@host:port/dbname`, never the password: it goes into error messages.
pub(crate) fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("(default user)");
    let dbname = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{dbname}")
}

/// Creates a database under a name nobody uses yet and returns that name. An existing
/// database is never reused: a clash just means another name.
fn create_database(admin: &Config, naming: Naming) -> Result<String, ScratchError> {
    create_in(&mut connect(admin)?, admin, naming)
}

/// [`create_database`] on a session already open on `admin`.
fn create_in(client: &mut Client, admin: &Config, naming: Naming) -> Result<String, ScratchError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let name = naming.next();
        match client.batch_execute(&format!("CREATE DATABASE {}", quoted(&name))) {
            Ok(()) => return Ok(name),
            Err(e) if is(&e, &SqlState::DUPLICATE_DATABASE) && attempt < NAME_ATTEMPTS => {}
            Err(source) => {
                return Err(ScratchError::CreateDatabase {
                    name,
                    target: describe(admin),
                    source,
                })
            }
        }
    }
}

/// Drops one of our databases: first ends the sessions on that database (and only there),
/// since `DROP DATABASE` refuses while anyone is connected; retries while they leave.
pub(crate) fn drop_database(admin: &Config, name: &str) -> Result<(), ScratchError> {
    let fail = |source| ScratchError::DropDatabase {
        name: name.to_string(),
        target: describe(admin),
        source,
    };
    let mut client = connect(admin)?;
    let deadline = Instant::now() + DROP_TIMEOUT;
    loop {
        terminate_sessions(&mut client, name).map_err(fail)?;
        match client.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quoted(name))) {
            Ok(()) => return Ok(()),
            Err(e) if is(&e, &SqlState::OBJECT_IN_USE) && Instant::now() < deadline => {
                sleep(Duration::from_millis(20));
            }
            Err(source) => return Err(fail(source)),
        }
    }
}

fn terminate_sessions(client: &mut Client, name: &str) -> Result<(), postgres::Error> {
    client.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
        &[&name],
    )?;
    Ok(())
}

fn is(error: &postgres::Error, state: &SqlState) -> bool {
    error.code() == Some(state)
}

/// Our names are lowercase letters, digits and underscores (checked here), so double quotes
/// around them are a complete quoting.
fn quoted(name: &str) -> String {
    assert!(
        name.starts_with(NAME_PREFIX)
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "scratch database names are generated, never taken from input: {name}"
    );
    format!("\"{name}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognisable_distinct_and_fit_an_identifier() {
        let pid = std::process::id();
        let a = Naming::Random.next();
        let b = Naming::Random.next();
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("{NAME_PREFIX}{pid}_")), "{a}");
        assert!(a.len() <= 63, "{a}");
        assert!(Naming::Counter
            .next()
            .starts_with(&format!("{NAME_PREFIX}{pid}_")));
    }

    #[test]
    fn descriptions_leave_out_the_password() {
        let config: Config = "postgresql://alice:s3cret@db.example:6543/app"
            .parse()
            .unwrap();
        assert_eq!(describe(&config), "alice@db.example:6543/app");
    }
}
