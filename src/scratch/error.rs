//! What can go wrong while getting a scratch database, each saying what to do about it.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use thiserror::Error;

/// An embedded cluster or URL-mode database could not be made, reached or removed.
#[derive(Debug, Error)]
pub enum ScratchError {
    /// No directory holding both `initdb` and `postgres` was found.
    #[error(
        "initdb not found; install PostgreSQL (apt-get install postgresql) or pass --database-url"
    )]
    BinariesNotFound {
        /// Every directory that was looked in, in search order.
        searched: Vec<PathBuf>,
    },

    /// An explicitly given binary directory lacks `initdb` or `postgres`.
    #[error(
        "initdb and postgres not found in {dir}; point to a PostgreSQL bin directory, \
         install PostgreSQL (apt-get install postgresql) or pass --database-url"
    )]
    BinariesNotFoundIn { dir: PathBuf },

    /// Running as root, and no unprivileged account to hand the cluster to.
    #[error(
        "running as root, but there is no `postgres` user in /etc/passwd to run the scratch \
         cluster as (initdb refuses root); create one (useradd --system postgres) or pass \
         --database-url"
    )]
    NoUnprivilegedUser,

    #[error("cannot create a scratch directory under {parent}: {source}; set TMPDIR to a writable directory")]
    TempDir { parent: PathBuf, source: io::Error },

    #[error("cannot create the server log {path}: {source}; set TMPDIR to a writable directory")]
    Log { path: PathBuf, source: io::Error },

    #[error(
        "cannot give {path} to the `postgres` user: {source}; set TMPDIR to a local directory"
    )]
    Chown { path: PathBuf, source: io::Error },

    #[error(
        "the scratch socket path {path} is longer than a Unix socket allows (107 bytes); \
         set TMPDIR to a shorter directory"
    )]
    SocketPathTooLong { path: PathBuf },

    #[error("cannot run {program}: {source}; check that PostgreSQL is installed and executable")]
    Spawn { program: PathBuf, source: io::Error },

    #[error("initdb failed ({status}); its output:\n{output}")]
    Initdb { status: ExitStatus, output: String },

    /// `initdb` ran too long (a hung disk or file system); it has been killed and its
    /// directory removed.
    #[error(
        "initdb did not finish within {timeout:?} in {dir}, so it was stopped; check that the \
         file system there is not full or hung (set TMPDIR to another one) or pass \
         --database-url; its output so far:\n{output}"
    )]
    InitdbTimeout {
        timeout: Duration,
        dir: PathBuf,
        output: String,
    },

    #[error(
        "cannot write {path}: {source}; the scratch cluster cannot be made private to this \
         user; set TMPDIR to a local writable directory"
    )]
    Access { path: PathBuf, source: io::Error },

    #[error(
        "cannot write the run marker {path}: {source}; set TMPDIR to a local writable directory"
    )]
    Marker { path: PathBuf, source: io::Error },

    /// The effective uid has no user name, which peer authentication needs.
    #[error(
        "uid {uid} has no user name (getpwuid found none), which the scratch cluster's peer \
         authentication needs; add the user to /etc/passwd or pass --database-url"
    )]
    UnknownUser { uid: u32 },

    #[error(
        "the user name {name:?} cannot be written into pg_ident.conf; run as another user or \
         pass --database-url"
    )]
    UnusableUserName { name: String },

    /// The server process died before accepting connections.
    #[error("the scratch server in {dir} exited during start-up ({status}); server log:\n{log}")]
    ServerExited {
        dir: PathBuf,
        status: ExitStatus,
        log: String,
    },

    /// The server did not accept connections in time; it has been stopped and removed.
    #[error(
        "the scratch server (pid {pid}, in {dir}) was not ready after {timeout:?}; raise the \
         start-up timeout, or read its log:\n{log}"
    )]
    StartTimeout {
        pid: u32,
        dir: PathBuf,
        timeout: Duration,
        log: String,
    },

    #[error("cannot wait for the scratch server: {0}")]
    Wait(#[source] io::Error),

    #[error(
        "cannot create schema {schema} (the URL's ?schema=) in the scratch database: {source}"
    )]
    Schema {
        schema: String,
        source: postgres::Error,
    },

    #[error("cannot reset the shadow database {target}: {source}; Prisma's reset needs the same rights (the role must own the schemas it migrates)")]
    ShadowReset {
        target: String,
        source: postgres::Error,
    },

    #[error("the shadow database {target} is in use by another drill; wait for it, or give another shadow database")]
    ShadowInUse { target: String },

    #[error(
        "the shadow database {target} is the database DATABASE_URL names; a drill resets its \
         shadow database, so it refuses (Prisma refuses this too): give a database of its own"
    )]
    ShadowIsApplication { target: String },

    #[error("cannot read {}: {message}; fix the line, or export the variable instead", path.display())]
    EnvFile { path: PathBuf, message: String },

    /// Prisma refuses the same variable in two `.env` files; so does a drill.
    #[error(
        "{name} is set differently in {} and {}; Prisma refuses that too: keep it in one file",
        first.display(),
        second.display()
    )]
    EnvConflict {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },

    /// A typo in a URL parameter is refused, never dropped: `sslmdoe=require` must not turn
    /// encryption off in silence.
    #[error(
        "unknown parameter {name} in the URL of {origin}; {hint}unmigrate reads libpq's \
         parameters and Prisma's"
    )]
    UnknownUrlParameter {
        origin: String,
        name: String,
        hint: String,
    },

    #[error(
        "invalid database URL in {origin}: {source}; expected \
         postgresql://USER:PASSWORD@HOST:PORT/DBNAME (Prisma's parameters, such as ?schema=, \
         are accepted)"
    )]
    BadUrl {
        /// Where the URL came from (`--database-url`, `SHADOW_DATABASE_URL (from .env)`).
        origin: String,
        source: postgres::Error,
    },

    #[error(
        "sslmode={mode} is not supported: unmigrate encrypts with sslmode=require (as libpq \
         does, without verifying the server's certificate); use that, or a server on a trusted \
         network"
    )]
    UnsupportedSslMode { mode: String },

    #[error("cannot set up TLS: {0}; check the system's OpenSSL installation")]
    Tls(String),

    #[error(
        "cannot connect to {target}: {source}; check that the server is up and the URL is right"
    )]
    Connect {
        target: String,
        source: postgres::Error,
    },

    #[error(
        "cannot create scratch database {name} on {target}: {source}; the URL's role needs \
         CREATEDB, or leave out --database-url to use an embedded server"
    )]
    CreateDatabase {
        name: String,
        target: String,
        source: postgres::Error,
    },

    #[error(
        "cannot list the databases on {target} to find leftovers of killed runs: {source}; \
         check that the server is up and the URL is right"
    )]
    ListDatabases {
        target: String,
        source: postgres::Error,
    },

    #[error("cannot drop scratch database {name} on {target}: {source}; drop it by hand")]
    DropDatabase {
        name: String,
        target: String,
        source: postgres::Error,
    },

    /// The embedded server failed: the error, with the server's state and log tail (see
    /// [`super::ScratchServer::diagnose`]).
    #[error("{error}\n{diagnosis}")]
    ServerFailed {
        error: Box<ScratchError>,
        diagnosis: String,
    },

    #[error("cannot install the Ctrl-C/SIGTERM cleanup handler: {0}")]
    SignalHandler(String),

    /// A Ctrl-C or SIGTERM is being handled: the process is about to exit.
    #[error("interrupted: scratch servers are being stopped")]
    Interrupted,
}
