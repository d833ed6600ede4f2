//! The System V shared-memory segment of an embedded cluster.
//!
//! PostgreSQL keeps a small System V segment as an interlock, and removes it when it shuts
//! down, even in an immediate shutdown. A server killed outright (SIGKILL, the OOM killer)
//! leaves it in the kernel until reboot. Its key and id are on line 7 of `postmaster.pid`,
//! which the server deletes when it stops, so they are read while the server still runs (or
//! from a dead server's leftover file) and the segment is removed after the server is gone.
//!
//! The server's other shared memory needs no such care: the main area is anonymous memory
//! that dies with its processes, and dynamic segments are files in the data directory
//! (`dynamic_shared_memory_type = mmap`, see `server.rs`), removed with it.

use std::path::Path;

/// The 1-based line of `postmaster.pid` that holds `<key> <id>`.
const SHMEM_LINE: usize = 7;

/// A System V segment a cluster's postmaster created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub key: i32,
    pub id: i32,
    /// The postmaster that created it (line 1 of `postmaster.pid`).
    pub creator: i32,
}

impl Segment {
    /// The segment named in `<data_dir>/postmaster.pid`, if the file is there and complete.
    pub fn of_cluster(data_dir: &Path) -> Option<Segment> {
        let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
        Segment::parse(&text)
    }

    fn parse(pid_file: &str) -> Option<Segment> {
        let lines: Vec<&str> = pid_file.lines().collect();
        let creator = lines.first()?.trim().parse().ok()?;
        let mut shmem = lines.get(SHMEM_LINE - 1)?.split_whitespace();
        // Printed as unsigned longs: a negative key_t or id comes out as a huge number.
        let mut next = || shmem.next()?.parse::<u64>().ok().map(|n| n as u32 as i32);
        let key = next()?;
        let id = next()?;
        Some(Segment { key, id, creator })
    }

    /// Whether the kernel still holds this very segment: same id, key and creator (an id alone
    /// may have been reused by another program's segment).
    pub fn exists(&self) -> bool {
        self.status().is_some()
    }

    /// Removes the segment if it is still there and still this one. The kernel frees it once
    /// the last process detaches (a killed postmaster's children leave within moments).
    /// Returns whether it was removed.
    pub fn remove(&self) -> bool {
        if !self.exists() {
            return false;
        }
        // SAFETY: IPC_RMID takes no buffer; a stale id only yields EINVAL.
        unsafe { libc::shmctl(self.id, libc::IPC_RMID, std::ptr::null_mut()) == 0 }
    }

    fn status(&self) -> Option<libc::shmid_ds> {
        let mut status = std::mem::MaybeUninit::<libc::shmid_ds>::uninit();
        // SAFETY: IPC_STAT fills the buffer, which is read only when the call succeeded.
        let status = unsafe {
            if libc::shmctl(self.id, libc::IPC_STAT, status.as_mut_ptr()) != 0 {
                return None;
            }
            status.assume_init()
        };
        (status.shm_perm.__key == self.key && status.shm_cpid == self.creator).then_some(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_key_and_id_from_line_7_of_postmaster_pid() {
        let file = "4242\n/tmp/x/data\n1700000000\n5432\n/tmp/x\n\n  5432001        17\nready   \n";
        assert_eq!(
            Segment::parse(file),
            Some(Segment {
                key: 5432001,
                id: 17,
                creator: 4242
            })
        );
        assert_eq!(Segment::parse("4242\n/tmp/x/data\n"), None);
    }
}
