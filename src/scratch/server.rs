//! The embedded scratch cluster: `initdb` into a private temp dir, `postgres` on a Unix socket
//! in that dir only, everything removed when the [`ScratchServer`] is dropped or a signal
//! arrives, and by a later run (or `unmigrate clean`) when the process was killed outright.

use std::fs::{File, Permissions};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use postgres::{Client, Config};
use tempfile::TempDir;

use super::access;
use super::binaries::{self, Binaries};
use super::database::{self, ScratchDb};
use super::leftovers;
use super::process::{self, Owner};
use super::registry::{self, Resource, Ticket};
use super::shmem::Segment;
use super::ScratchError;

/// The superuser initdb creates; peer authentication lets in the OS user who started the run,
/// and nobody else (see `access.rs`).
const SUPERUSER: &str = "postgres";

/// The first port number tried. Without TCP it only names the socket file, which is alone in
/// a fresh directory, so the default port is always free there.
const FIRST_PORT: u16 = 5432;

/// Longest Unix socket path Linux accepts (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// How often start-up readiness is checked.
const READY_POLL: Duration = Duration::from_millis(5);

/// How long a broken session waits to see whether the server died.
const DEATH_GRACE: Duration = Duration::from_millis(500);

/// Lines of the server log quoted in start-up errors and failures under a drill.
const LOG_TAIL_LINES: usize = 20;

/// Durability is pointless for a cluster that is deleted after the run, and costs time. The
/// socket is private to the cluster's owner. Dynamic shared memory lives in files under the
/// data directory rather than in `/dev/shm/PostgreSQL.*`, so a server killed outright leaves
/// none behind once its directory is removed (on the tmpfs `/dev/shm` either way by default).
const SERVER_SETTINGS: [&str; 6] = [
    "listen_addresses=",
    "fsync=off",
    "full_page_writes=off",
    "synchronous_commit=off",
    access::SOCKET_PERMISSIONS,
    "dynamic_shared_memory_type=mmap",
];

/// `initdb`'s output, kept for its error message.
const INITDB_LOG: &str = "initdb.log";

/// A RAM-backed `/dev/shm` hosts scratch clusters only with at least this much room (a
/// drill of a few hundred migrations uses about 100 MiB; seeded drills use more).
const MIN_SHM_AVAILABLE: u64 = 2 << 30;

/// Where scratch clusters are made: `$TMPDIR` when the user set it; else `/dev/shm` when it
/// is there with room to spare, since a throwaway cluster needs no disk and a drill creates
/// and deletes thousands of files (`initdb` alone took 0.8–1.0 s there against 2.1 s on an
/// ext4 `/tmp`, measured on the CI machine kind); else the system temp dir.
fn scratch_parent() -> PathBuf {
    if std::env::var_os("TMPDIR").is_some_and(|dir| !dir.is_empty()) {
        return std::env::temp_dir();
    }
    let shm = Path::new("/dev/shm");
    match available_bytes(shm) {
        Some(bytes) if bytes >= MIN_SHM_AVAILABLE => shm.to_path_buf(),
        _ => std::env::temp_dir(),
    }
}

/// Space an unprivileged user may still use on the file system holding `dir`.
fn available_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is a valid C string and `stat` is written by statvfs before it is read.
    let stat = unsafe {
        if libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return None;
        }
        stat.assume_init()
    };
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    Some(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

/// How to start an embedded cluster.
#[derive(Debug, Clone)]
pub struct ScratchOptions {
    /// A directory holding `initdb` and `postgres`; `None` searches the usual places.
    pub bin_dir: Option<PathBuf>,
    /// How long `initdb` may run (about a second on tmpfs, two on a local disk) before it
    /// counts as hung.
    pub initdb_timeout: Duration,
    /// How long the server may take to accept connections after `initdb`.
    pub start_timeout: Duration,
}

impl Default for ScratchOptions {
    fn default() -> Self {
        ScratchOptions {
            bin_dir: None,
            initdb_timeout: Duration::from_secs(60),
            start_timeout: Duration::from_secs(10),
        }
    }
}

/// Where start-up time went; drills report it next to their own timings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartupTimings {
    /// Finding binaries, creating the directory and running `initdb`.
    pub initdb: Duration,
    /// From starting `postgres` to its first accepted connection.
    pub server: Duration,
    /// Both, from the call to [`ScratchServer::start_embedded`] to its return.
    pub total: Duration,
}

/// A throwaway PostgreSQL cluster owned by this process. Dropping it stops the server and
/// removes its directory.
#[derive(Debug)]
pub struct ScratchServer {
    ticket: Ticket,
    path: PathBuf,
    dir: Option<TempDir>,
    child: Option<Child>,
    port: u16,
    binaries: Binaries,
    timings: StartupTimings,
}

impl ScratchServer {
    /// Creates and starts a cluster, returning once it accepts connections. On any error,
    /// whatever was created is removed again. As root, the cluster runs as the `postgres` user.
    /// First removes the clusters that runs killed outright left behind (see `leftovers.rs`).
    ///
    /// The kernel stops the server when the *thread* that started it ends (that is how it dies
    /// with a SIGKILLed process), so call this from a thread that outlives the server.
    pub fn start_embedded(options: ScratchOptions) -> Result<ScratchServer, ScratchError> {
        let started = Instant::now();
        let binaries = binaries::locate(options.bin_dir.as_deref())?;
        let owner = process::cluster_owner()?;
        let os_user = access::invoking_user()?;
        leftovers::sweep_directories(owner).note_removed();
        let mut server = ScratchServer::prepare(binaries, owner)?;
        server.initdb(owner, options.initdb_timeout)?;
        access::restrict(&server.data_dir(), &os_user, SUPERUSER)?;
        let initdb = started.elapsed();
        server.spawn(owner)?;
        server.wait_ready(options.start_timeout)?;
        let total = started.elapsed();
        server.timings = StartupTimings {
            initdb,
            server: total - initdb,
            total,
        };
        Ok(server)
    }

    /// The pid of the `postgres` server process.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The cluster's directory (mode 0700): data in `data/`, the socket, `postgres.log`, and
    /// the marker naming this run.
    pub fn dir(&self) -> &Path {
        &self.path
    }

    /// The port number, which here only names the socket file.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory the server binaries came from.
    pub fn bin_dir(&self) -> &Path {
        self.binaries.dir()
    }

    pub fn timings(&self) -> StartupTimings {
        self.timings
    }

    /// Wall time from the start call to the first accepted connection.
    pub fn startup_time(&self) -> Duration {
        self.timings.total
    }

    /// Connection settings for `dbname` as the superuser.
    pub fn config(&self, dbname: &str) -> Config {
        let mut config = Config::new();
        config
            .host_path(&self.path)
            .port(self.port)
            .user(SUPERUSER)
            .dbname(dbname);
        config
    }

    /// A connection URL for the `postgres` database, for code that takes a URL (such as
    /// [`ScratchDb::on_server`] or an external tool).
    pub fn url(&self) -> String {
        let host = utf8_percent_encode(&self.path.to_string_lossy(), QUERY_PATH).to_string();
        format!(
            "postgresql://{SUPERUSER}@/postgres?host={host}&port={}",
            self.port
        )
    }

    /// A new session on `dbname`.
    pub fn connect(&self, dbname: &str) -> Result<Client, ScratchError> {
        database::connect(&self.config(dbname))
    }

    /// A fresh database named `unmigrate_drill_<pid>_<n>`, dropped when the value is.
    pub fn create_database(&self) -> Result<ScratchDb, ScratchError> {
        ScratchDb::in_cluster(self.config("postgres"))
    }

    /// The temp dir, private from its creation, marked as this run's, registered for signal
    /// cleanup and handed to the cluster owner. From here on, dropping the returned value
    /// cleans up.
    fn prepare(binaries: Binaries, owner: Option<Owner>) -> Result<ScratchServer, ScratchError> {
        let parent = scratch_parent();
        let dir = tempfile::Builder::new()
            .prefix(leftovers::DIR_PREFIX)
            .permissions(Permissions::from_mode(access::DIR_MODE))
            .tempdir_in(&parent)
            .map_err(|source| ScratchError::TempDir { parent, source })?;
        let path = dir.path().to_path_buf();
        let ticket = registry::register(Resource::Cluster {
            dir: path.clone(),
            pid: None,
        })?;
        let server = ScratchServer {
            ticket,
            port: free_port(&path),
            path,
            dir: Some(dir),
            child: None,
            binaries,
            timings: StartupTimings::default(),
        };
        leftovers::write_marker(&server.path)?;
        process::give_to(&server.path, owner)?;
        server.check_socket_path()?;
        Ok(server)
    }

    fn check_socket_path(&self) -> Result<(), ScratchError> {
        let socket = self.socket_path();
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(ScratchError::SocketPathTooLong { path: socket });
        }
        Ok(())
    }

    fn socket_path(&self) -> PathBuf {
        socket_file(&self.path, self.port)
    }

    fn data_dir(&self) -> PathBuf {
        data_dir(&self.path)
    }

    fn log_path(&self) -> PathBuf {
        self.path.join("postgres.log")
    }

    /// Starts `command` (the cluster's `program`) in the cluster's directory, with no input and
    /// its output and errors in a new log file at `log_path` (kept for error messages).
    fn spawn_logged(
        &self,
        mut command: std::process::Command,
        program: PathBuf,
        log_path: &Path,
    ) -> Result<Child, ScratchError> {
        let log_error = |source| ScratchError::Log {
            path: log_path.to_path_buf(),
            source,
        };
        let log = File::create(log_path).map_err(log_error)?;
        command
            .current_dir(&self.path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(log_error)?)
            .stderr(log);
        command
            .spawn()
            .map_err(|source| ScratchError::Spawn { program, source })
    }

    /// Runs `initdb`: peer authentication (narrowed to this user afterwards, see `access.rs`),
    /// no fsync, a fixed encoding and locale so dumps do not vary by machine. An `initdb` that
    /// has not finished after `timeout` (a hung disk) is killed with everything it started.
    fn initdb(&mut self, owner: Option<Owner>, timeout: Duration) -> Result<(), ScratchError> {
        let program = self.binaries.initdb();
        let log_path = self.path.join(INITDB_LOG);
        let mut command = process::cluster_command(&program, owner);
        command
            .arg("-D")
            .arg(self.data_dir())
            .args(["--auth-local=peer", "--auth-host=reject", "-U", SUPERUSER])
            .args(["--no-sync", "-E", "UTF8", "--locale=C"]);
        let child = self.spawn_logged(command, program, &log_path)?;
        let pid = child.id();
        registry::set_pid(self.ticket, Some(pid));
        let status = wait_at_most(child, timeout);
        registry::set_pid(self.ticket, None);
        let output = read_lossy(&log_path);
        match status {
            Some(Ok(status)) if status.success() => Ok(()),
            Some(Ok(status)) => Err(ScratchError::Initdb { status, output }),
            Some(Err(error)) => Err(ScratchError::Wait(error)),
            None => Err(ScratchError::InitdbTimeout {
                timeout,
                dir: self.path.clone(),
                output,
            }),
        }
    }

    /// Starts `postgres` itself rather than through `pg_ctl`, so it is our child: we can wait
    /// for it, and the kernel kills it if we die.
    fn spawn(&mut self, owner: Option<Owner>) -> Result<(), ScratchError> {
        let program = self.binaries.postgres();
        let mut command = process::cluster_command(&program, owner);
        command
            .arg("-D")
            .arg(self.data_dir())
            .arg("-k")
            .arg(&self.path)
            .arg("-p")
            .arg(self.port.to_string())
            .args(SERVER_SETTINGS.iter().flat_map(|setting| ["-c", setting]));
        let child = self.spawn_logged(command, program, &self.log_path())?;
        registry::set_pid(self.ticket, Some(child.id()));
        self.child = Some(child);
        Ok(())
    }

    /// Polls until a connection succeeds, the server dies, or `timeout` passes.
    fn wait_ready(&mut self, timeout: Duration) -> Result<(), ScratchError> {
        let started = Instant::now();
        loop {
            self.check_alive()?;
            if self.accepts_connections() {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(ScratchError::StartTimeout {
                    pid: self.pid(),
                    dir: self.path.clone(),
                    timeout,
                    log: self.log_tail(),
                });
            }
            sleep(READY_POLL);
        }
    }

    fn check_alive(&mut self) -> Result<(), ScratchError> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        match child.try_wait().map_err(ScratchError::Wait)? {
            None => Ok(()),
            Some(status) => Err(ScratchError::ServerExited {
                dir: self.path.clone(),
                status,
                log: self.log_tail(),
            }),
        }
    }

    /// The socket file appears before the server accepts sessions, and connecting before it
    /// exists only costs time.
    fn accepts_connections(&self) -> bool {
        self.socket_path().exists() && self.connect("postgres").is_ok()
    }

    /// The last lines of the server's log.
    fn log_tail(&self) -> String {
        let text = read_lossy(&self.log_path());
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
    }

    /// For an error met while using the server, when the server failed (it died, a connection
    /// broke, or it reported running out of a resource): what became of it and the end of its
    /// log, read now, before the directory holding the log is removed. `None` when `error` is
    /// SQL the server refused and the server is fine.
    pub fn diagnose(&mut self, error: &(dyn std::error::Error + 'static)) -> Option<String> {
        let failed = is_server_failure(error);
        // A killed server's sessions can break a moment before it counts as exited.
        let grace = if failed { DEATH_GRACE } else { Duration::ZERO };
        let state = match self.exit_status(grace) {
            Some(status) => format!("the scratch server (pid {}) died ({status})", self.pid()),
            None if failed => {
                format!("the scratch server (pid {}) is still running", self.pid())
            }
            None => return None,
        };
        Some(format!(
            "{state}; the last lines of its log {}:\n{}",
            self.log_path().display(),
            self.log_tail()
        ))
    }

    /// How the server exited, if it did or does within `grace`.
    fn exit_status(&mut self, grace: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + grace;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => sleep(READY_POLL),
                _ => return None,
            }
        }
    }
}

impl Drop for ScratchServer {
    /// Stops the server, then removes the directory. If a signal's cleanup already took over,
    /// leaves both to it and waits for it to end the process.
    fn drop(&mut self) {
        if registry::release(self.ticket).is_none() {
            if let Some(dir) = self.dir.take() {
                let _ = dir.keep();
            }
            registry::wait_for_signal_exit();
        }
        // Read while the server runs: it deletes postmaster.pid when it stops.
        let segment = Segment::of_cluster(&self.data_dir());
        if let Some(mut child) = self.child.take() {
            process::stop_child(&mut child, process::STOP_TIMEOUT);
        }
        // Only there when the server was killed outright; a shutdown removes it.
        if let Some(segment) = segment {
            segment.remove();
        }
        if let Some(dir) = self.dir.take() {
            if let Err(error) = dir.close() {
                eprintln!(
                    "warning: cannot remove scratch directory {}: {error}; remove it by hand",
                    self.path.display()
                );
            }
        }
    }
}

/// Whether `error`, or an error under it, is the server failing rather than refusing SQL: a
/// lost connection (no SQLSTATE), or SQLSTATE class 53 (insufficient resources: a full disk,
/// out of memory), 57 (operator intervention: a crash or shutdown), 58 (system error: I/O) or
/// XX (internal error).
fn is_server_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(error) = error.downcast_ref::<postgres::Error>() {
            return error.code().is_none_or(|code| {
                ["53", "57", "58", "XX"]
                    .iter()
                    .any(|class| code.code().starts_with(class))
            });
        }
        next = error.source();
    }
    false
}

/// The data directory of the cluster in `dir`.
pub(super) fn data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}

/// Waits for `child` to exit, at most `timeout`; `None` when it did not, after killing its
/// process group (initdb runs `postgres` in single-user mode as its own child). A thread
/// waits, so the exit is seen at once rather than at the next poll.
fn wait_at_most(mut child: Child, timeout: Duration) -> Option<std::io::Result<ExitStatus>> {
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || drop(sender.send(child.wait())));
    match receiver.recv_timeout(timeout) {
        Ok(status) => Some(status),
        Err(_) => {
            process::kill_group(pid);
            // The waiter reaps it, unless it is stuck in the kernel on that hung disk: then
            // the waiter is left behind rather than hanging us too.
            let _ = receiver.recv_timeout(process::STOP_TIMEOUT);
            None
        }
    }
}

/// A text file's content, empty when it cannot be read.
fn read_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn socket_file(dir: &Path, port: u16) -> PathBuf {
    dir.join(format!(".s.PGSQL.{port}"))
}

/// The first port whose socket (or its lock file) is not in `dir` yet.
fn free_port(dir: &Path) -> u16 {
    (FIRST_PORT..u16::MAX)
        .find(|&port| {
            let socket = socket_file(dir, port);
            let lock = dir.join(format!(".s.PGSQL.{port}.lock"));
            !socket.exists() && !lock.exists()
        })
        .unwrap_or(FIRST_PORT)
}

/// Everything but unreserved characters and `/` is percent-encoded in a path put into a URL's
/// query (RFC 3986's unreserved set).
const QUERY_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');
