//! Drills on a server given by URL over TCP, with and without TLS: managed servers require it,
//! and a plain-text connection the user did not ask for is said out loud.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use common::tcp_server::{TcpServer, Tls};
use common::{arg, write_history, Sandbox};

fn history(sandbox: &Sandbox) -> std::path::PathBuf {
    let dir = sandbox.project().join("migrations");
    write_history(
        &dir,
        &[(
            "20240101000000_init",
            "CREATE TABLE \"User\" (id int PRIMARY KEY);\n",
        )],
    );
    dir
}

#[test]
fn sslmode_require_drills_over_tls_on_a_server_that_refuses_plain_text() {
    let server = TcpServer::start(Tls::Required);
    let sandbox = Sandbox::new();
    let dir = history(&sandbox);

    let run = sandbox.output(&[
        "drill",
        arg(&dir),
        "--database-url",
        &server.url("sslmode=require"),
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("Drill passed"), "{run}");
    assert!(!run.stderr.contains("not encrypted"), "{run}");

    // The default (prefer) takes TLS when the server offers it.
    let run = sandbox.output(&["drill", arg(&dir), "--database-url", &server.url("")]);
    assert_eq!(run.code, 0, "{run}");
    assert!(!run.stderr.contains("not encrypted"), "{run}");

    // The server really refuses plain text: the TLS above was not optional.
    let run = sandbox.output(&[
        "drill",
        arg(&dir),
        "--database-url",
        &server.url("sslmode=disable"),
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("no encryption"), "{run}");
}

#[test]
fn sslmode_prefer_says_when_it_ends_in_plain_text_and_require_refuses_it() {
    let server = TcpServer::start(Tls::Off);
    let sandbox = Sandbox::new();
    let dir = history(&sandbox);

    let run = sandbox.output(&["drill", arg(&dir), "--database-url", &server.url("")]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("is not encrypted") && run.stderr.contains("sslmode=require"),
        "{run}"
    );

    let run = sandbox.output(&[
        "drill",
        arg(&dir),
        "--database-url",
        &server.url("sslmode=require"),
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("does not support TLS"), "{run}");
    assert!(!run.stderr.contains("TLS implementation"), "{run}");
}

#[test]
fn verifying_ssl_modes_are_refused_before_connecting() {
    let sandbox = Sandbox::new();
    let dir = history(&sandbox);
    for mode in ["verify-ca", "verify-full"] {
        let url = format!("postgresql://postgres@127.0.0.1:1/postgres?sslmode={mode}");
        let run = sandbox.output(&["drill", arg(&dir), "--database-url", &url]);
        assert_eq!(run.code, 2, "{run}");
        assert!(
            run.stderr
                .contains(&format!("sslmode={mode} is not supported")),
            "{run}"
        );
    }
}
