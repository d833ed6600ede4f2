//! The scratch PostgreSQL under a running `unmigrate drill`: who can reach it, what killing the
//! drill or its server leaves behind and what removes it, and what the error says when the
//! server fails under the drill.
//!
//! Each test runs the real binary on a one-migration history that sleeps in PostgreSQL, so the
//! drill holds its cluster (or URL-mode database) while the test looks at it, then kills it.
//! Every drill here gets a private TMPDIR (see `Sandbox`), so what one test leaves behind is
//! never swept by another.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::process::{is_root, process_gone, wait_until};
use common::{arg, write_history, Run, Sandbox};
use unmigrate::scratch::{ScratchOptions, ScratchServer, DIR_PREFIX, MARKER, NAME_PREFIX};

/// How long a drill may take to reach its sleeping migration, or anything to be cleaned up.
const WAIT: Duration = Duration::from_secs(60);

/// The migration every drill here sleeps in; it never ends on its own within a test.
const SLEEPING_MIGRATION: &str = "SELECT pg_sleep(600);\n";

/// Field 22 of /proc/<pid>/stat, as the run marker records it.
fn start_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let (_, rest) = stat.rsplit_once(") ").unwrap();
    rest.split(' ').nth(19).unwrap().parse().unwrap()
}

fn postgres_config(socket_dir: &Path) -> postgres::Config {
    let mut config = postgres::Config::new();
    config
        .host_path(socket_dir)
        .port(5432)
        .user("postgres")
        .dbname("postgres");
    config
}

fn strings_on(config: &postgres::Config, sql: &str) -> Vec<String> {
    let mut client = config.connect(postgres::NoTls).unwrap();
    common::query_strings(&mut client, sql)
}

/// A sleeping backend on the server `config` reaches, once there is one.
fn sleeping_backend(config: &postgres::Config) -> Option<i32> {
    let mut client = config.connect(postgres::NoTls).ok()?;
    let row = client
        .query_opt(
            "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'",
            &[],
        )
        .ok()??;
    Some(row.get(0))
}

/// The key and id on line 7 of `postmaster.pid`, and whether the kernel holds that segment.
struct Segment {
    key: i32,
    id: i32,
}

impl Segment {
    fn of(data_dir: &Path) -> Segment {
        let text = fs::read_to_string(data_dir.join("postmaster.pid")).unwrap();
        let line = text
            .lines()
            .nth(6)
            .expect("postmaster.pid has a shmem line");
        let mut fields = line.split_whitespace().map(|f| f.parse().unwrap());
        Segment {
            key: fields.next().unwrap(),
            id: fields.next().unwrap(),
        }
    }

    fn exists(&self) -> bool {
        let mut status = std::mem::MaybeUninit::<libc::shmid_ds>::uninit();
        // SAFETY: IPC_STAT fills the buffer, read only when the call succeeded.
        unsafe {
            libc::shmctl(self.id, libc::IPC_STAT, status.as_mut_ptr()) == 0
                && status.assume_init().shm_perm.__key == self.key
        }
    }
}

/// An embedded cluster under a drill, as found on disk.
struct Cluster {
    dir: PathBuf,
    server_pid: u32,
}

impl Cluster {
    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn config(&self) -> postgres::Config {
        postgres_config(&self.dir)
    }
}

/// `unmigrate drill` on a history whose one migration sleeps, in a sandbox of its own.
struct RunningDrill {
    sandbox: Sandbox,
    pid: u32,
    child: Option<Child>,
}

impl RunningDrill {
    /// Starts the drill, with `--database-url url` when given, and returns once its migration
    /// sleeps in `server` (the embedded cluster's own when `None`).
    fn start(url: Option<&str>) -> RunningDrill {
        let sandbox = Sandbox::new();
        let migrations = sandbox.project().join("migrations");
        write_history(&migrations, &[("20240101000000_sleep", SLEEPING_MIGRATION)]);
        let mut args = vec!["drill", arg(&migrations)];
        args.extend(url.map(|url| ["--database-url", url]).into_iter().flatten());
        let output = |name| Stdio::from(fs::File::create(sandbox.root.path().join(name)).unwrap());
        let child = sandbox
            .command(&args)
            .stdout(output("stdout"))
            .stderr(output("stderr"))
            .spawn()
            .unwrap();
        RunningDrill {
            sandbox,
            pid: child.id(),
            child: Some(child),
        }
    }

    fn pid(&self) -> u32 {
        self.pid
    }

    /// The drill's embedded cluster, once its migration sleeps there.
    fn cluster(&mut self) -> Cluster {
        let mut found = None;
        wait_until(
            "the drill's migration to sleep in its cluster",
            WAIT,
            || {
                self.assert_running();
                found = self.find_cluster();
                found
                    .as_ref()
                    .is_some_and(|c| sleeping_backend(&c.config()).is_some())
            },
        );
        found.unwrap()
    }

    fn find_cluster(&self) -> Option<Cluster> {
        let entry = fs::read_dir(self.sandbox.tmp())
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().starts_with(DIR_PREFIX))?;
        let dir = entry.path();
        let pid_file = fs::read_to_string(dir.join("data/postmaster.pid")).ok()?;
        let server_pid = pid_file.lines().next()?.trim().parse().ok()?;
        Some(Cluster { dir, server_pid })
    }

    /// Waits until the drill's migration sleeps on the server `config` reaches.
    fn wait_sleeping_on(&mut self, config: &postgres::Config) -> i32 {
        let mut backend = None;
        wait_until("the drill's migration to sleep on the server", WAIT, || {
            self.assert_running();
            backend = sleeping_backend(config);
            backend.is_some()
        });
        backend.unwrap()
    }

    fn assert_running(&mut self) {
        let child = self.child.as_mut().unwrap();
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the drill ended early ({status}):\n{}", self.output_text());
        }
    }

    fn output_text(&self) -> String {
        let read = |name| fs::read_to_string(self.sandbox.root.path().join(name)).unwrap();
        format!(
            "--- stdout\n{}--- stderr\n{}",
            read("stdout"),
            read("stderr")
        )
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(self.pid() as libc::pid_t, signal) }, 0);
    }

    /// Waits for the drill to end on its own and returns what it printed.
    fn finish(&mut self) -> Run {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the drill did not end");
            sleep(Duration::from_millis(20));
        };
        let read = |name| fs::read_to_string(self.sandbox.root.path().join(name)).unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: read("stdout"),
            stderr: read("stderr"),
        }
    }

    /// SIGKILLs the drill and reaps it.
    fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        self.finish();
    }

    /// SIGKILLs the drill, waits for its server to die with it, and checks that the kill
    /// left the cluster's directory behind (else the test would check nothing).
    fn kill_leaving(&mut self, cluster: &Cluster) {
        self.kill();
        wait_until("the server to die with its drill", WAIT, || {
            process_gone(cluster.server_pid)
        });
        assert!(
            cluster.dir.exists(),
            "the kill left nothing: nothing to test"
        );
    }
}

impl Drop for RunningDrill {
    /// A failed assertion must not leave the drill running: SIGTERM makes it clean up.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let _ = child.wait();
        }
    }
}

/// `psql -c 'SELECT 1'` on the cluster, as `user` (through runuser) or as ourselves.
fn psql_as(user: Option<&str>, cluster: &Cluster) -> std::process::Output {
    let psql = [
        "psql",
        "-X",
        "-w",
        "-h",
        arg(&cluster.dir),
        "-p",
        "5432",
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-Atc",
        "SELECT 1",
    ];
    let mut command = match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).args(psql);
            command
        }
        None => {
            let mut command = Command::new(psql[0]);
            command.args(&psql[1..]);
            command
        }
    };
    command
        .current_dir("/")
        .env_remove("PGPASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql ({e}); install postgresql-client"))
}

#[test]
fn another_os_user_cannot_reach_a_running_drills_cluster() {
    let mut drill = RunningDrill::start(None);
    let cluster = drill.cluster();

    // The three locks, which hold whoever runs the test.
    let dir = fs::metadata(&cluster.dir).unwrap();
    assert_eq!(dir.permissions().mode() & 0o777, 0o700, "scratch dir mode");
    let server_uid = fs::metadata(format!("/proc/{}", cluster.server_pid))
        .unwrap()
        .uid();
    assert_eq!(dir.uid(), server_uid, "the cluster's owner owns its dir");
    let socket = fs::symlink_metadata(cluster.dir.join(".s.PGSQL.5432")).unwrap();
    assert_eq!(socket.permissions().mode() & 0o777, 0o700, "socket mode");
    let hba = fs::read_to_string(cluster.data().join("pg_hba.conf")).unwrap();
    let rules: Vec<&str> = hba
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(!rules.is_empty(), "pg_hba.conf has no rules:\n{hba}");
    for rule in &rules {
        assert!(!rule.contains("trust"), "a trust rule: {rule}");
        assert!(
            rule.starts_with("local ") && rule.contains(" peer map="),
            "{rule}"
        );
    }

    // The user who started the drill gets in (so refusals below are not a broken psql).
    let own = psql_as(None, &cluster);
    assert_eq!(String::from_utf8_lossy(&own.stdout).trim(), "1", "{own:?}");

    if !is_root() {
        eprintln!("not root: only the modes and pg_hba.conf were checked, no other user");
        return;
    }
    let control = Command::new("runuser")
        .args(["-u", "nobody", "--", "true"])
        .status()
        .unwrap();
    assert!(control.success(), "runuser cannot switch to nobody");
    // Another user cannot even reach the socket.
    let nobody = psql_as(Some("nobody"), &cluster);
    let stderr = String::from_utf8_lossy(&nobody.stderr);
    assert!(!nobody.status.success(), "nobody got in: {nobody:?}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    // The cluster's own OS user can, and is refused by authentication.
    let owner = psql_as(Some("postgres"), &cluster);
    let stderr = String::from_utf8_lossy(&owner.stderr);
    assert!(
        !owner.status.success(),
        "the postgres OS user got in: {owner:?}"
    );
    assert!(stderr.contains("Peer authentication failed"), "{stderr}");
}

/// Scratch directories beside a leftover that no run may remove: one of a live run, one
/// without a marker, and (as root) one of a dead run that belongs to another user.
struct Decoys {
    dirs: Vec<PathBuf>,
}

impl Decoys {
    fn plant(parent: &Path, dead_marker: &str, tag: &str) -> Decoys {
        let make = |name: &str, marker: Option<&str>| {
            let dir = parent.join(format!("{DIR_PREFIX}{name}"));
            fs::create_dir(&dir).unwrap();
            if let Some(marker) = marker {
                fs::write(dir.join(MARKER), marker).unwrap();
            }
            dir
        };
        let me = std::process::id();
        let live = format!("pid={me} start={} tag={tag}\n", start_ticks(me));
        let mut dirs = vec![make("live", Some(&live)), make("unmarked", None)];
        if is_root() {
            let theirs = make("theirs", Some(dead_marker));
            for path in [theirs.join(MARKER), theirs.clone()] {
                std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
            }
            dirs.push(theirs);
        }
        Decoys { dirs }
    }

    fn assert_kept(&self, clean: &Run) {
        for dir in &self.dirs {
            assert!(dir.exists(), "{} was removed", dir.display());
            let line = format!("kept {}: ", dir.display());
            assert!(clean.stdout.contains(&line), "{line} missing:\n{clean}");
        }
    }
}

/// `<tag>` from a marker's `pid=… start=… tag=<tag>`.
fn marker_tag(marker: &str) -> String {
    marker.trim().rsplit_once("tag=").unwrap().1.to_string()
}

#[test]
fn a_killed_drills_directory_is_removed_by_the_next_run_and_nothing_else() {
    let mut drill = RunningDrill::start(None);
    let cluster = drill.cluster();
    let marker = fs::read_to_string(cluster.dir.join(MARKER)).unwrap();
    assert!(
        marker.starts_with(&format!("pid={} ", drill.pid())),
        "{marker}"
    );
    drill.kill_leaving(&cluster);
    let decoys = Decoys::plant(&drill.sandbox.tmp(), &marker, &marker_tag(&marker));

    // The next run removes the leftover before it starts its own cluster.
    let quick = drill.sandbox.project().join("quick");
    write_history(
        &quick,
        &[("20240101000000_t", "CREATE TABLE t (id int);\n")],
    );
    let next = drill.sandbox.output(&["drill", arg(&quick)]);
    assert_eq!(next.code, 0, "{next}");
    let note = format!("note: removed scratch directory {}", cluster.dir.display());
    assert!(next.stderr.contains(&note), "{note} missing:\n{next}");
    assert!(!cluster.dir.exists());

    let clean = drill.sandbox.output(&["clean"]);
    assert_eq!(clean.code, 0, "{clean}");
    assert!(clean.stdout.contains("\n0 removed, "), "{clean}");
    decoys.assert_kept(&clean);
}

#[test]
fn clean_removes_what_a_killed_drill_left_and_says_so() {
    let mut drill = RunningDrill::start(None);
    let cluster = drill.cluster();
    drill.kill_leaving(&cluster);

    let clean = drill.sandbox.output(&["clean"]);
    assert_eq!(clean.code, 0, "{clean}");
    let line = format!(
        "removed scratch directory {} (its run, pid {}, is gone",
        cluster.dir.display(),
        drill.pid()
    );
    assert!(clean.stdout.contains(&line), "{line} missing:\n{clean}");
    assert!(!cluster.dir.exists());
}

#[test]
fn a_killed_server_leaves_no_shared_memory_and_the_error_quotes_its_log() {
    let mut drill = RunningDrill::start(None);
    let cluster = drill.cluster();
    let segment = Segment::of(&cluster.data());
    assert!(segment.exists(), "no System V segment to check");
    // Dynamic shared memory is in the data directory, not in /dev/shm.
    let maps = fs::read_to_string(format!("/proc/{}/maps", cluster.server_pid)).unwrap();
    assert!(!maps.contains("/dev/shm/PostgreSQL."), "{maps}");
    assert!(
        maps.contains(&format!("{}/pg_dynshmem/", cluster.data().display())),
        "{maps}"
    );

    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(
        unsafe { libc::kill(cluster.server_pid as i32, libc::SIGKILL) },
        0
    );
    let run = drill.finish();
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains(&format!(
            "the scratch server (pid {}) died (signal: 9",
            cluster.server_pid
        )),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("LOG:  database system is ready to accept connections"),
        "the log tail is missing:\n{run}"
    );
    assert!(!cluster.dir.exists(), "{} is left", cluster.dir.display());
    wait_until("the System V segment to go", WAIT, || !segment.exists());
}

#[test]
fn a_session_ended_under_the_drill_is_reported_with_the_server_log() {
    let mut drill = RunningDrill::start(None);
    let cluster = drill.cluster();
    let backend = sleeping_backend(&cluster.config()).unwrap();
    let sql = format!("SELECT pg_terminate_backend({backend})::text");
    assert_eq!(strings_on(&cluster.config(), &sql), ["true"]);
    let run = drill.finish();
    assert_eq!(run.code, 2, "{run}");
    let state = format!(
        "the scratch server (pid {}) is still running",
        cluster.server_pid
    );
    assert!(run.stderr.contains(&state), "{run}");
    let logged = format!("[{backend}] FATAL:  terminating connection due to administrator command");
    assert!(
        run.stderr.contains(&logged),
        "the log line is missing:\n{run}"
    );
}

fn drill_databases(server: &ScratchServer) -> Vec<String> {
    let sql = format!("SELECT datname::text FROM pg_database WHERE datname LIKE '{NAME_PREFIX}%'");
    strings_on(&postgres_config(server.dir()), &sql)
}

#[test]
fn a_killed_url_mode_drills_databases_are_dropped_by_the_next_run_and_nothing_else() {
    let server = ScratchServer::start_embedded(ScratchOptions::default()).unwrap();
    let url = server.url();
    let mut drill = RunningDrill::start(Some(&url));
    drill.wait_sleeping_on(&postgres_config(server.dir()));
    let theirs = format!("{NAME_PREFIX}{}_", drill.pid());
    drill.kill();
    let left: Vec<String> = drill_databases(&server)
        .into_iter()
        .filter(|name| name.starts_with(&theirs))
        .collect();
    assert!(
        !left.is_empty(),
        "the kill left no database: nothing to test"
    );

    // Databases no run may drop: a live run's, one made in another boot or container, and
    // one whose name does not say who made it.
    let tag = left[0].split('_').nth(4).unwrap().to_string();
    let me = std::process::id();
    let decoys = [
        format!("{NAME_PREFIX}{me}_{}_{tag}_0000live", start_ticks(me)),
        format!("{NAME_PREFIX}{}_1_00000000_0000away", drill.pid()),
        format!("{NAME_PREFIX}{}_0123456789ab", drill.pid()),
    ];
    let mut admin = postgres_config(server.dir())
        .connect(postgres::NoTls)
        .unwrap();
    for name in &decoys {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
    }

    let quick = drill.sandbox.project().join("quick");
    write_history(
        &quick,
        &[("20240101000000_t", "CREATE TABLE t (id int);\n")],
    );
    let next = drill
        .sandbox
        .output(&["drill", arg(&quick), "--database-url", &url]);
    assert_eq!(next.code, 0, "{next}");
    for name in &left {
        let note = format!("note: removed scratch database {name} on ");
        assert!(next.stderr.contains(&note), "{note} missing:\n{next}");
    }
    let remaining = drill_databases(&server);
    assert!(
        left.iter().all(|name| !remaining.contains(name)),
        "{remaining:?}"
    );

    let clean = drill.sandbox.output(&["clean", "--database-url", &url]);
    assert_eq!(clean.code, 0, "{clean}");
    assert!(clean.stdout.contains("\n0 removed, "), "{clean}");
    for name in &decoys {
        assert!(remaining.contains(name), "{name} was dropped");
        assert!(
            clean.stdout.contains(&format!("kept {name} on ")),
            "{name}:\n{clean}"
        );
    }
}
