//! A PostgreSQL server a test owns, listening on 127.0.0.1 (optionally with TLS): the kind of
//! server a user names with `--database-url`, unlike the product's socket-only scratch cluster.
//! Stopped and removed when dropped.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct TcpServer {
    pub port: u16,
    dir: TempDir,
    child: Child,
}

/// How the test server accepts TCP connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// TLS only: plain-text connections are rejected by `pg_hba.conf`.
    Required,
    /// No TLS at all.
    Off,
}

impl TcpServer {
    pub fn start(tls: Tls) -> TcpServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let owner = owner();
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let data = dir.path().join("data");
        let status = as_owner(Command::new(Path::new(PG_BIN).join("initdb")), owner)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("initdb runs (is PostgreSQL 15 installed?)");
        assert!(status.success(), "initdb failed");
        let hba = match tls {
            Tls::Required => "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
            Tls::Off => "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        };
        fs::write(data.join("pg_hba.conf"), hba).expect("pg_hba.conf");
        let mut settings = vec!["listen_addresses=127.0.0.1".to_string(), "fsync=off".into()];
        if tls == Tls::Required {
            make_certificate(&data, owner);
            settings.extend(["ssl=on".into(), "ssl_cert_file=server.crt".into()]);
            settings.push("ssl_key_file=server.key".into());
        }
        let port = free_port();
        let mut command = as_owner(Command::new(Path::new(PG_BIN).join("postgres")), owner);
        command
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.path())
            .args(["-p", &port.to_string()])
            .args(settings.iter().flat_map(|s| ["-c", s.as_str()]))
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.path().join("log")).expect("log file"));
        let child = command.spawn().expect("postgres starts");
        let server = TcpServer { port, dir, child };
        server.wait_ready();
        server
    }

    /// A URL for the `postgres` database with these extra query parameters.
    pub fn url(&self, query: &str) -> String {
        format!(
            "postgresql://postgres@127.0.0.1:{}/postgres?{query}",
            self.port
        )
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        let socket = self.dir.path().join(format!(".s.PGSQL.{}", self.port));
        while !socket.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the test server did not start: {}",
                fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The socket appears just before the server accepts connections.
        std::thread::sleep(Duration::from_millis(200));
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for TcpServer {
    fn drop(&mut self) {
        // SAFETY: kill with a pid we own; SIGINT is PostgreSQL's fast shutdown.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
    }
}

/// The `postgres` account when we are root (initdb refuses root), else ourselves.
fn owner() -> Option<(u32, u32)> {
    if !super::process::is_root() {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    Some((id("-u"), id("-g")))
}

fn as_owner(mut command: Command, owner: Option<(u32, u32)>) -> Command {
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
    command
}

/// A self-signed certificate for 127.0.0.1, owned by the server's account, key mode 0600.
fn make_certificate(data: &Path, owner: Option<(u32, u32)>) {
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(data.join("server.key"))
        .arg("-out")
        .arg(data.join("server.crt"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs (apt-get install openssl)");
    assert!(status.success(), "openssl req failed");
    for file in ["server.key", "server.crt"] {
        let path = data.join(file);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}
