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
mod error;
mod leftovers;
mod process;
mod registry;
mod run_id;
mod server;
mod shmem;
mod tls;

pub use binaries::Binaries;
pub use database::{ScratchDb, NAME_PREFIX};
pub use error::ScratchError;
pub use leftovers::{Sweep, DIR_PREFIX, MARKER};
pub use server::{ScratchOptions, ScratchServer, StartupTimings};

use postgres::Client;

/// Where scratch databases come from.
#[derive(Debug, Clone)]
pub enum ScratchSource {
    /// A private cluster started for this run.
    Embedded(ScratchOptions),
    /// A fresh database on the server at this URL.
    Url(String),
}

impl ScratchSource {
    /// The URL given on the command line (or a drill script), else `SHADOW_DATABASE_URL`
    /// (Prisma's variable for a throwaway database), else an embedded cluster. Never
    /// `DATABASE_URL`: it usually names the application's own database, and a drill must not
    /// pick that server just because the shell has it set.
    pub fn resolve(database_url: Option<String>, options: ScratchOptions) -> ScratchSource {
        pick(database_url, |name| std::env::var(name).ok(), options)
    }
}

fn pick(
    flag: Option<String>,
    env: impl Fn(&str) -> Option<String>,
    options: ScratchOptions,
) -> ScratchSource {
    let set = |name: &str| env(name).filter(|url| !url.is_empty());
    flag.filter(|url| !url.is_empty())
        .or_else(|| set("SHADOW_DATABASE_URL"))
        .map_or(ScratchSource::Embedded(options), ScratchSource::Url)
}

/// Removes what runs killed outright left behind: scratch directories (with a server still
/// running there and its shared memory) and, given a server's URL, scratch databases, as far
/// as they are provably this user's and their runs dead. Reports what it removed and kept.
pub fn clean(database_url: Option<&str>) -> Result<Sweep, ScratchError> {
    // Without a `postgres` user as root, there are no clusters of it to find.
    let owner = process::cluster_owner().ok().flatten();
    let mut sweep = leftovers::sweep_directories(owner);
    if let Some(url) = database_url {
        let admin: postgres::Config = url
            .parse()
            .map_err(|source| ScratchError::BadUrl { source })?;
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

    fn url_of(source: ScratchSource) -> Option<String> {
        match source {
            ScratchSource::Url(url) => Some(url),
            ScratchSource::Embedded(_) => None,
        }
    }

    #[test]
    fn the_flag_wins_then_shadow_then_embedded() {
        let both = [("SHADOW_DATABASE_URL", "shadow"), ("DATABASE_URL", "main")];
        let opts = ScratchOptions::default;
        assert_eq!(
            url_of(pick(Some("flag".into()), env(&both), opts())),
            Some("flag".into())
        );
        assert_eq!(
            url_of(pick(None, env(&both), opts())),
            Some("shadow".into())
        );
        assert_eq!(url_of(pick(None, env(&[]), opts())), None);
    }

    #[test]
    fn database_url_alone_gives_the_embedded_cluster() {
        let app = [("DATABASE_URL", "postgres://app@prod/app")];
        let source = pick(None, env(&app), ScratchOptions::default());
        assert!(matches!(source, ScratchSource::Embedded(_)), "{source:?}");
    }
}
