//! Applying migration files to the scratch database as Prisma Migrate does: one connection for
//! the whole run (a `SET` in one migration leaks into the next), Prisma's advisory lock, each
//! file recorded in `_prisma_migrations`, and each file sent the way the chosen Prisma version
//! sends it.

mod modes;
mod probe;
mod trace;

use std::path::Path;
use std::time::{Duration, Instant};

use postgres::{Client, Statement};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::drill::outcome::ApplyFailure;
use crate::sql;

pub use modes::{fits_in_a_transaction, mode_differences};
pub use probe::{ProbeResult, ProbeWait, Prober, PROBE_DELAY};
pub use trace::{lock_mode_sql, lock_strength, LockTaken, StatementTrace, LOCK_MODES};

/// How a `migration.sql` file is sent to the server.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum ApplyMode {
    /// The whole file as one simple-protocol query: one implicit transaction (Prisma up to
    /// about 7.3). A failure rolls back the whole file; `CONCURRENTLY` fails unless alone.
    #[default]
    Batch,
    /// Statement by statement, each autocommitted (Prisma from about 7.4). A failure leaves
    /// the migration half-applied.
    Split,
}

impl std::fmt::Display for ApplyMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ApplyMode::Batch => "batch",
            ApplyMode::Split => "split",
        })
    }
}

/// Session limits, so a drill cannot hang on a lock or a runaway statement. In a drill
/// script's `[timeouts]`, each value uses PostgreSQL's time-setting syntax: a number with an
/// optional unit `us`, `ms`, `s`, `min`, `h` or `d` (`"30s"`, `"1.5min"`); a bare number is
/// milliseconds and `"0"` means no timeout. `None` keeps the server's setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "crate::drill::script::TimeoutsTable")]
pub struct Timeouts {
    /// `statement`: the longest any one statement may run (`statement_timeout`).
    pub statement: Option<String>,
    /// `lock`: the longest a statement may wait for a lock (`lock_timeout`).
    pub lock: Option<String>,
}

/// Prisma's advisory lock key: `migrate deploy` holds it for the whole run.
const PRISMA_ADVISORY_LOCK: i64 = 72707369;

/// The table exactly as Prisma's schema engine creates it.
const PRISMA_MIGRATIONS_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)"#;

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("invalid {setting} {value:?}: {source}; give a PostgreSQL duration such as \"30s\" or \"5min\"")]
    Timeout {
        setting: &'static str,
        value: String,
        source: postgres::Error,
    },
    #[error("the scratch database connection failed: {0}")]
    Connection(#[source] postgres::Error),
    #[error(transparent)]
    Sql(#[from] sql::SqlError),
}

/// One file to apply and record.
#[derive(Debug, Clone, Copy)]
pub struct SqlFile<'a> {
    /// The name recorded in `_prisma_migrations` (the migration folder's name).
    pub migration_name: &'a str,
    /// The file's path, for messages.
    pub path: &'a Path,
    pub sql: &'a str,
}

/// Applying a file either worked or PostgreSQL rejected it; either way, how long it took.
#[derive(Debug, Clone)]
pub struct Applied {
    pub duration: Duration,
    pub failure: Option<ApplyFailure>,
    /// Per statement: locks, rewrites, scans and time, when the session traces.
    pub trace: Vec<StatementTrace>,
}

/// The drill's one session, set up as `prisma migrate deploy` sets up its own.
pub struct PrismaSession<'c> {
    client: &'c mut Client,
    mode: ApplyMode,
    /// Records one applied file, prepared once.
    record: Statement,
    /// Send files statement by statement and trace each (see [`trace`]).
    trace: bool,
    /// Probe each traced statement's table from two other sessions (see [`probe`]).
    prober: Option<Prober>,
}

/// The row Prisma leaves for an applied file: started and finished times, one applied step on
/// success, the error in `logs` on failure. Written in one round trip after the file ran (Prisma
/// inserts it before and updates it after; the row that remains is the same).
const RECORD_MIGRATION: &str = "INSERT INTO _prisma_migrations \
    (id, checksum, migration_name, started_at, finished_at, applied_steps_count, logs) \
    VALUES (gen_random_uuid()::text, $1, $2, clock_timestamp() - make_interval(secs => $3), \
            CASE WHEN $4 THEN clock_timestamp() END, CASE WHEN $4 THEN 1 ELSE 0 END, $5)";

impl<'c> PrismaSession<'c> {
    /// Sets the timeouts, takes Prisma's advisory lock and creates `_prisma_migrations`.
    pub fn start(
        client: &'c mut Client,
        mode: ApplyMode,
        timeouts: &Timeouts,
    ) -> Result<PrismaSession<'c>, ApplyError> {
        for (setting, value) in [
            ("statement_timeout", &timeouts.statement),
            ("lock_timeout", &timeouts.lock),
        ] {
            if let Some(value) = value {
                client
                    .execute("SELECT set_config($1, $2, false)", &[&setting, value])
                    .map_err(|source| ApplyError::Timeout {
                        setting,
                        value: value.clone(),
                        source,
                    })?;
            }
        }
        client
            .execute("SELECT pg_advisory_lock($1)", &[&PRISMA_ADVISORY_LOCK])
            .map_err(ApplyError::Connection)?;
        client
            .batch_execute(PRISMA_MIGRATIONS_TABLE)
            .map_err(ApplyError::Connection)?;
        let record = client
            .prepare(RECORD_MIGRATION)
            .map_err(ApplyError::Connection)?;
        Ok(PrismaSession {
            client,
            mode,
            record,
            trace: false,
            prober: None,
        })
    }

    /// From now on, trace every statement of every file applied: its locks, rewrites, scans
    /// and duration (see [`trace`]). Costs a catalog query per statement.
    pub fn trace_statements(&mut self) {
        self.trace = true;
    }

    /// From now on, also probe every traced statement's table with a read and a write from
    /// two other sessions, and report how long each waited (see [`probe`]).
    pub fn probe_statements(&mut self, prober: Prober) {
        self.trace = true;
        self.prober = Some(prober);
    }

    pub fn mode(&self) -> ApplyMode {
        self.mode
    }

    /// The session, for snapshots and checks between files.
    pub fn client(&mut self) -> &mut Client {
        self.client
    }

    /// Applies one file and records it in `_prisma_migrations` as Prisma does. A statement
    /// PostgreSQL rejects is a result ([`Applied::failure`]), a lost connection an error.
    pub fn apply(&mut self, file: SqlFile<'_>) -> Result<Applied, ApplyError> {
        let checksum = format!("{:x}", Sha256::digest(file.sql.as_bytes()));
        let started = Instant::now();
        let mut trace = Vec::new();
        let failure = match self.mode {
            _ if self.trace => {
                let (failure, traced) = self.apply_traced(file)?;
                trace = traced;
                failure
            }
            ApplyMode::Batch => self.apply_batch(file),
            ApplyMode::Split => self.apply_split(file)?,
        };
        let duration = started.elapsed();
        let logs = failure.as_ref().map(|f| f.message.as_str());
        self.client
            .execute(
                &self.record,
                &[
                    &checksum,
                    &file.migration_name,
                    &duration.as_secs_f64(),
                    &failure.is_none(),
                    &logs,
                ],
            )
            .map_err(ApplyError::Connection)?;
        Ok(Applied {
            duration,
            failure,
            trace,
        })
    }

    /// Applies the file statement by statement as the mode sends it, tracing each; fails as
    /// the untraced apply would (see [`trace`] for how the two correspond).
    fn apply_traced(
        &mut self,
        file: SqlFile<'_>,
    ) -> Result<(Option<ApplyFailure>, Vec<StatementTrace>), ApplyError> {
        let statements = sql::parse_file(file.path, file.sql)?;
        let run = trace::run_traced(self.client, self.mode, &statements, self.prober.as_mut())
            .map_err(ApplyError::Connection)?;
        let failure = run.error.map(|(error, committed)| {
            let line = run.traces.last().map(|t| t.line as u32);
            let effect = match self.mode {
                ApplyMode::Batch => "rolled back: the file ran as one transaction".into(),
                ApplyMode::Split => format!(
                    "half-applied: {committed} of {} statement(s) committed before this one",
                    statements.len()
                ),
            };
            failure(file.path, &error, line, effect)
        });
        Ok((failure, run.traces))
    }

    fn apply_batch(&mut self, file: SqlFile<'_>) -> Option<ApplyFailure> {
        let error = self.client.batch_execute(file.sql).err()?;
        let line = error
            .as_db_error()
            .and_then(|db| match db.position() {
                Some(postgres::error::ErrorPosition::Original(at)) => Some(*at),
                _ => None,
            })
            .map(|at| line_of_char(file.sql, at as usize));
        Some(failure(
            file.path,
            &error,
            line,
            "rolled back: the file ran as one transaction".into(),
        ))
    }

    fn apply_split(&mut self, file: SqlFile<'_>) -> Result<Option<ApplyFailure>, ApplyError> {
        let statements = sql::parse_file(file.path, file.sql)?;
        let total = statements.len();
        for (done, statement) in statements.iter().enumerate() {
            if let Err(error) = self.client.batch_execute(&statement.text) {
                let effect = format!(
                    "half-applied: {done} of {total} statement(s) committed before this one"
                );
                let line = Some(statement.location.line as u32);
                return Ok(Some(failure(file.path, &error, line, effect)));
            }
        }
        Ok(None)
    }
}

fn failure(
    path: &Path,
    error: &postgres::Error,
    line: Option<u32>,
    effect: String,
) -> ApplyFailure {
    let (code, message) = match error.as_db_error() {
        Some(db) => (
            Some(db.code().code().to_string()),
            match db.detail() {
                Some(detail) => format!("{}: {detail}", db.message()),
                None => db.message().to_string(),
            },
        ),
        None => (None, error.to_string()),
    };
    ApplyFailure {
        file: path.display().to_string(),
        code,
        message,
        line,
        effect,
    }
}

/// The 1-based line of a 1-based character position, as PostgreSQL reports error positions.
fn line_of_char(text: &str, position: usize) -> u32 {
    let newlines = text
        .chars()
        .take(position.saturating_sub(1))
        .filter(|&c| c == '\n')
        .count();
    newlines as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_positions_become_lines() {
        let sql = "CREATE TABLE a (id int);\nALTER TABLE b ADD c int;";
        assert_eq!(line_of_char(sql, 1), 1);
        assert_eq!(line_of_char(sql, sql.find("ALTER").unwrap() + 1), 2);
    }
}
