//! Watching processes from a test: whether we are root, whether a process still runs, which
//! processes live (through /proc), and waiting for something to happen with a deadline.

use std::fs;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Gone, or a zombie waiting for a reaper that is not ours: either way it runs no more.
pub fn process_gone(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Polls `done` until it holds; fails the test, naming `what`, after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "still waiting after {limit:?}: {what}"
        );
        sleep(Duration::from_millis(20));
    }
}

/// Polls `probe` until it gives a value, or fails the test after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "still waiting after {timeout:?}: {what}"
        );
        sleep(Duration::from_millis(20));
    }
}

/// Pids of live processes, with their `/proc/<pid>/stat` after the pid.
pub fn processes() -> Vec<(u32, String)> {
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, stat))
        })
        .collect()
}

/// (pid, command name) of the live children of `parent`.
pub fn children(parent: u32) -> Vec<(u32, String)> {
    processes()
        .into_iter()
        .filter_map(|(pid, stat)| {
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            let (head, rest) = stat.rsplit_once(") ")?;
            let comm = head.split_once(" (")?.1.to_string();
            let mut fields = rest.split_whitespace();
            let state = fields.next()?;
            let ppid: u32 = fields.next()?.parse().ok()?;
            (ppid == parent && state != "Z").then_some((pid, comm))
        })
        .collect()
}

pub fn cmdline(pid: u32) -> Vec<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|&b| b == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

/// Live processes with an argument under `dir`, such as a postmaster's `-D`.
pub fn processes_mentioning(dir: &Path) -> Vec<u32> {
    let dir = super::arg(dir);
    processes()
        .into_iter()
        .map(|(pid, _)| pid)
        .filter(|&pid| !process_gone(pid) && cmdline(pid).iter().any(|a| a.starts_with(dir)))
        .collect()
}
