//! The scratch module against a real PostgreSQL: embedded clusters and URL-mode databases are
//! created, used, and leave nothing behind on success, error, panic, SIGINT, SIGTERM, and (for
//! the server process) SIGKILL.
//!
//! Nothing here is mocked or skipped: without PostgreSQL installed every test fails with the
//! install hint. Signal tests re-run this test binary as a helper process (selected by the
//! `UNMIGRATE_SCRATCH_HELPER` variable) and signal that process.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};

mod common;

use common::process::{process_gone, wait_until};
use common::query_strings;
use unmigrate::scratch::{
    Scratch, ScratchDb, ScratchError, ScratchOptions, ScratchServer, ScratchSource, NAME_PREFIX,
};

/// Selects the helper role in a re-executed copy of this binary.
const HELPER: &str = "UNMIGRATE_SCRATCH_HELPER";
/// Starts the helper's report line. libtest may print its own text earlier on the same line.
const REPORT: &str = "@@scratch-helper ";
/// How long cleanup may take before a test calls it missing.
const CLEANUP_WAIT: Duration = Duration::from_secs(10);
/// How long a helper may take to start its server and report.
const HELPER_START: Duration = Duration::from_secs(60);

fn start() -> ScratchServer {
    ScratchServer::start_embedded(ScratchOptions::default())
        .unwrap_or_else(|e| panic!("the embedded scratch server did not start: {e}"))
}

fn drill_databases(server: &ScratchServer) -> Vec<String> {
    let mut client = server.connect("postgres").unwrap();
    let sql = format!("SELECT datname FROM pg_database WHERE datname LIKE '{NAME_PREFIX}%'");
    query_strings(&mut client, &sql)
}

fn assert_cleaned_up(pid: u32, dir: &Path) {
    assert!(pid > 0);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "postgres (pid {pid}) is still there"
    );
    assert!(!dir.exists(), "{} is still there", dir.display());
}

fn uid_of(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_server_starts_serves_a_database_and_leaves_nothing_behind() {
    let server = start();
    let timings = server.timings();
    eprintln!(
        "embedded scratch start-up: {:?} total (initdb {:?}, server {:?}) from {}",
        timings.total,
        timings.initdb,
        timings.server,
        server.bin_dir().display()
    );
    let (pid, dir) = (server.pid(), server.dir().to_path_buf());
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        assert_ne!(uid_of(pid), 0, "the cluster must not run as root");
    }

    let db = server.create_database().unwrap();
    let prefix = format!("{NAME_PREFIX}{}_", std::process::id());
    assert!(db.name().starts_with(&prefix), "{}", db.name());
    let mut client = db.connect().unwrap();
    client
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'x')")
        .unwrap();
    assert_eq!(query_strings(&mut client, "SELECT v FROM t"), ["x"]);
    for (setting, expected) in [("listen_addresses", ""), ("fsync", "off")] {
        let sql = format!("SELECT current_setting('{setting}')");
        assert_eq!(query_strings(&mut client, &sql), [expected], "{setting}");
    }
    let socket_dirs = query_strings(&mut client, "SHOW unix_socket_directories");
    assert_eq!(socket_dirs, [dir.display().to_string()]);

    let name = db.name().to_string();
    db.destroy().unwrap();
    assert!(
        !drill_databases(&server).contains(&name),
        "{name} was not dropped"
    );
    let stopping = Instant::now();
    drop(server);
    eprintln!(
        "embedded scratch stop and removal: {:?}",
        stopping.elapsed()
    );
    assert_cleaned_up(pid, &dir);
}

#[test]
fn a_panic_stops_the_server_and_removes_its_dir() {
    let mut seen = None;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let server = start();
        seen = Some((server.pid(), server.dir().to_path_buf()));
        let _db = server.create_database().unwrap();
        panic!("a drill step failed");
    }));
    assert!(result.is_err());
    let (pid, dir) = seen.expect("the server started before the panic");
    assert_cleaned_up(pid, &dir);
}

#[test]
fn a_start_up_error_says_why_and_leaves_nothing_behind() {
    let options = ScratchOptions {
        start_timeout: Duration::ZERO,
        ..ScratchOptions::default()
    };
    match ScratchServer::start_embedded(options) {
        Err(ScratchError::StartTimeout { pid, dir, .. }) => assert_cleaned_up(pid, &dir),
        other => panic!("expected a start-up timeout, got {other:?}"),
    }
}

/// A bin directory whose `initdb` never returns: it reports its pid and its child's, then
/// waits (as on a hung disk). `postgres` is there only so the directory counts as usable.
fn hanging_initdb() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = "#!/bin/sh\nsleep 600 &\necho \"initdb $$ child $!\"\nwait\n";
    for (name, text) in [("initdb", script), ("postgres", "#!/bin/sh\nexit 1\n")] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let executable = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(dir.path().join(name), executable).unwrap();
    }
    // As root, initdb runs as `postgres`, which must reach the scripts.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn an_initdb_that_never_returns_is_stopped_after_its_timeout() {
    let bin = hanging_initdb();
    let options = ScratchOptions {
        bin_dir: Some(bin.path().to_path_buf()),
        initdb_timeout: Duration::from_secs(2),
        ..ScratchOptions::default()
    };
    let started = Instant::now();
    let error = ScratchServer::start_embedded(options).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let ScratchError::InitdbTimeout { dir, output, .. } = &error else {
        panic!("expected an initdb timeout, got {error:?}");
    };
    let message = error.to_string();
    assert!(
        message.contains("initdb did not finish within 2s"),
        "{message}"
    );
    assert!(
        message.contains("TMPDIR") && message.contains("--database-url"),
        "{message}"
    );
    assert!(!dir.exists(), "{} is left", dir.display());
    // The script and the child it started are both gone.
    let pids: Vec<u32> = output
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    assert_eq!(pids.len(), 2, "{output}");
    for pid in pids {
        wait_until("initdb's processes to go", CLEANUP_WAIT, || {
            process_gone(pid)
        });
    }
}

#[test]
fn missing_binaries_are_reported_with_the_install_hint() {
    let empty = tempfile::tempdir().unwrap();
    let options = ScratchOptions {
        bin_dir: Some(empty.path().to_path_buf()),
        ..ScratchOptions::default()
    };
    let error = ScratchServer::start_embedded(options)
        .unwrap_err()
        .to_string();
    assert!(error.contains("initdb"), "{error}");
    assert!(error.contains("apt-get install postgresql"), "{error}");
    assert!(error.contains("--database-url"), "{error}");
}

#[test]
fn url_mode_works_in_its_own_database_and_touches_nothing_else() {
    let server = start();
    let mut admin = server.connect("postgres").unwrap();
    admin.batch_execute("CREATE DATABASE keepme").unwrap();
    let mut keep = server.connect("keepme").unwrap();
    keep.batch_execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
        .unwrap();

    let db = ScratchDb::on_server(&unmigrate::scratch::ServerUrl::internal(server.url())).unwrap();
    let prefix = format!("{NAME_PREFIX}{}_", std::process::id());
    assert!(db.name().starts_with(&prefix), "{}", db.name());
    let mut session = db.connect().unwrap();
    session.batch_execute("CREATE TABLE kept (v text)").unwrap();
    assert_eq!(drill_databases(&server), [db.name()]);
    // The session stays open: the drop must end it, and only it.
    drop(db);
    assert!(session.is_closed() || session.simple_query("SELECT 1").is_err());

    let via_open = Scratch::open(ScratchSource::Url(unmigrate::scratch::ServerUrl::internal(
        server.url(),
    )))
    .unwrap();
    assert!(via_open.server().is_none());
    via_open
        .connect()
        .unwrap()
        .batch_execute("SELECT 1")
        .unwrap();
    drop(via_open);

    assert!(drill_databases(&server).is_empty());
    assert_eq!(
        query_strings(&mut keep, "SELECT v FROM kept"),
        ["still here"]
    );
    let datnames = query_strings(&mut admin, "SELECT datname::text FROM pg_database");
    assert!(datnames.contains(&"keepme".to_string()), "{datnames:?}");
}

#[test]
fn sigterm_stops_the_server_and_removes_its_dir() {
    helper_role_if_asked();
    check_signal_cleanup(
        "sigterm_stops_the_server_and_removes_its_dir",
        libc::SIGTERM,
    );
}

#[test]
fn sigint_stops_the_server_and_removes_its_dir() {
    helper_role_if_asked();
    check_signal_cleanup("sigint_stops_the_server_and_removes_its_dir", libc::SIGINT);
}

#[test]
fn sigkill_of_the_owner_still_stops_the_server() {
    helper_role_if_asked();
    let mut helper = Helper::spawn("sigkill_of_the_owner_still_stops_the_server", None);
    let (pid, dir) = helper.server();
    helper.signal(libc::SIGKILL);
    helper.wait();
    wait_until("postgres to die with its owner", CLEANUP_WAIT, || {
        process_gone(pid)
    });
    // Only the kernel acted: the directory is left, as documented, for a later run to remove
    // (tests/scratch_drill.rs). Another test's server start may already have swept it.
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("{}: {e}", dir.display()),
        _ => {}
    }
}

#[test]
fn sigterm_drops_url_mode_databases() {
    helper_role_if_asked();
    let server = start();
    let mut helper = Helper::spawn("sigterm_drops_url_mode_databases", Some(&server.url()));
    let name = helper.database();
    assert_eq!(drill_databases(&server), [name.as_str()]);
    helper.signal(libc::SIGTERM);
    assert_eq!(helper.wait().code(), Some(143));
    assert!(
        drill_databases(&server).is_empty(),
        "{name} survived SIGTERM"
    );
}

/// Starts a helper with a server, signals it, and checks the exit code and the cleanup.
fn check_signal_cleanup(test: &str, signal: libc::c_int) {
    let mut helper = Helper::spawn(test, None);
    let (pid, dir) = helper.server();
    helper.signal(signal);
    assert_eq!(helper.wait().code(), Some(128 + signal));
    wait_until("postgres to stop", CLEANUP_WAIT, || process_gone(pid));
    wait_until("the scratch dir to go", CLEANUP_WAIT, || !dir.exists());
}

/// In a helper process: does the helper's work and never returns. Otherwise returns at once.
fn helper_role_if_asked() {
    let Ok(role) = std::env::var(HELPER) else {
        return;
    };
    let mut stdout = std::io::stdout();
    // Both are kept alive by the endless sleep below, until a signal ends the process.
    let _server;
    let _db;
    if let Some(url) = role.strip_prefix("url=") {
        let db = ScratchDb::on_server(&unmigrate::scratch::ServerUrl::internal(url.to_string()))
            .unwrap();
        writeln!(stdout, "\n{REPORT}database={}", db.name()).unwrap();
        _db = db;
    } else {
        let server = start();
        let dir = server.dir().display();
        writeln!(stdout, "\n{REPORT}pid={} dir={dir}", server.pid()).unwrap();
        _server = server;
    }
    stdout.flush().unwrap();
    loop {
        sleep(Duration::from_secs(1));
    }
}

/// This test binary, re-run to hold a scratch resource until it is signalled.
struct Helper {
    child: Child,
    report: String,
}

impl Helper {
    /// Runs the test named `test` in helper mode: with `url`, it creates a URL-mode database
    /// there, otherwise it starts an embedded server.
    fn spawn(test: &str, url: Option<&str>) -> Helper {
        let role = url.map_or("server".to_string(), |url| format!("url={url}"));
        // Not current_exe(): other builds may replace the file while tests run, and
        // /proc/self/exe still reaches the running binary.
        let mut child = Command::new("/proc/self/exe")
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(HELPER, role)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let report = read_report(BufReader::new(child.stdout.take().unwrap()));
        let report = report
            .recv_timeout(HELPER_START)
            .unwrap_or_else(|e| panic!("no report from the helper for {test} ({e})"));
        Helper { child, report }
    }

    /// The pid and directory of the helper's server.
    fn server(&self) -> (u32, PathBuf) {
        let (pid, dir) = self.report.split_once(" dir=").unwrap();
        let pid = pid.strip_prefix("pid=").unwrap().parse().unwrap();
        (pid, PathBuf::from(dir))
    }

    /// The name of the helper's URL-mode database.
    fn database(&self) -> String {
        self.report.strip_prefix("database=").unwrap().to_string()
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions.
        let result = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(result, 0, "cannot signal the helper");
    }

    /// Waits for the helper to exit, which its cleanup must let it do promptly.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + CLEANUP_WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the helper did not exit after the signal"
            );
            sleep(Duration::from_millis(20));
        }
    }
}

/// Reads the helper's output on a thread (so a silent helper cannot hang the test) until the
/// pipe closes, so the helper never writes to a closed pipe.
fn read_report(output: impl BufRead + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in output.lines().map_while(Result::ok) {
            match line.split_once(REPORT) {
                Some((_, report)) => drop(sender.send(report.to_string())),
                None => println!("helper: {line}"),
            }
        }
    });
    receiver
}

impl Drop for Helper {
    /// A failed assertion must not leave the helper running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
