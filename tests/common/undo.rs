//! What the drills of a generated undo share: the undo files of a history's last migration,
//! a fresh scratch database under a session TimeZone other than UTC, deploying the files as
//! the runner would, and explaining them as migrations of their own.

use std::path::Path;

use unmigrate::explain::{self, Explained, Target};
use unmigrate::generate::Selection;
use unmigrate::migrations::{read_history, ApplyMode};
use unmigrate::scratch::{ScratchDb, ScratchOptions, ScratchServer};

use super::write_history;

/// Writes `migrations` as a Prisma history to `dir` (see [`write_history`]) and returns the
/// undo files `generate` writes for the last one, in deploy order.
#[track_caller]
pub fn undo_files(dir: &Path, migrations: &[(&str, &str)]) -> Vec<String> {
    write_history(dir, migrations);
    last_undo_files(dir)
}

/// The undo files `generate` writes for the last migration of the history in `dir`, in deploy
/// order.
#[track_caller]
pub fn last_undo_files(dir: &Path) -> Vec<String> {
    let history = read_history(dir).expect("read the history");
    let plan = super::fixed_plan(&history, &Selection::Last(1));
    plan.folders()
        .map(|f| f.expect("the undo file is written").sql)
        .collect()
}

/// The embedded PostgreSQL the drills run on; it fails the test when PostgreSQL is missing.
#[track_caller]
pub fn embedded_server() -> ScratchServer {
    ScratchServer::start_embedded(ScratchOptions::default()).expect("start the embedded PostgreSQL")
}

/// A fresh database on `server` and a client to it whose session TimeZone is Europe/Berlin:
/// as an incident deploy often runs, not UTC, with an hour its clocks skip or repeat.
#[track_caller]
pub fn berlin_session(server: &ScratchServer) -> (ScratchDb, postgres::Client) {
    let db = server.create_database().expect("create a scratch database");
    let mut client = db.connect().expect("connect to the scratch database");
    client
        .batch_execute("SET TimeZone = 'Europe/Berlin'")
        .expect("set the session TimeZone");
    (db, client)
}

/// Applies every file in order, each in one round trip (batch mode); a failure panics with
/// the error and the file.
pub fn deploy(client: &mut postgres::Client, files: &[String]) {
    for file in files {
        client
            .batch_execute(file)
            .unwrap_or_else(|e| panic!("{e:?}\n{file}"));
    }
}

/// Applies the files in order as the runner would in `mode` (batch: each file in one round
/// trip; split: each statement alone); the first error, as [`error_text`] gives it.
pub fn apply(
    client: &mut postgres::Client,
    files: &[String],
    mode: ApplyMode,
) -> Result<(), String> {
    for file in files {
        match mode {
            ApplyMode::Batch => client.batch_execute(file).map_err(error_text)?,
            ApplyMode::Split => {
                let statements = unmigrate::sql::parse_file(Path::new("undo.sql"), file)
                    .expect("the undo file parses");
                for statement in statements {
                    client.batch_execute(&statement.text).map_err(error_text)?;
                }
            }
        }
    }
    Ok(())
}

/// The server's message and its HINT (empty when it gave none), or the client's error.
pub fn error_text(error: postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}\nHINT: {}", db.message(), db.hint().unwrap_or("")),
        None => error.to_string(),
    }
}

/// `explain` of `history` followed by the undo files as migrations of their own
/// (`20990101000000_undo`, `20990101000001_undo`, …), written to `dir`.
#[track_caller]
pub fn explain_with_undo(dir: &Path, history: &[(&str, &str)], undo: &[String]) -> Explained {
    let names: Vec<String> = (0..undo.len())
        .map(|i| format!("209901010000{i:02}_undo"))
        .collect();
    let mut folders = history.to_vec();
    folders.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(undo.iter().map(String::as_str)),
    );
    write_history(dir, &folders);
    explain::explain(
        &Target::History(read_history(dir).expect("read the history with its undo")),
        ApplyMode::Batch,
    )
    .expect("explain the history with its undo")
}
