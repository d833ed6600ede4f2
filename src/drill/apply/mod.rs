//! Applying migration files to the scratch database as the history's tool does: one connection
//! for the whole run (a `SET` in one migration leaks into the next), each file sent as the tool
//! sends it (Prisma: as the chosen Prisma version does; the others: in the transaction they
//! open, or as it is) and recorded in the tool's own table (see `bookkeeping.rs`).

mod bookkeeping;
mod failures;
mod modes;
mod probe;
mod shapes;
mod trace;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::{Client, Statement};
use sha2::{Digest, Sha256};

use crate::drill::outcome::{ApplyFailure, StatementTrace};
use crate::migrations::{ApplyMode, Layout, Transaction};
use crate::sql::{self, Statement as SqlStatement};

use failures::{effect, failure, left_open, line_of_char};
pub use modes::{in_one_transaction, mode_differences};
pub use probe::{Prober, PROBE_DELAY};

/// Session limits for the migrations' own statements (and drill-script checks), so a drill
/// cannot hang on a lock or a runaway statement; the drill's own queries between files
/// (snapshots, seeding, bookkeeping) run without them. In a drill
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
    #[error("the scratch database session is in an unexpected state: {0}")]
    Session(&'static str),
    #[error(transparent)]
    Sql(#[from] sql::SqlError),
}

/// One file to apply and record.
#[derive(Debug, Clone, Copy)]
pub struct SqlFile<'a> {
    /// The migration the tool records (the migration's name; for a down, the name of the
    /// migration it undoes).
    pub migration_name: &'a str,
    /// The file's path, for messages.
    pub path: &'a Path,
    pub sql: &'a str,
    pub runner: Runner,
    /// How the tool sends it.
    pub sent: Transaction,
}

/// Which of the tool's commands runs a file: it decides how the file is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Runner {
    /// The tool's deploy (`prisma migrate deploy`, `diesel migration run`, `migrate up`, …):
    /// recorded as an applied migration.
    #[default]
    Deploy,
    /// The tool's revert of one migration: its down (`diesel migration revert`, `migrate down
    /// 1`, `sqlx migrate revert`, `dbmate rollback`, `flyway undo`); for Prisma, a `down.sql`
    /// run as Prisma's guide on down migrations runs one (`prisma db execute --file`), after
    /// which the migration's row is marked rolled back, as `prisma migrate resolve
    /// --rolled-back` marks it (Prisma does that only for a failed migration; after a
    /// successful one a team deletes the row by hand), so the re-apply records it again.
    Revert,
}

/// Applying a file either worked or PostgreSQL rejected it; either way, how long it took.
#[derive(Debug, Clone)]
pub struct Applied {
    pub duration: Duration,
    pub failure: Option<ApplyFailure>,
    /// Per statement: locks, rewrites, scans and time, when the session traces.
    pub trace: Vec<StatementTrace>,
    /// After a failure, how many of the file's statements stay committed (split mode, or a
    /// `COMMIT` in the file before the statement that failed): where the rest of the file
    /// begins. 0 when nothing of it remains.
    pub committed: usize,
    /// How the file was sent (see [`SqlFile::sent`]).
    pub mode: ApplyMode,
}

/// The drill's one session, set up as the history's tool sets up its own.
pub struct ToolSession<'c> {
    client: &'c mut Client,
    /// How Prisma sends its files (the session's own apply mode); other tools' files are sent
    /// as [`SqlFile::sent`] says.
    mode: ApplyMode,
    layout: Layout,
    bookkeeping: bookkeeping::Bookkeeping,
    /// [`LIMITS_ON`], prepared once: it runs before every file.
    limits_on: Statement,
    /// Send files statement by statement and trace each (see [`trace`]).
    trace: bool,
    /// Probe each traced statement's table from two other sessions (see [`probe`]).
    prober: Option<Prober>,
    /// `statement_timeout` and `lock_timeout` for the next file: the drill's, or what an
    /// earlier file `SET` them to (a setting leaks into the next migration, as under Prisma).
    limits: [String; 2],
    /// Checksums of files batch mode has parsed and found plain (no `COPY` with the client,
    /// no transaction control): sent again (re-apply) without parsing.
    plain: HashSet<String>,
}

/// Puts the limits on before a file. Only the migrations' statements run under them: the
/// drill's own queries between files (snapshots, seeding, fingerprints, bookkeeping) do not.
const LIMITS_ON: &str = "SELECT set_config('statement_timeout', $1, false), \
    set_config('lock_timeout', $2, false)";

/// After a file: whether it left a transaction block open, the limits as it left them, and the
/// limits lifted (target lists are evaluated in order). Sent as a simple query, which outside a
/// block starts its own transaction, so the two timestamps are equal exactly then.
const LIMITS_OFF: &str = "SELECT transaction_timestamp() = statement_timestamp(), \
    current_setting('statement_timeout'), current_setting('lock_timeout'), \
    set_config('statement_timeout', '0', false), set_config('lock_timeout', '0', false)";

/// What a file left the session in.
enum Left {
    /// No transaction block: everything it did is committed or rolled back.
    Clean,
    /// A block that failed (`BEGIN`, then an error): the drill rolled it back.
    Aborted,
    /// A block still open (`BEGIN` without `COMMIT`): the drill rolled it back.
    Open,
}

impl<'c> ToolSession<'c> {
    /// Checks the timeouts and starts the tool's bookkeeping (its lock and table).
    pub fn start(
        client: &'c mut Client,
        layout: Layout,
        mode: ApplyMode,
        timeouts: &Timeouts,
    ) -> Result<ToolSession<'c>, ApplyError> {
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
        let bookkeeping =
            bookkeeping::Bookkeeping::start(client, layout).map_err(ApplyError::Connection)?;
        let limits_on = client.prepare(LIMITS_ON).map_err(ApplyError::Connection)?;
        let mut session = ToolSession {
            client,
            mode,
            layout,
            bookkeeping,
            limits_on,
            trace: false,
            prober: None,
            limits: Default::default(),
            plain: HashSet::new(),
        };
        session.leave_file()?;
        Ok(session)
    }

    /// Starts the tool's bookkeeping again, after the database was emptied (see the cycle's
    /// rebuild): its table is created anew, and what it remembered is forgotten.
    pub fn restart_bookkeeping(&mut self) -> Result<(), ApplyError> {
        self.bookkeeping = bookkeeping::Bookkeeping::start(self.client, self.layout)
            .map_err(ApplyError::Connection)?;
        Ok(())
    }

    /// From now on, trace every statement of every file applied: its locks, rewrites, scans
    /// and duration (see [`StatementTrace`]). Costs a catalog query per statement.
    pub fn trace_statements(&mut self) {
        self.trace = true;
    }

    /// From now on, also probe every traced statement's table with a read and a write from
    /// two other sessions, and report how long each waited (see [`Prober`]).
    pub fn probe_statements(&mut self, prober: Prober) {
        self.trace = true;
        self.prober = Some(prober);
    }

    pub fn mode(&self) -> ApplyMode {
        self.mode
    }

    /// Whose rules the session follows.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The session, for snapshots and checks between files.
    pub fn client(&mut self) -> &mut Client {
        self.client
    }

    /// `statement_timeout` and `lock_timeout` as the migrations run under them, for SQL the
    /// drill runs on their behalf (`SET LOCAL` them inside its own transaction).
    pub fn limits(&self) -> [&str; 2] {
        [&self.limits[0], &self.limits[1]]
    }

    /// Applies one file and records it in the tool's table as the tool does. A statement
    /// PostgreSQL rejects is a result ([`Applied::failure`]), and so is a file that leaves a
    /// transaction open; a lost connection is an error. The session is out of any transaction
    /// block afterwards.
    pub fn apply(&mut self, file: SqlFile<'_>) -> Result<Applied, ApplyError> {
        let session_mode = self.mode;
        self.mode = self.mode_of(file.sent);
        let applied = self.apply_in_mode(file);
        self.mode = session_mode;
        applied
    }

    /// How a file sent as `sent` reaches the server: Prisma's in the session's apply mode; a
    /// file another tool wraps in its transaction, or sends as it is, in one query; Flyway's
    /// file that it does not wrap, statement by statement.
    fn mode_of(&self, sent: Transaction) -> ApplyMode {
        match sent {
            Transaction::ApplyMode => self.mode,
            Transaction::EachStatement => ApplyMode::Split,
            Transaction::Wrapped | Transaction::AsIs => ApplyMode::Batch,
        }
    }

    /// [`ToolSession::apply`] in the mode the file is sent in.
    fn apply_in_mode(&mut self, file: SqlFile<'_>) -> Result<Applied, ApplyError> {
        let checksum = format!("{:x}", Sha256::digest(file.sql.as_bytes()));
        self.client
            .execute(&self.limits_on, &[&self.limits[0], &self.limits[1]])
            .map_err(ApplyError::Connection)?;
        self.bookkeeping
            .before(self.client, file.migration_name, file.runner)
            .map_err(ApplyError::Connection)?;
        let wrapped = file.sent == Transaction::Wrapped;
        if wrapped {
            self.client
                .batch_execute("BEGIN")
                .map_err(ApplyError::Connection)?;
        }
        let started = Instant::now();
        let mut sent = self.send(file, &checksum)?;
        let duration = started.elapsed();
        if wrapped && sent.failure.is_none() {
            // Recorded inside the tool's transaction, which then commits: a failure of
            // either (a deferred constraint checked at COMMIT) is the file's.
            let recorded = self
                .record(file, duration, None)
                .and_then(|()| self.client.batch_execute("COMMIT"));
            if let Err(error) = recorded {
                if error.as_db_error().is_none() {
                    return Err(ApplyError::Connection(error));
                }
                sent.failure = Some(failure(
                    file.path,
                    &error,
                    None,
                    effect(ApplyMode::Batch, 0, 0),
                ));
            }
        }
        let left = self.leave_file()?;
        // An aborted block follows the failure already reported; an open one is the failure.
        if !matches!(left, Left::Clean) && sent.failure.is_none() {
            let statements = match sent.statements.take() {
                Some(statements) => statements,
                None => sql::parse_file(file.path, file.sql)?,
            };
            let (failure, committed) = left_open(file.path, &statements, self.mode);
            sent.failure = Some(failure);
            sent.committed = committed;
        }
        if !wrapped {
            let message = sent.failure.as_ref().map(|f| f.message.as_str());
            self.record(file, duration, message)
                .map_err(ApplyError::Connection)?;
        }
        Ok(Applied {
            duration,
            failure: sent.failure,
            trace: sent.trace,
            committed: sent.committed,
            mode: self.mode,
        })
    }

    /// Writes what the tool records after `file` (`failure`: PostgreSQL's message, when it
    /// failed).
    fn record(
        &mut self,
        file: SqlFile<'_>,
        duration: Duration,
        failure: Option<&str>,
    ) -> Result<(), postgres::Error> {
        let recorded = bookkeeping::Recorded {
            migration_name: file.migration_name,
            path: file.path,
            sql: file.sql,
            runner: file.runner,
            duration,
            failure,
        };
        self.bookkeeping.after(self.client, &recorded)
    }

    /// Ends a transaction block the file left (rolling it back), then reads the limits as the
    /// file left them and lifts them for the drill's own queries.
    fn leave_file(&mut self) -> Result<Left, ApplyError> {
        let mut left = Left::Clean;
        // Once rolled back, the session is out of any block: a second round is the last.
        for _ in 0..2 {
            let row = match self.client.simple_query(LIMITS_OFF) {
                Ok(messages) => messages.into_iter().find_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => Some(row),
                    _ => None,
                }),
                Err(error) if error.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => {
                    self.rollback()?;
                    left = Left::Aborted;
                    continue;
                }
                Err(error) => return Err(ApplyError::Connection(error)),
            };
            let Some(row) = row else {
                return Err(ApplyError::Session("the session check returned no row"));
            };
            if row.get(0) == Some("f") {
                self.rollback()?;
                left = Left::Open;
                continue;
            }
            self.limits = [1, 2].map(|i| row.get(i).unwrap_or("0").to_string());
            return Ok(left);
        }
        Err(ApplyError::Session(
            "still in a transaction block after ROLLBACK",
        ))
    }

    fn rollback(&mut self) -> Result<(), ApplyError> {
        self.client
            .batch_execute("ROLLBACK")
            .map_err(ApplyError::Connection)
    }

    /// Sends the file as the mode sends it, up to a `COPY` with the client if it holds one
    /// (which fails there: see [`shapes::copies_with_client`]).
    fn send(&mut self, file: SqlFile<'_>, checksum: &str) -> Result<Sent, ApplyError> {
        let statements = match (self.mode, self.trace) {
            (ApplyMode::Split, _) | (_, true) => Some(sql::parse_file(file.path, file.sql)?),
            _ if self.plain.contains(checksum) => None,
            // Batch mode parses only what may need it, and sends what the parser rejects
            // as it is: PostgreSQL is the judge.
            _ if shapes::may_copy(file.sql) || shapes::may_control(file.sql) => {
                sql::parse_file(file.path, file.sql).ok()
            }
            _ => None,
        };
        let Some(statements) = statements else {
            return Ok(self.send_batch(file));
        };
        let copy = statements
            .iter()
            .enumerate()
            .find_map(|(i, s)| Some((i, shapes::copies_with_client(&s.node)?)));
        let until = copy.map_or(statements.len(), |(i, _)| i);
        let mut sent = match (self.mode, copy) {
            // One query: nothing of it runs when a statement in it cannot.
            (ApplyMode::Batch, Some(_)) => Sent::default(),
            (ApplyMode::Batch, None) if !self.trace && !shapes::has_control(&statements) => {
                self.plain.insert(checksum.to_string());
                self.send_batch(file)
            }
            _ => self.send_statements(file.path, &statements, until)?,
        };
        if let (None, Some((at, what))) = (&sent.failure, copy) {
            let committed = match self.mode {
                ApplyMode::Batch => 0,
                ApplyMode::Split => shapes::committed_before(&statements, at, self.mode),
            };
            let statement = &statements[at];
            sent.failure = Some(ApplyFailure {
                file: file.path.display().to_string(),
                code: None,
                constraint: None,
                message: format!(
                    "{what} cannot be applied by a migration runner: its rows travel in the \
                     client's copy protocol (psql's \\copy data), which Prisma does not \
                     speak, so it fails on this statement; load the rows with INSERT, or \
                     COPY from a file on the server"
                ),
                line: Some(statement.location.line as u32),
                effect: effect(self.mode, committed, statements.len()),
            });
            sent.committed = committed;
        }
        sent.statements = Some(statements);
        Ok(sent)
    }

    /// The whole file as one simple-protocol query, as Prisma up to about 7.3 sends it.
    fn send_batch(&mut self, file: SqlFile<'_>) -> Sent {
        let Err(error) = self.client.batch_execute(file.sql) else {
            return Sent::default();
        };
        let line = error
            .as_db_error()
            .and_then(|db| match db.position() {
                Some(postgres::error::ErrorPosition::Original(at)) => Some(*at),
                _ => None,
            })
            .map(|at| line_of_char(file.sql, at as usize));
        Sent {
            failure: Some(failure(
                file.path,
                &error,
                line,
                effect(ApplyMode::Batch, 0, 0),
            )),
            ..Sent::default()
        }
    }

    /// The first `until` statements one at a time, as the mode groups them into transactions
    /// (see [`trace`]), traced when the session traces: split mode always, and batch mode
    /// when tracing or when the file controls its own transactions (so the statement that
    /// failed is known).
    fn send_statements(
        &mut self,
        path: &Path,
        statements: &[SqlStatement],
        until: usize,
    ) -> Result<Sent, ApplyError> {
        if self.mode == ApplyMode::Split && !self.trace {
            for (at, statement) in statements[..until].iter().enumerate() {
                if let Err(error) = self.client.batch_execute(&statement.text) {
                    let line = Some(statement.location.line as u32);
                    return Ok(self.failed_at(path, statements, at, &error, line, Vec::new()));
                }
            }
            return Ok(Sent::default());
        }
        let prober = self.prober.as_mut().filter(|_| self.trace);
        let run = trace::run_traced(
            self.client,
            self.mode,
            &statements[..until],
            self.trace,
            prober,
        )
        .map_err(ApplyError::Connection)?;
        let at = run.traces.len().saturating_sub(1);
        let traces = if self.trace { run.traces } else { Vec::new() };
        Ok(match run.error {
            None => Sent {
                trace: traces,
                ..Sent::default()
            },
            Some(error) => {
                let line = statements.get(at).map(|s| s.location.line as u32);
                self.failed_at(path, statements, at, &error, line, traces)
            }
        })
    }

    fn failed_at(
        &self,
        path: &Path,
        statements: &[SqlStatement],
        at: usize,
        error: &postgres::Error,
        line: Option<u32>,
        trace: Vec<StatementTrace>,
    ) -> Sent {
        let committed = shapes::committed_before(statements, at, self.mode);
        Sent {
            failure: Some(failure(
                path,
                error,
                line,
                effect(self.mode, committed, statements.len()),
            )),
            trace,
            committed,
            statements: None,
        }
    }
}

/// What sending a file gave, before the session is checked.
#[derive(Default)]
struct Sent {
    failure: Option<ApplyFailure>,
    trace: Vec<StatementTrace>,
    /// Statements that stay committed after a failure.
    committed: usize,
    /// The file's statements, when sending needed them.
    statements: Option<Vec<SqlStatement>>,
}
