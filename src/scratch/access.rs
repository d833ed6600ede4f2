//! Who may reach an embedded cluster: only the user who started the run.
//!
//! A superuser session runs programs as the cluster's owner (`COPY … TO PROGRAM`), so another
//! local user must not get one. Three locks, each enough on its own against a local user:
//! the cluster's directory is private to its owner (mode 0700, so nobody else can reach the
//! socket in it), the socket itself is private (`unix_socket_permissions = 0700`), and
//! `pg_hba.conf` admits only `peer` connections from the invoking OS user, mapped to the
//! `postgres` role. Peer authentication asks the kernel who is on the other end of the socket:
//! no password to generate or leak, and no hashing on each of the many connections a drill
//! opens. (As root, the cluster runs as `postgres`, and root reaches the private directory by
//! its privilege; the `postgres` OS user is refused by the map all the same.)

use std::ffi::CStr;
use std::path::Path;

use super::ScratchError;

/// Mode of the cluster's directory: its owner only.
pub const DIR_MODE: u32 = 0o700;

/// The server setting that makes the socket file private to the cluster's owner.
pub const SOCKET_PERMISSIONS: &str = "unix_socket_permissions=0700";

/// The `pg_ident.conf` map that names who may log in as the superuser.
const MAP: &str = "unmigrate";

/// Writes `pg_hba.conf` and `pg_ident.conf` into `data_dir` (they exist after initdb and keep
/// their owner): peer authentication for `os_user`, as `role`, over the Unix socket only.
pub fn restrict(data_dir: &Path, os_user: &str, role: &str) -> Result<(), ScratchError> {
    let hba = format!(
        "# unmigrate scratch cluster: only the OS user who started the run, over the socket.\n\
         local all {role} peer map={MAP}\n"
    );
    let ident = format!("{MAP} {} {role}\n", ident_token(os_user)?);
    write(&data_dir.join("pg_hba.conf"), &hba)?;
    write(&data_dir.join("pg_ident.conf"), &ident)
}

fn write(path: &Path, text: &str) -> Result<(), ScratchError> {
    std::fs::write(path, text).map_err(|source| ScratchError::Access {
        path: path.to_path_buf(),
        source,
    })
}

/// `user` quoted for `pg_ident.conf`, which reads double-quoted tokens verbatim.
fn ident_token(user: &str) -> Result<String, ScratchError> {
    if user.is_empty() || user.contains(['"', '\n', '\r']) {
        return Err(ScratchError::UnusableUserName {
            name: user.to_string(),
        });
    }
    Ok(format!("\"{user}\""))
}

/// The name of the effective user, as the server will see it on the socket (through NSS, as
/// the server looks it up).
pub fn invoking_user() -> Result<String, ScratchError> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    let mut entry = std::mem::MaybeUninit::<libc::passwd>::uninit();
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, and the buffer's length is passed with it;
    // `entry` is read only when getpwuid_r reports it filled (found non-null).
    let name = unsafe {
        let status = libc::getpwuid_r(
            uid,
            entry.as_mut_ptr(),
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        );
        if status != 0 || found.is_null() {
            return Err(ScratchError::UnknownUser { uid });
        }
        CStr::from_ptr((*found).pw_name)
            .to_string_lossy()
            .into_owned()
    };
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_invoking_user_is_mapped_and_nothing_is_trusted() {
        let dir = tempfile::tempdir().unwrap();
        restrict(dir.path(), "alice", "postgres").unwrap();
        let hba = std::fs::read_to_string(dir.path().join("pg_hba.conf")).unwrap();
        let rules: Vec<&str> = hba.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(rules, ["local all postgres peer map=unmigrate"]);
        let ident = std::fs::read_to_string(dir.path().join("pg_ident.conf")).unwrap();
        assert_eq!(ident, "unmigrate \"alice\" postgres\n");
        assert!(restrict(dir.path(), "a\"b", "postgres").is_err());
    }

    #[test]
    fn the_invoking_user_has_a_name() {
        assert!(!invoking_user().unwrap().is_empty());
    }
}
