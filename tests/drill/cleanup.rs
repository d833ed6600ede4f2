//! Errors and signals: what a failed or interrupted drill says and leaves behind; bad usage.

use super::*;

// ---------------------------------------------------------------------------------------------
// Cleanup after an error and after SIGTERM

#[test]
fn a_syntax_error_in_a_forward_migration_exits_2_naming_file_line_and_column() {
    let sandbox = Sandbox::new();
    let history = sandbox.history(&[
        ("20260301090000_init", USER_TABLE),
        (
            "20260302090000_add_tag",
            "-- CreateTable\n\nCREATE TABEL \"Tag\" (\"id\" TEXT NOT NULL);\n",
        ),
    ]);
    let run = sandbox.drill(&[arg(&history), "--format", "json"]);
    assert_eq!(run.code, EXIT_ERROR, "{run}");
    let location = history.join("20260302090000_add_tag/migration.sql:3:8");
    assert!(
        run.stderr.contains(&format!(
            "{}: syntax error at or near \"TABEL\"",
            location.display()
        )),
        "{run}"
    );
    assert!(
        run.stdout.is_empty(),
        "no report after an input error:\n{run}"
    );
}

#[test]
fn an_error_after_the_server_started_exits_2_and_removes_the_server() {
    // PostgreSQL itself rejects the zone (only the server knows its zones), so the embedded
    // server is up when it fails.
    let run = drill(&[
        "tests/drills/drop_column/migrations",
        "--time-zone",
        "Mars/Olympus",
    ]);
    assert_eq!(run.code, EXIT_ERROR, "{run}");
    assert!(
        run.stderr
            .contains("time zone \"Mars/Olympus\" is not one PostgreSQL knows"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("invalid value for parameter \"TimeZone\""),
        "PostgreSQL itself must have rejected it: {run}"
    );
    // `drill` has checked that no postgres serves from its TMPDIR and the TMPDIR is empty.
}

#[test]
fn sigterm_during_a_migration_stops_the_server_and_removes_its_dir() {
    let sandbox = Sandbox::new();
    let history = sandbox.history(&[
        ("20260301090000_init", USER_TABLE),
        ("20260302090000_slow", "SELECT pg_sleep(30);\n"),
    ]);
    let mut running = sandbox.spawn(&["drill", arg(&history), "--format", "json"]);
    let unmigrate = running.child.id();

    let postmaster = wait_for("the drill's postgres server", START_WAIT, || {
        children(unmigrate)
            .into_iter()
            .find(|(_, comm)| comm == "postgres")
            .map(|(pid, _)| pid)
    });
    let server = ServerArgs::of(postmaster);
    assert!(
        server.data_dir.starts_with(sandbox.tmp()),
        "{} is not in the run's TMPDIR {}",
        server.data_dir.display(),
        sandbox.tmp().display()
    );
    wait_for("the drill to run pg_sleep", START_WAIT, || {
        server.sessions_running("pg_sleep").then_some(())
    });

    running.signal(libc::SIGTERM);
    let code = running.wait(CLEANUP_WAIT);
    let stderr = fs::read_to_string(sandbox.stderr_path()).unwrap_or_default();
    assert_eq!(code, Some(EXIT_SIGTERM), "stderr:\n{stderr}");
    wait_until("postgres to stop", CLEANUP_WAIT, || {
        process_gone(postmaster)
    });
    assert!(
        !server.data_dir.exists(),
        "the data dir {} is still there",
        server.data_dir.display()
    );
    sandbox.assert_nothing_left();
}

/// What a postmaster's command line says about where it lives.
struct ServerArgs {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    port: u16,
}

impl ServerArgs {
    fn of(pid: u32) -> ServerArgs {
        let args = cmdline(pid);
        let after = |flag: &str| {
            let at = args.iter().position(|a| a == flag);
            at.and_then(|i| args.get(i + 1))
                .unwrap_or_else(|| panic!("no {flag} in the postgres command line {args:?}"))
                .clone()
        };
        ServerArgs {
            data_dir: PathBuf::from(after("-D")),
            socket_dir: PathBuf::from(after("-k")),
            port: after("-p").parse().unwrap(),
        }
    }

    /// Whether another session is running a statement containing `text`.
    fn sessions_running(&self, text: &str) -> bool {
        let connected = postgres::Config::new()
            .host_path(&self.socket_dir)
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(5))
            .connect(postgres::NoTls);
        let Ok(mut client) = connected else {
            return false;
        };
        let sql = "SELECT count(*) FROM pg_stat_activity \
                   WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, $1) > 0";
        client
            .query_one(sql, &[&text])
            .is_ok_and(|row| row.get::<_, i64>(0) > 0)
    }
}
// ---------------------------------------------------------------------------------------------
// Bad usage

#[test]
fn a_missing_migrations_dir_exits_2_and_says_which() {
    let sandbox = Sandbox::new();
    let missing = sandbox.project().join("prisma/migrations");
    let run = sandbox.drill(&[arg(&missing)]);
    assert_eq!(run.code, EXIT_ERROR, "{run}");
    assert!(
        run.stderr.contains(&format!(
            "migrations directory {} not found",
            missing.display()
        )),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn an_unknown_key_in_a_drill_script_exits_2_naming_file_and_line() {
    let sandbox = Sandbox::new();
    let script = sandbox.project().join("drill.toml");
    let history = manifest_dir().join(DEMO_MIGRATIONS);
    fs::write(
        &script,
        format!(
            "migrations = {:?}\n\n[scope]\nlast = 1\nlats = 2\n",
            history.display().to_string()
        ),
    )
    .unwrap();
    let run = sandbox.drill(&[arg(&script)]);
    assert_eq!(run.code, EXIT_ERROR, "{run}");
    assert!(
        run.stderr
            .contains(&format!("{}:5:1: unknown field `lats`", script.display())),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "{run}");
}
