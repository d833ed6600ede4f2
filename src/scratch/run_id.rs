//! Which run made a scratch resource, precisely enough for a later run to prove that the maker
//! is dead and that the resource is its own to remove.
//!
//! A pid alone proves nothing: pids are reused, and another container or host has the same
//! pids. So a run is named by its pid, its start time (clock ticks after boot, from
//! `/proc/<pid>/stat`: a reused pid starts later) and a tag of the kernel boot, the pid
//! namespace and the user it ran as (a pid says nothing in another boot, container or host,
//! and another user's processes may be hidden from us by `hidepid`). A later run removes a
//! resource only when the tag is its own and no process with that pid and start time exists;
//! anything else is left alone.

use std::path::Path;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// Hex digits of the boot-and-namespace tag: enough that two namespaces sharing one is
/// negligible, short enough for a database name (63 bytes at most).
const TAG_LEN: usize = 8;

/// One process, identified across pid reuse, reboots and pid namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunId {
    pub pid: u32,
    /// Clock ticks after boot at which the process started.
    pub start: u64,
    /// Hex digest of the boot id, the pid namespace and the effective uid.
    pub tag: String,
}

/// What a later run may conclude about the run that made a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maker {
    /// Made in this boot and pid namespace by a process that no longer exists: ours to remove.
    Dead,
    /// The process still runs.
    Running,
    /// Made in another boot, container or host, or by another user: nothing here can tell
    /// whether it runs.
    Elsewhere,
}

impl RunId {
    /// This process, or `None` when `/proc` cannot tell (then nothing is ever swept).
    pub fn current() -> Option<&'static RunId> {
        static CURRENT: OnceLock<Option<RunId>> = OnceLock::new();
        CURRENT
            .get_or_init(|| {
                let pid = std::process::id();
                Some(RunId {
                    pid,
                    start: start_ticks(pid)?,
                    tag: here_tag()?,
                })
            })
            .as_ref()
    }

    /// Whether the run `self` names is dead, running, or beyond what this process can see.
    pub fn maker(&self) -> Maker {
        match RunId::current() {
            Some(here) if here.tag == self.tag => {}
            _ => return Maker::Elsewhere,
        }
        if start_ticks(self.pid) == Some(self.start) && !exited(self.pid) {
            Maker::Running
        } else {
            Maker::Dead
        }
    }

    /// `pid=<pid> start=<ticks> tag=<hex>`, as written into a marker.
    pub fn to_marker(&self) -> String {
        format!("pid={} start={} tag={}\n", self.pid, self.start, self.tag)
    }

    /// The inverse of [`RunId::to_marker`]; `None` for anything else (a half-written marker,
    /// a file of another program).
    pub fn from_marker(text: &str) -> Option<RunId> {
        let mut fields = text.trim_end_matches('\n').split(' ');
        let pid = fields.next()?.strip_prefix("pid=")?.parse().ok()?;
        let start = fields.next()?.strip_prefix("start=")?.parse().ok()?;
        let tag = fields.next()?.strip_prefix("tag=")?;
        (fields.next().is_none() && is_tag(tag)).then(|| RunId {
            pid,
            start,
            tag: tag.to_string(),
        })
    }

    /// `<pid>_<start>_<tag>`, the part of a database name that names its run.
    pub fn to_name_part(&self) -> String {
        format!("{}_{}_{}", self.pid, self.start, self.tag)
    }

    /// The run named by `<pid>_<start>_<tag>_<anything>`, and the rest after it.
    pub fn from_name_part(text: &str) -> Option<(RunId, &str)> {
        let mut fields = text.splitn(4, '_');
        let pid = digits(fields.next()?)?;
        let start = digits(fields.next()?)?;
        let tag = fields.next().filter(|tag| is_tag(tag))?;
        let rest = fields.next()?;
        Some((
            RunId {
                pid,
                start,
                tag: tag.to_string(),
            },
            rest,
        ))
    }
}

fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| text.parse().ok()).flatten()
}

fn is_tag(text: &str) -> bool {
    text.len() == TAG_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks after boot.
pub fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces and parentheses.
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split(' ').nth(22 - 3)?.parse().ok()
}

/// A zombie with no threads left has exited; only its parent has not reaped it yet. (A
/// zombie thread-group leader whose other threads still run is alive.)
fn exited(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    let zombie = stat
        .rsplit_once(") ")
        .is_some_and(|(_, rest)| rest.starts_with('Z'));
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count);
    zombie && threads <= 1
}

/// The tag of this boot, pid namespace and user.
fn here_tag() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = std::fs::read_link(Path::new("/proc/self/ns/pid")).ok()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let digest = Sha256::new()
        .chain_update(boot.trim().as_bytes())
        .chain_update(b"\0")
        .chain_update(namespace.as_os_str().as_encoded_bytes())
        .chain_update(b"\0")
        .chain_update(uid.to_string().as_bytes())
        .finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(hex[..TAG_LEN].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_running_and_a_reused_pid_is_dead() {
        let here = RunId::current().expect("/proc tells who we are");
        assert_eq!(here.maker(), Maker::Running);
        let reused = RunId {
            start: here.start + 1,
            ..here.clone()
        };
        assert_eq!(reused.maker(), Maker::Dead);
        let elsewhere = RunId {
            tag: "00000000".into(),
            ..here.clone()
        };
        assert_eq!(elsewhere.maker(), Maker::Elsewhere);
    }

    #[test]
    fn markers_and_name_parts_read_back() {
        let id = RunId {
            pid: 42,
            start: 123456,
            tag: "0a1b2c3d".into(),
        };
        assert_eq!(RunId::from_marker(&id.to_marker()), Some(id.clone()));
        let name = format!("{}_ff00", id.to_name_part());
        assert_eq!(RunId::from_name_part(&name), Some((id, "ff00")));
        for bad in [
            "42_1_0a1b2c3d",
            "42_x_0a1b2c3d_1",
            "42_1_0A1B2C3D_1",
            "42__0a1b2c3d_1",
        ] {
            assert_eq!(RunId::from_name_part(bad), None, "{bad}");
        }
        assert_eq!(RunId::from_marker("pid=1 start=2"), None);
    }
}
