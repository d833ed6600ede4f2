//! Child processes of an embedded cluster: who they run as, how they die with us, how we stop
//! them.

use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::ScratchError;

/// The account that owns the cluster when we run as root.
const CLUSTER_USER: &str = "postgres";

/// How long a server gets to shut down before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a stopping process is checked on.
const POLL: Duration = Duration::from_millis(5);

/// Asks the server to shut down. Fast shutdown (SIGINT) ends client sessions itself; SIGTERM
/// ("smart") would wait for every open client, so one forgotten connection would stall us.
const STOP_SIGNAL: libc::c_int = libc::SIGINT;

/// Sent by the kernel when we die without cleaning up (SIGKILL, abort): immediate shutdown, the
/// server's own emergency stop, which still takes its helper processes down and frees shared
/// memory, unlike SIGKILL.
const ORPHAN_SIGNAL: libc::c_int = libc::SIGQUIT;

/// Unprivileged uid and gid to run `initdb` and `postgres` as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

/// `Some(postgres user)` when we are root (initdb refuses to run as root), `None` otherwise:
/// then the cluster simply runs as us.
pub fn cluster_owner() -> Result<Option<Owner>, ScratchError> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    lookup_user(&passwd, CLUSTER_USER)
        .map(Some)
        .ok_or(ScratchError::NoUnprivilegedUser)
}

/// The uid and gid of `user` in /etc/passwd text (`name:x:uid:gid:...`).
fn lookup_user(passwd: &str, user: &str) -> Option<Owner> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == user).then_some(())?;
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(Owner { uid, gid })
    })
}

/// Hands a directory we created to the cluster owner.
pub fn give_to(path: &Path, owner: Option<Owner>) -> Result<(), ScratchError> {
    let Some(owner) = owner else { return Ok(()) };
    std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid)).map_err(|source| {
        ScratchError::Chown {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// A command for a cluster process: run as `owner`, in its own process group (a terminal's
/// Ctrl-C reaches us, and we stop the server in order), killed by the kernel if the thread that
/// spawns it dies.
///
/// Ordering matters: the kernel clears the parent-death signal whenever the process changes
/// credentials, and std runs `pre_exec` closures after its `setgid`/`setuid`, so the signal is
/// armed last, under the final uid. The parent-death signal follows the spawning *thread*: start
/// servers from a thread that lives as long as they do.
pub fn cluster_command(program: &Path, owner: Option<Owner>) -> Command {
    let mut command = Command::new(program);
    if let Some(owner) = owner {
        command.uid(owner.uid).gid(owner.gid);
    }
    command.process_group(0);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure only makes async-signal-safe system calls and does not allocate.
    unsafe {
        command.pre_exec(move || die_with_parent(parent));
    }
    command
}

/// Arms the parent-death signal, then checks the parent did not die before it was armed.
fn die_with_parent(parent: libc::pid_t) -> io::Result<()> {
    // SAFETY: plain system calls with integer arguments.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, ORPHAN_SIGNAL as libc::c_ulong) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::getppid() != parent {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
    }
    Ok(())
}

/// Stops a server we own: shutdown signal, wait up to `timeout`, then SIGKILL. The child is
/// reaped, so its pid is free afterwards.
pub fn stop_child(child: &mut Child, timeout: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    signal(child.id(), STOP_SIGNAL);
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(None) => sleep(POLL),
            _ => return,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// [`stop_child`] for the signal handler, which knows only the pid: the `Child` belongs to a
/// thread that is still running. Reaps the process itself with `waitpid`.
pub fn stop_pid(pid: u32, timeout: Duration) {
    if reaped(pid) {
        return;
    }
    signal(pid, STOP_SIGNAL);
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if reaped(pid) {
            return;
        }
        sleep(POLL);
    }
    signal(pid, libc::SIGKILL);
    let deadline = Instant::now() + timeout;
    while !reaped(pid) && Instant::now() < deadline {
        sleep(POLL);
    }
}

pub fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions; a stale pid only yields ESRCH.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Kills every process in the group `leader` leads (as [`cluster_command`] makes its children
/// do).
pub fn kill_group(leader: u32) {
    // SAFETY: kill has no memory-safety preconditions; a stale group only yields ESRCH.
    unsafe {
        libc::kill(-(leader as libc::pid_t), libc::SIGKILL);
    }
}

/// True when `pid` has exited and is reaped now, or is no child of ours (already reaped).
fn reaped(pid: u32) -> bool {
    let mut status = 0;
    // SAFETY: status is a valid out-pointer for the duration of the call.
    let result = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) };
    result != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_postgres_user_in_passwd_text() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(
            lookup_user(passwd, "postgres"),
            Some(Owner { uid: 101, gid: 104 })
        );
        assert_eq!(lookup_user(passwd, "postgresql"), None);
    }
}
