//! Every live scratch resource of this process, so that Ctrl-C and SIGTERM, which skip all
//! destructors, still stop every server, remove every directory and drop every database.
//!
//! Each resource is cleaned up by exactly one party: whoever takes it out of the registry first,
//! its owner's `Drop` or the signal thread.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::shmem::Segment;
use super::{database, process, server, shadow, ScratchError};

/// Something this process created and must remove.
#[derive(Debug)]
pub enum Resource {
    /// An embedded cluster: its directory, and the pid of the process running in it (initdb
    /// while it initialises, then the server).
    Cluster { dir: PathBuf, pid: Option<u32> },
    /// A database created on a server given by URL.
    Database {
        admin: Box<postgres::Config>,
        name: String,
    },
    /// A shadow database a run drills inside, held by the session `held_pid`: reset, never
    /// dropped.
    Shadow {
        config: Box<postgres::Config>,
        schema: String,
        held_pid: i32,
        /// The schemas there once the run had reset the database.
        kept: Vec<String>,
    },
}

/// Identifies one registered resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(u64);

struct Registry {
    next: u64,
    live: BTreeMap<u64, Resource>,
    /// Set once a signal arrived: nothing new may start, it would outlive the cleanup.
    closed: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 0,
    live: BTreeMap::new(),
    closed: false,
});

/// The registry, even after a panic while it was held: cleanup must still be possible.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records a resource for cleanup on a signal. Fails once a signal is being handled.
pub fn register(resource: Resource) -> Result<Ticket, ScratchError> {
    install_signal_handler()?;
    let mut registry = registry();
    if registry.closed {
        return Err(ScratchError::Interrupted);
    }
    registry.next += 1;
    let id = registry.next;
    registry.live.insert(id, resource);
    Ok(Ticket(id))
}

/// Records which process now runs in a registered cluster.
pub fn set_pid(ticket: Ticket, new_pid: Option<u32>) {
    if let Some(Resource::Cluster { pid, .. }) = registry().live.get_mut(&ticket.0) {
        *pid = new_pid;
    }
}

/// Takes a resource back for its owner to clean up. `None` means the signal thread has it and
/// the process is about to exit: the owner must leave it alone.
pub fn release(ticket: Ticket) -> Option<Resource> {
    registry().live.remove(&ticket.0)
}

/// Installs the SIGINT/SIGTERM thread once per process.
fn install_signal_handler() -> Result<(), ScratchError> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(|e| e.to_string())?;
            std::thread::Builder::new()
                .name("unmigrate-scratch-signals".into())
                .spawn(move || {
                    if let Some(signal) = signals.forever().next() {
                        clean_up_and_exit(signal);
                    }
                })
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(ScratchError::SignalHandler)
}

/// For a thread that found its resource taken by the signal cleanup: the process is exiting
/// with the signal's code as soon as that cleanup is done, so wait for it rather than go on
/// (going on could exit first, with another code, before the cleanup finished).
pub fn wait_for_signal_exit() -> ! {
    loop {
        std::thread::park();
    }
}

/// Removes everything still registered, then exits as a shell reports death by that signal.
fn clean_up_and_exit(signal: i32) -> ! {
    let live = {
        let mut registry = registry();
        registry.closed = true;
        std::mem::take(&mut registry.live)
    };
    // Databases first: one may live on a server that is about to be stopped.
    let (databases, clusters): (Vec<_>, Vec<_>) = live
        .into_values()
        .partition(|r| matches!(r, Resource::Database { .. } | Resource::Shadow { .. }));
    databases.into_iter().chain(clusters).for_each(clean_up);
    std::process::exit(128 + signal);
}

/// Removes one resource, best effort: the process is exiting, there is no one to report to but
/// stderr.
pub fn clean_up(resource: Resource) {
    match resource {
        Resource::Cluster { dir, pid } => {
            let segment = Segment::of_cluster(&server::data_dir(&dir));
            if let Some(pid) = pid {
                process::stop_pid(pid, process::STOP_TIMEOUT);
            }
            if let Some(segment) = segment {
                segment.remove();
            }
            let _ = std::fs::remove_dir_all(dir);
        }
        Resource::Database { admin, name } => {
            if let Err(error) = database::drop_database(&admin, &name) {
                eprintln!("warning: {error}");
            }
        }
        Resource::Shadow {
            config,
            schema,
            held_pid,
            kept,
        } => {
            if let Err(error) = shadow::end_run_of(&config, &schema, held_pid, &kept) {
                eprintln!("warning: {error}");
            }
        }
    }
}
