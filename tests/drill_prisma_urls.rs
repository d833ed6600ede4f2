//! Drills on servers named the way Prisma names them: `DATABASE_URL`-style URLs with
//! `?schema=` and Prisma's pool parameters, and a shadow database whose role may not create
//! databases (as on managed hosts), given by `SHADOW_DATABASE_URL` or a `.env` file. On a real
//! PostgreSQL server the test owns, over TCP.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::tcp_server::{TcpServer, Tls};
use common::{write_history, Run, Sandbox};

/// A history whose second migration names its table in `schema`: it applies only when the
/// first ran there, as Prisma runs a history under `?schema=`.
fn history_in(schema: &str) -> [(&'static str, String); 2] {
    [
        (
            "20240101000000_init",
            "CREATE TABLE \"User\" (id serial PRIMARY KEY, email text NOT NULL);\n".into(),
        ),
        (
            "20240102000000_name",
            format!("ALTER TABLE {schema}.\"User\" ADD COLUMN name text;\n"),
        ),
    ]
}

fn as_refs<'a>(history: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    history.iter().map(|(n, s)| (*n, s.as_str())).collect()
}

fn postgres(server: &TcpServer, database: &str) -> postgres::Client {
    let url = format!("postgresql://postgres@127.0.0.1:{}/{database}", server.port);
    postgres::Client::connect(&url, postgres::NoTls).unwrap()
}

fn strings(client: &mut postgres::Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// `unmigrate ARGS` in the sandbox's project folder, with `vars` set.
fn run(sandbox: &Sandbox, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut command: Command = sandbox.command(args);
    command.current_dir(sandbox.project());
    for (name, value) in vars {
        command.env(name, value);
    }
    Run::from_output(command.output().unwrap())
}

#[test]
fn a_prisma_database_url_with_schema_and_pool_parameters_drills_in_that_schema() {
    let server = TcpServer::start(Tls::Off);
    let sandbox = Sandbox::new();
    let history = sandbox.project().join("prisma/migrations");
    write_history(&history, &as_refs(&history_in("tenant")));
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/postgres?schema=tenant&connection_limit=5&pgbouncer=true",
        server.port
    );
    let out = run(
        &sandbox,
        &["drill", "prisma/migrations", "--database-url", &url],
        &[],
    );
    assert_eq!(out.code, 0, "{out}");
    // The qualified name is not the model's `User` (unqualified names are the URL's schema's),
    // so that undo is manual; what matters here is that both forwards applied.
    assert!(
        out.stdout
            .contains("1 passed, 0 column order only, 1 manual, 0 failed"),
        "{out}"
    );
    assert!(
        out.stderr.contains("connection_limit=5 ignored") && out.stderr.contains("directUrl"),
        "{out}"
    );

    // ?schema=public works too (it was rejected as an unknown option), and without it the
    // history runs in public, where the schema check fails: the parameter is what decides.
    let public = url.replace("schema=tenant", "schema=public");
    let out = run(
        &sandbox,
        &["drill", "prisma/migrations", "--database-url", &public],
        &[],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout.contains("schema \"tenant\" does not exist"),
        "{out}"
    );

    // Nothing is left on the server but its own databases.
    let left = strings(
        &mut postgres(&server, "postgres"),
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'unmigrate%'",
    );
    assert!(left.is_empty(), "{left:?}");
}

/// A role without CREATEDB owning the database `shadow`, which holds what an earlier
/// `prisma migrate dev` left there.
fn managed_shadow(server: &TcpServer) -> String {
    let mut admin = postgres(server, "postgres");
    admin
        .batch_execute("CREATE ROLE shadow_owner LOGIN NOCREATEDB NOSUPERUSER")
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE shadow OWNER shadow_owner")
        .unwrap();
    let url = format!("postgresql://shadow_owner@127.0.0.1:{}/shadow", server.port);
    let mut owner = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    owner
        .batch_execute("CREATE TABLE \"Leftover\" (id int); CREATE SCHEMA old_app;")
        .unwrap();
    url
}

/// Every object of the shadow database outside the system schemas, its schemas, event
/// triggers and stored settings.
fn shadow_contents(server: &TcpServer) -> Vec<String> {
    let mut client = postgres(server, "shadow");
    strings(
        &mut client,
        "SELECT 'schema ' || nspname || ' of ' || pg_get_userbyid(nspowner) FROM pg_namespace \
           WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
         UNION ALL SELECT 'relation ' || c.relname FROM pg_class c \
           JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
         UNION ALL SELECT 'type ' || t.typname FROM pg_type t \
           JOIN pg_namespace n ON n.oid = t.typnamespace \
           WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
         UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger \
         UNION ALL SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting \
           WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = 'shadow') \
         UNION ALL SELECT 'advisory lock' FROM pg_locks WHERE locktype = 'advisory' \
         ORDER BY 1",
    )
}

#[test]
fn a_shadow_database_whose_role_cannot_create_databases_is_reset_and_drilled_inside() {
    let server = TcpServer::start(Tls::Off);
    let shadow = managed_shadow(&server);
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("prisma/migrations"),
        &[
            ("20240101000000_init", &history_in("public")[0].1),
            ("20240102000000_name", &history_in("public")[1].1),
            (
                "20240103000000_status",
                "CREATE TYPE \"Status\" AS ENUM ('ACTIVE', 'GONE');\n\
                 CREATE SCHEMA reporting;\n\
                 CREATE VIEW reporting.users AS SELECT id FROM \"User\";\n",
            ),
        ],
    );
    // As Prisma 6 projects keep it: in prisma/.env, with the app's own URL beside it.
    std::fs::write(
        sandbox.project().join("prisma/.env"),
        format!("SHADOW_DATABASE_URL=\"{shadow}?schema=public&connection_limit=1\"\n"),
    )
    .unwrap();
    let out = run(
        &sandbox,
        &["drill", "prisma/migrations", "--seed-rows", "5"],
        &[],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("3 passed"), "{out}");
    assert!(
        out.stderr
            .contains("runs inside the shadow database shadow")
            && out
                .stderr
                .contains("SHADOW_DATABASE_URL (from prisma/.env)"),
        "{out}"
    );
    // What Prisma's reset leaves: the URL's schema, empty (the old table went with it, as
    // Prisma's reset drops it); nothing of the drill's (its reporting schema, its own
    // functions); the schema that was there before, which Prisma's reset keeps too.
    let after = [
        "schema old_app of shadow_owner",
        "schema public of shadow_owner",
    ];
    assert_eq!(shadow_contents(&server), after);

    // A second run starts from that state and leaves the same.
    let out = run(&sandbox, &["drill", "prisma/migrations"], &[]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(shadow_contents(&server), after);
}

#[test]
fn only_a_url_given_as_a_shadow_database_is_ever_reset() {
    let server = TcpServer::start(Tls::Off);
    let shadow = managed_shadow(&server);
    let sandbox = Sandbox::new();
    write_history(
        &sandbox.project().join("prisma/migrations"),
        &as_refs(&history_in("public")),
    );
    let before = shadow_contents(&server);
    assert!(
        before.contains(&"relation Leftover".to_string()),
        "{before:?}"
    );

    // The same database given as a server to create databases on: refused, untouched.
    let out = run(
        &sandbox,
        &["drill", "prisma/migrations", "--database-url", &shadow],
        &[],
    );
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("permission denied to create database"),
        "{out}"
    );
    assert_eq!(shadow_contents(&server), before);

    // Given as the shadow database while DATABASE_URL names it too: refused, untouched.
    let out = run(
        &sandbox,
        &["drill", "prisma/migrations"],
        &[
            ("SHADOW_DATABASE_URL", &shadow),
            ("DATABASE_URL", &format!("{shadow}?schema=public")),
        ],
    );
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("is the database DATABASE_URL names"),
        "{out}"
    );
    assert_eq!(shadow_contents(&server), before);
}
