//! Leftovers of runs that were killed outright (SIGKILL, the OOM killer, a power cut of the CI
//! job): no cleanup code ran, so a later run removes them, or `unmigrate clean` on demand.
//!
//! Only what can be proven ours and dead is touched. A scratch directory carries a marker
//! ([`MARKER`]) naming the run that made it ([`RunId`]); a URL-mode database carries the same
//! in its name. A directory is removed only when the marker is ours (written by this user, in
//! a directory owned by this user or the cluster user) and its run is dead; a database only
//! when its name says its run is dead. Anything else (a live run, another user's directory, a
//! directory without a marker, a database made on another host or container or by another
//! user) is left alone and, by `unmigrate clean`, reported with the reason.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use postgres::{Client, Config};

use super::database::{self, NAME_PREFIX};
use super::process::{self, Owner};
use super::run_id::{Maker, RunId};
use super::shmem::Segment;
use super::ScratchError;

/// Every scratch directory's name starts with this.
pub const DIR_PREFIX: &str = "unmigrate-scratch-";

/// The file in a scratch directory that names the run that made it.
pub const MARKER: &str = "unmigrate-run";

/// What a sweep did, one line per leftover.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// What was removed, and how we knew it was ours and dead.
    pub removed: Vec<String>,
    /// What was left alone, and why.
    pub kept: Vec<String>,
}

impl Sweep {
    fn join(&mut self, other: Sweep) {
        self.removed.extend(other.removed);
        self.kept.extend(other.kept);
    }

    /// Tells the user what a run's own sweep removed; what it kept is only for `clean`.
    pub fn note_removed(&self) {
        for removed in &self.removed {
            eprintln!("note: removed {removed}");
        }
    }
}

/// Writes the marker naming this run into a fresh scratch directory.
pub fn write_marker(dir: &Path) -> Result<(), ScratchError> {
    let Some(run) = RunId::current() else {
        return Ok(());
    };
    let path = dir.join(MARKER);
    std::fs::write(&path, run.to_marker()).map_err(|source| ScratchError::Marker { path, source })
}

/// Removes the scratch directories of dead runs in every place a run may have made them.
pub fn sweep_directories(owner: Option<Owner>) -> Sweep {
    let mut sweep = Sweep::default();
    for parent in parents() {
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let is_ours = entry.file_name().to_string_lossy().starts_with(DIR_PREFIX);
            if is_ours {
                sweep.join(sweep_directory(&entry.path(), owner));
            }
        }
    }
    sweep
}

/// `/dev/shm` and the temp dir: wherever `server.rs` may put a cluster.
fn parents() -> Vec<PathBuf> {
    let mut parents = vec![PathBuf::from("/dev/shm"), std::env::temp_dir()];
    parents.dedup();
    parents
}

fn sweep_directory(dir: &Path, owner: Option<Owner>) -> Sweep {
    let shown = dir.display();
    match dead_run(dir, owner) {
        Ok(run) => match remove_cluster(dir) {
            Ok(details) => Sweep {
                removed: vec![format!(
                    "scratch directory {shown} (its run, pid {}, is gone{details})",
                    run.pid
                )],
                kept: Vec::new(),
            },
            Err(error) => Sweep {
                removed: Vec::new(),
                kept: vec![format!("{shown}: cannot remove it: {error}")],
            },
        },
        Err(reason) => Sweep {
            removed: Vec::new(),
            kept: vec![format!("{shown}: {reason}")],
        },
    }
}

/// The dead run that made `dir`, or why `dir` is not ours to remove.
fn dead_run(dir: &Path, owner: Option<Owner>) -> Result<RunId, String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("cannot read it: {e}"))?;
    let cluster_user = owner.map_or(me, |o| o.uid);
    if !meta.is_dir() || (meta.uid() != me && meta.uid() != cluster_user) {
        return Err(format!("owned by uid {}, not by this user", meta.uid()));
    }
    let marker = dir.join(MARKER);
    let no_marker = "no run marker (made by an older unmigrate or another program; remove it \
                     by hand once no drill uses it)";
    let marker_meta = std::fs::symlink_metadata(&marker).map_err(|_| no_marker.to_string())?;
    if !marker_meta.is_file() || marker_meta.uid() != me {
        return Err(format!(
            "its marker is not this user's (uid {})",
            marker_meta.uid()
        ));
    }
    let text = std::fs::read_to_string(&marker).map_err(|e| format!("cannot read marker: {e}"))?;
    let run = RunId::from_marker(&text).ok_or_else(|| no_marker.to_string())?;
    match run.maker() {
        Maker::Dead => Ok(run),
        Maker::Running => Err(format!("its run (pid {}) is still running", run.pid)),
        Maker::Elsewhere => Err(format!(
            "made in another boot or container, or by another user (pid {}); remove it by \
             hand if that run is gone",
            run.pid
        )),
    }
}

/// Removes a dead run's cluster: stops a server still running in it, removes its System V
/// segment, then the directory. Returns what else it did, for the report.
fn remove_cluster(dir: &Path) -> Result<String, std::io::Error> {
    let data = dir.join("data");
    let segment = Segment::of_cluster(&data);
    let mut details = String::new();
    if let Some(pid) = segment.map(|s| s.creator as u32) {
        if runs_in(pid, &data) {
            stop_server(pid, &data);
            details.push_str(&format!("; stopped its server, pid {pid}"));
        }
    }
    if let Some(segment) = segment {
        if segment.remove() {
            details.push_str(&format!("; removed shared memory segment {}", segment.id));
        }
    }
    match std::fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(details),
    }
}

/// Whether `pid` is a process whose working directory is `data_dir`, as a postmaster's is.
fn runs_in(pid: u32, data_dir: &Path) -> bool {
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"));
    let data = std::fs::canonicalize(data_dir);
    matches!((cwd, data), (Ok(cwd), Ok(data)) if cwd == data)
}

/// Stops a server that is not our child: immediate shutdown, then SIGKILL.
fn stop_server(pid: u32, data_dir: &Path) {
    for signal in [libc::SIGQUIT, libc::SIGKILL] {
        process::signal(pid, signal);
        let deadline = Instant::now() + process::STOP_TIMEOUT;
        while runs_in(pid, data_dir) && Instant::now() < deadline {
            sleep(Duration::from_millis(5));
        }
        if !runs_in(pid, data_dir) {
            return;
        }
    }
}

/// Drops the databases of dead runs on the server `admin` reaches, through `client`, a
/// session there (see [`RunId`]).
pub fn sweep_databases(client: &mut Client, admin: &Config) -> Result<Sweep, ScratchError> {
    let pattern = format!("{}%", NAME_PREFIX.replace('_', "\\_"));
    let rows = client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1 ORDER BY 1",
            &[&pattern],
        )
        .map_err(|source| ScratchError::ListDatabases {
            target: database::describe(admin),
            source,
        })?;
    let target = database::describe(admin);
    let mut sweep = Sweep::default();
    for name in rows.iter().map(|row| row.get::<_, String>(0)) {
        let run = name
            .strip_prefix(NAME_PREFIX)
            .and_then(RunId::from_name_part)
            .map(|(run, _)| run);
        match run.as_ref().map(RunId::maker) {
            Some(Maker::Dead) => match database::drop_database(admin, &name) {
                Ok(()) => sweep.removed.push(format!(
                    "scratch database {name} on {target} (its run, pid {}, is gone)",
                    run.map_or(0, |r| r.pid)
                )),
                Err(error) => sweep.kept.push(format!("{name}: {error}")),
            },
            Some(Maker::Running) => sweep.kept.push(format!(
                "{name} on {target}: its run (pid {}) is still running",
                run.map_or(0, |r| r.pid)
            )),
            Some(Maker::Elsewhere) => sweep.kept.push(format!(
                "{name} on {target}: made on another host, container or boot, or by another \
                 user; drop it by hand if that run is gone"
            )),
            None => sweep.kept.push(format!(
                "{name} on {target}: its name does not say which run made it (an older \
                 unmigrate); drop it by hand if no drill uses it"
            )),
        }
    }
    Ok(sweep)
}
