//! Drills on a server given by URL over TCP, with and without TLS: managed servers require it,
//! and a plain-text connection the user did not ask for is said out loud.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::tcp_server::{TcpServer, Tls};
use common::{arg, Run, Sandbox};

const EXIT_PASSED: i32 = 0;
const EXIT_ERROR: i32 = 2;

/// A sandbox with a one-migration history, to drill on the server at a URL.
struct Drills {
    sandbox: Sandbox,
    history: PathBuf,
}

impl Drills {
    fn new() -> Drills {
        let sandbox = Sandbox::new();
        let history = sandbox.history(&[(
            "20240101000000_init",
            "CREATE TABLE \"User\" (id int PRIMARY KEY);\n",
        )]);
        Drills { sandbox, history }
    }

    /// `unmigrate drill HISTORY --database-url URL`, to the end, which must exit with `code`.
    fn drill(&self, url: &str, code: i32) -> Run {
        let args = ["drill", arg(&self.history), "--database-url", url];
        let run = self.sandbox.output(&args);
        assert_eq!(run.code, code, "{run}");
        run
    }
}

#[test]
fn sslmode_require_drills_over_tls_on_a_server_that_refuses_plain_text() {
    let server = TcpServer::start(Tls::Required);
    let drills = Drills::new();

    let run = drills.drill(&server.url("sslmode=require"), EXIT_PASSED);
    assert!(run.stdout.contains("Drill passed"), "{run}");
    assert!(!run.stderr.contains("not encrypted"), "{run}");

    // The default (prefer) takes TLS when the server offers it.
    let run = drills.drill(&server.url(""), EXIT_PASSED);
    assert!(!run.stderr.contains("not encrypted"), "{run}");

    // The server really refuses plain text: the TLS above was not optional.
    let run = drills.drill(&server.url("sslmode=disable"), EXIT_ERROR);
    assert!(run.stderr.contains("no encryption"), "{run}");
}

#[test]
fn sslmode_prefer_says_when_it_ends_in_plain_text_and_require_refuses_it() {
    let server = TcpServer::start(Tls::Off);
    let drills = Drills::new();

    let run = drills.drill(&server.url(""), EXIT_PASSED);
    assert!(
        run.stderr.contains("is not encrypted") && run.stderr.contains("sslmode=require"),
        "{run}"
    );

    let run = drills.drill(&server.url("sslmode=require"), EXIT_ERROR);
    assert!(run.stderr.contains("does not support TLS"), "{run}");
    assert!(!run.stderr.contains("TLS implementation"), "{run}");
}

#[test]
fn verifying_ssl_modes_are_refused_before_connecting() {
    let drills = Drills::new();
    for mode in ["verify-ca", "verify-full"] {
        let url = format!("postgresql://postgres@127.0.0.1:1/postgres?sslmode={mode}");
        let run = drills.drill(&url, EXIT_ERROR);
        assert!(
            run.stderr
                .contains(&format!("sslmode={mode} is not supported")),
            "{run}"
        );
    }
}
