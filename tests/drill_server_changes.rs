//! A drill on a server given by URL changes nothing but the database it creates: statements
//! whose effect reaches beyond it (roles, role settings, `ALTER SYSTEM`, …) are refused before
//! anything runs, with their `file:line`, and exit 3; `--allow-server-changes` runs them and
//! every report format lists them; the embedded default runs them without asking. A server the
//! test owns (an embedded cluster started here) stands in for the user's, and its globals
//! (`pg_dumpall --globals-only`) and `postgresql.auto.conf` are compared before and after.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use unmigrate::scratch::{ScratchOptions, ScratchServer, NAME_PREFIX};

mod common;
use common::{arg, array, text, write_history, Run, Sandbox};

const EXIT_PASSED: i32 = 0;
const EXIT_REFUSED: i32 = 3;

const INIT: &str = "20260101000000_init";
const ROLES: &str = "20260102000000_roles";
const SYSTEM: &str = "20260103000000_system";
const HIDDEN: &str = "20260104000000_hidden";

/// The server changes, one migration for `ALTER SYSTEM` (which cannot share a batch-mode file)
/// and a `DO` block whose statements the drill cannot see; in `migrations/` of a temp dir.
fn history() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    write_history(
        &migrations,
        &[
            (INIT, "CREATE TABLE a (id int);\n"),
            (
                ROLES,
                "CREATE TABLE b (id int);\n\
                 CREATE ROLE app_reader;\n\
                 ALTER ROLE app_owner SET statement_timeout = '5s';\n",
            ),
            (SYSTEM, "ALTER SYSTEM SET work_mem = '13MB';\n"),
            (HIDDEN, "DO $$ BEGIN PERFORM 1; END $$;\n"),
        ],
    );
    (dir, migrations)
}

/// What the server looks like outside any one database.
#[derive(Debug, PartialEq)]
struct Globals {
    dumpall: String,
    auto_conf: String,
    drill_databases: Vec<String>,
}

struct Server {
    server: ScratchServer,
    admin: postgres::Client,
}

impl Server {
    fn start() -> Server {
        let server = ScratchServer::start_embedded(ScratchOptions {
            start_timeout: Duration::from_secs(120),
            ..ScratchOptions::default()
        })
        .unwrap_or_else(|e| panic!("the test's own PostgreSQL did not start: {e}"));
        let mut admin = server.connect("postgres").unwrap();
        // The application's own role, which exists before any drill.
        admin.batch_execute("CREATE ROLE app_owner").unwrap();
        Server { server, admin }
    }

    fn globals(&mut self) -> Globals {
        let dumpall = Command::new(self.server.bin_dir().join("pg_dumpall"))
            .args(["--globals-only", "--dbname", &self.server.url()])
            .output()
            .expect("run pg_dumpall");
        assert!(dumpall.status.success(), "pg_dumpall: {dumpall:?}");
        let auto_conf = self
            .admin
            .query_one("SELECT pg_read_file('postgresql.auto.conf')", &[])
            .unwrap()
            .get(0);
        let drill_databases = self
            .admin
            .query(
                "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1)",
                &[&NAME_PREFIX],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        // Newer pg_dumpall fences its output with a random `\restrict` key: not the server's.
        let dumpall = String::from_utf8(dumpall.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n");
        Globals {
            dumpall,
            auto_conf,
            drill_databases,
        }
    }

    /// Undoes what an allowed drill changed, so the next run starts from the same server.
    fn reset(&mut self) {
        // One statement at a time: ALTER SYSTEM cannot share a query.
        for sql in [
            "DROP ROLE IF EXISTS app_reader",
            "ALTER ROLE app_owner RESET ALL",
            "ALTER SYSTEM RESET work_mem",
        ] {
            self.admin.batch_execute(sql).unwrap();
        }
    }

    fn drill(&self, migrations: &Path, extra: &[&str]) -> Run {
        let url = self.server.url();
        let mut args = vec![
            "drill",
            arg(migrations),
            "--database-url",
            &url,
            "--jobs",
            "1",
        ];
        args.extend_from_slice(extra);
        Sandbox::new().output(&args)
    }
}

fn file_line(migrations: &Path, folder: &str, line: usize) -> String {
    format!(
        "{}:{line}",
        migrations.join(folder).join("migration.sql").display()
    )
}

#[test]
fn a_url_drill_refuses_server_changes_with_their_lines_and_changes_nothing() {
    let mut server = Server::start();
    let (_dir, migrations) = history();
    let before = server.globals();

    let run = server.drill(&migrations, &[]);
    assert_eq!(run.code, EXIT_REFUSED, "{run}");
    assert!(
        run.stdout.is_empty(),
        "no report for a drill that did not run: {run}"
    );
    for (folder, line, what) in [
        (ROLES, 2, "CREATE ROLE"),
        (ROLES, 3, "ALTER ROLE … SET"),
        (SYSTEM, 1, "ALTER SYSTEM"),
    ] {
        let expected = format!("{}: {what} (", file_line(&migrations, folder, line));
        assert!(
            run.stderr.contains(&expected),
            "{expected:?} missing:\n{run}"
        );
    }
    assert!(run.stderr.contains("--allow-server-changes"), "{run}");
    assert!(
        !run.stderr.contains(&file_line(&migrations, INIT, 1)),
        "{run}"
    );

    assert_eq!(
        server.globals(),
        before,
        "the refused drill changed the server"
    );
}

#[test]
fn allowed_server_changes_run_and_every_format_lists_them() {
    let mut server = Server::start();
    let (_dir, migrations) = history();
    let before = server.globals();
    let listed = [
        (file_line(&migrations, ROLES, 2), "CREATE ROLE"),
        (file_line(&migrations, ROLES, 3), "ALTER ROLE … SET"),
        (file_line(&migrations, SYSTEM, 1), "ALTER SYSTEM"),
    ];
    let warned = file_line(&migrations, HIDDEN, 1);

    for format in ["json", "human", "junit", "markdown"] {
        let run = server.drill(&migrations, &["--allow-server-changes", "--format", format]);
        assert_eq!(run.code, EXIT_PASSED, "{format}: {run}");
        if format == "json" {
            assert_json_lists(&run.json(), &listed, &warned);
        } else {
            for (at, what) in &listed {
                let line = format!("{at}: {what} (");
                assert!(
                    run.stdout.contains(&line),
                    "{format}: {line:?} missing:\n{run}"
                );
            }
            assert!(
                run.stdout.contains(&format!("{warned}: DO (")),
                "{format}: the DO block is not warned about:\n{run}"
            );
        }

        // They really ran on the server: the flag is what it says.
        let changed = server.globals();
        assert!(
            changed.dumpall.contains("CREATE ROLE app_reader;"),
            "{format}"
        );
        assert!(
            changed
                .dumpall
                .contains("ALTER ROLE app_owner SET statement_timeout TO '5s';"),
            "{format}: {}",
            changed.dumpall
        );
        assert!(changed.auto_conf.contains("work_mem = '13MB'"), "{format}");
        assert!(changed.drill_databases.is_empty(), "{format}");
        server.reset();
        assert_eq!(server.globals(), before, "{format}: reset");
    }
}

fn assert_json_lists(report: &Value, listed: &[(String, &str)], warned: &str) {
    let changes: Vec<String> = array(&report["report"]["server_changes"])
        .iter()
        .map(|c| format!("{}:{}: {}", text(&c["file"]), c["line"], text(&c["what"])))
        .collect();
    let expected: Vec<String> = listed
        .iter()
        .map(|(at, what)| format!("{at}: {what}"))
        .collect();
    assert_eq!(changes, expected);
    let kinds: Vec<&str> = array(&report["report"]["server_changes"])
        .iter()
        .map(|c| text(&c["kind"]))
        .collect();
    assert_eq!(kinds, ["role", "role-setting", "system-setting"]);
    let unseen = array(&report["report"]["unseen"]);
    assert_eq!(unseen.len(), 1, "{unseen:?}");
    assert_eq!(
        format!("{}:{}", text(&unseen[0]["file"]), unseen[0]["line"]),
        warned
    );
}

#[test]
fn the_embedded_default_runs_server_changes_without_refusal() {
    let (_dir, migrations) = history();
    // The embedded cluster has no app_owner: create it first, as the application's setup would.
    let setup = migrations.join("20260101500000_owner");
    std::fs::create_dir(&setup).unwrap();
    std::fs::write(setup.join("migration.sql"), "CREATE ROLE app_owner;\n").unwrap();

    let run = Sandbox::new().output(&["drill", arg(&migrations), "--format", "json"]);
    assert_eq!(run.code, EXIT_PASSED, "{run}");
    let report = run.json();
    assert!(
        text(&report["report"]["database"]).starts_with("embedded"),
        "{report}"
    );
    assert_eq!(
        report["report"]["server_changes"],
        Value::Null,
        "not listed"
    );
    assert_eq!(report["counts"]["failed"], 0, "{report}");
}

#[test]
fn database_url_in_the_environment_does_not_choose_the_server() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    write_history(&migrations, &[(INIT, "CREATE TABLE a (id int);\n")]);
    let sandbox = Sandbox::new();
    let output = sandbox
        .command(&["drill", arg(&migrations), "--format", "json"])
        .env("DATABASE_URL", server.server.url())
        .output()
        .expect("run the unmigrate binary");
    let report = Run::from_output(output).json();
    assert!(
        text(&report["report"]["database"]).starts_with("embedded"),
        "DATABASE_URL chose the server: {report}"
    );
}
