//! Scratch PostgreSQL for drills: by default an embedded throwaway cluster (`initdb` into a
//! temp dir, a Unix socket in that dir only, no TCP), or a fresh database on a server given by
//! URL.
//!
//! An embedded cluster is private to the user who started the run (`access.rs`): its
//! directory and socket are mode 0700, and only that OS user may log in (peer authentication).
//!
//! Nothing outlives the run: dropping a [`ScratchServer`] stops its server and removes its
//! directory, and dropping a [`ScratchDb`] drops its database, on success, error and panic
//! alike. SIGINT and SIGTERM skip destructors, so the first scratch resource installs a handler
//! that cleans up everything still registered and exits with 130 or 143. If the process is
//! killed outright, the kernel stops the server (parent-death signal); its directory (or its
//! URL-mode database) is left, and the next run removes it, as `unmigrate clean` does on
//! demand ([`clean`], `leftovers.rs`): each carries the pid and start time of the run that
//! made it, so a later run can prove that run dead.
//!
//! Only what the run created is ever changed or dropped: databases are dropped by the unique
//! `unmigrate_drill_<pid>_…` name they were created under, and only their own sessions are
//! terminated.

mod access;
mod binaries;
mod database;
mod dotenv;
mod error;
mod leftovers;
mod process;
mod registry;
mod run_id;
mod server;
mod shadow;
mod shmem;
mod tls;
mod url;

pub use binaries::Binaries;
pub use database::{runs_inside_shadow, ScratchDb, NAME_PREFIX};
pub use error::ScratchError;
pub use leftovers::{Sweep, DIR_PREFIX, MARKER};
pub use server::{ScratchOptions, ScratchServer, StartupTimings};
pub use url::{Origin, ServerUrl};

use std::path::{Path, PathBuf};

use postgres::Client;

/// Where scratch databases come from.
#[derive(Debug, Clone)]
pub enum ScratchSource {
    /// A private cluster started for this run.
    Embedded(ScratchOptions),
    /// A fresh database on the server at this URL (or, for a shadow database whose role may
    /// not create one, that database itself, reset).
    Url(ServerUrl),
}

/// Prisma's variable for a throwaway database.
pub const SHADOW_ENV: &str = "SHADOW_DATABASE_URL";

/// A URL the user named, and where (a flag, a drill script, a variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenUrl {
    pub text: String,
    pub origin: Origin,
}

impl ScratchSource {
    /// The URL given on the command line (or a drill script), else `SHADOW_DATABASE_URL` from
    /// the environment or the project's `.env` files as Prisma reads them (`schema_dir`: the
    /// folder of `schema.prisma`), else an embedded cluster. Never `DATABASE_URL`: it usually
    /// names the application's own database, and a drill must not pick that server just
    /// because the shell has it set. Prisma's parameters the drill ignores are noted on
    /// standard error.
    pub fn resolve(
        given: Option<GivenUrl>,
        options: ScratchOptions,
        schema_dir: Option<&Path>,
    ) -> Result<ScratchSource, ScratchError> {
        let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let source = pick(
            given,
            |name| std::env::var(name).ok(),
            &root,
            schema_dir,
            options,
        )?;
        if let ScratchSource::Url(url) = &source {
            for note in url.notes() {
                eprintln!("note: {note} ({})", url.origin().describe());
            }
        }
        Ok(source)
    }
}

fn pick(
    given: Option<GivenUrl>,
    env: impl Fn(&str) -> Option<String>,
    root: &Path,
    schema_dir: Option<&Path>,
    options: ScratchOptions,
) -> Result<ScratchSource, ScratchError> {
    let given = match given.filter(|g| !g.text.is_empty()) {
        Some(given) => Some(given),
        None => dotenv::lookup(SHADOW_ENV, env, root, schema_dir)?.map(|found| GivenUrl {
            text: found.value,
            origin: Origin::Shadow(found.origin),
        }),
    };
    match given {
        Some(given) => Ok(ScratchSource::Url(ServerUrl::parse(
            &given.text,
            given.origin,
        )?)),
        None => Ok(ScratchSource::Embedded(options)),
    }
}

/// Removes what runs killed outright left behind: scratch directories (with a server still
/// running there and its shared memory) and, given a server's URL, scratch databases, as far
/// as they are provably this user's and their runs dead. Reports what it removed and kept.
pub fn clean(database_url: Option<&ServerUrl>) -> Result<Sweep, ScratchError> {
    // Without a `postgres` user as root, there are no clusters of it to find.
    let owner = process::cluster_owner().ok().flatten();
    let mut sweep = leftovers::sweep_directories(owner);
    if let Some(url) = database_url {
        let admin = url.config()?;
        let databases = leftovers::sweep_databases(&mut database::connect(&admin)?, &admin)?;
        sweep.removed.extend(databases.removed);
        sweep.kept.extend(databases.kept);
    }
    Ok(sweep)
}

/// One scratch database, with the embedded server it lives on when there is one.
#[derive(Debug)]
pub struct Scratch {
    // Field order is drop order: the database goes while its server is still up.
    db: ScratchDb,
    server: Option<ScratchServer>,
}

impl Scratch {
    /// Starts an embedded cluster or connects to the given server, and creates a database.
    pub fn open(source: ScratchSource) -> Result<Scratch, ScratchError> {
        match source {
            ScratchSource::Embedded(options) => {
                let mut server = ScratchServer::start_embedded(options)?;
                let db = match server.create_database() {
                    Ok(db) => db,
                    Err(error) => {
                        return Err(match server.diagnose(&error) {
                            Some(diagnosis) => ScratchError::ServerFailed {
                                error: Box::new(error),
                                diagnosis,
                            },
                            None => error,
                        })
                    }
                };
                Ok(Scratch {
                    db,
                    server: Some(server),
                })
            }
            ScratchSource::Url(url) => Ok(Scratch {
                db: ScratchDb::on_server(&url)?,
                server: None,
            }),
        }
    }

    pub fn db(&self) -> &ScratchDb {
        &self.db
    }

    /// The database, to set what its later sessions start with ([`ScratchDb::set_default`]).
    pub fn db_mut(&mut self) -> &mut ScratchDb {
        &mut self.db
    }

    /// The embedded server, or `None` in URL mode.
    pub fn server(&self) -> Option<&ScratchServer> {
        self.server.as_ref()
    }

    /// A new session on the scratch database.
    pub fn connect(&self) -> Result<Client, ScratchError> {
        self.db.connect()
    }

    /// For an error met while using the database, when the embedded server failed: what
    /// became of it and the end of its log (see [`ScratchServer::diagnose`]). `None` in URL
    /// mode.
    pub fn diagnose(&mut self, error: &(dyn std::error::Error + 'static)) -> Option<String> {
        self.server.as_mut()?.diagnose(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    fn url_of(given: Option<GivenUrl>, vars: &[(&str, &str)]) -> Option<ServerUrl> {
        let empty = tempfile::tempdir().unwrap();
        match pick(
            given,
            env(vars),
            empty.path(),
            None,
            ScratchOptions::default(),
        )
        .unwrap()
        {
            ScratchSource::Url(url) => Some(url),
            ScratchSource::Embedded(_) => None,
        }
    }

    #[test]
    fn the_flag_wins_then_shadow_then_embedded() {
        let both = [
            (SHADOW_ENV, "postgres://u@shadow/db"),
            ("DATABASE_URL", "postgres://u@main/db"),
        ];
        let flag = GivenUrl {
            text: "postgres://u@flag/db".into(),
            origin: Origin::Server("--database-url".into()),
        };
        let url = url_of(Some(flag), &both).unwrap();
        assert_eq!(url.as_str(), "postgres://u@flag/db");
        assert!(!url.disposable());
        let url = url_of(None, &both).unwrap();
        assert_eq!(url.as_str(), "postgres://u@shadow/db");
        assert!(url.disposable());
        assert_eq!(url.origin().describe(), SHADOW_ENV);
        assert_eq!(url_of(None, &[]), None);
    }

    #[test]
    fn database_url_alone_gives_the_embedded_cluster() {
        let app = [("DATABASE_URL", "postgres://app@prod/app")];
        assert_eq!(url_of(None, &app), None);
    }
}
