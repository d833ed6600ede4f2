//! The drill cycle: for each migration in scope, in order, in one database: forward, snapshot
//! S(i); undo, which must give back S(i-1); forward again, which must give back S(i).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use postgres::Client;

use crate::data::{self, Fill, Fingerprint};
use crate::drill::apply::{self, ApplyError, PrismaSession, SqlFile, Timeouts};
use crate::drill::outcome::{
    CheckReport, DataFailure, DataReport, DrillReport, DrillResult, Expectation, FinalCheck,
    MigrationDrill, Phase, PhaseReport, PhaseStatus, Prefix, StatementTrace, UndoSource,
};
use crate::drill::script::{self, Check, Scope, ScriptError, Seed};
use crate::drill::survival::{self, Touched};
use crate::migrations::{self, ApplyMode, History, Migration, MigrationsError, Timestamp};
use crate::scratch::{Scratch, ScratchError, ScratchSource};
use crate::snapshot::{SchemaWatcher, Snapshot, SnapshotError, Tracking};
use crate::sql::{self, QName, SqlError};
use crate::undo::{self, DataLoss, MigrationUndo, Verdict};

/// Everything a drill needs to know, from a drill script or the command line.
#[derive(Debug, Clone)]
pub struct DrillPlan {
    /// The drill script it came from, if any.
    pub script: Option<PathBuf>,
    pub migrations_dir: PathBuf,
    /// Where committed undo folders live when not in the migrations folder.
    pub undo_dir: Option<PathBuf>,
    pub scope: Scope,
    pub apply_mode: ApplyMode,
    pub timeouts: Timeouts,
    pub checks: Vec<Check>,
    /// Synthetic rows per table, and data-survival checks; `None`: neither.
    pub seed: Option<Seed>,
    pub source: ScratchSource,
    pub tracking: Tracking,
    /// Trace every statement drilled: locks, rewrites, scans and time (see
    /// [`apply::StatementTrace`]).
    pub trace: bool,
    /// Also probe each traced statement's table with a read and a write from two other
    /// sessions, and report how long they waited (implies `trace`).
    pub probe: bool,
    /// How many databases may drill parts of the scope at once (see [`super::shards`]);
    /// `None`: one per core. `Some(1)`: the whole scope in one database.
    pub jobs: Option<usize>,
    /// On a server given by URL, run statements that change the server beyond the drill's
    /// database (roles, `ALTER SYSTEM`, …) instead of refusing the drill (see [`super::reach`]).
    pub allow_server_changes: bool,
}

impl DrillPlan {
    /// A drill of every migration of a history, with no script: batch apply, incremental
    /// snapshots, no checks, the server's own timeouts. What the benches, `just corpus` and
    /// the corpus tests run.
    pub fn whole_history(migrations_dir: PathBuf, source: ScratchSource) -> DrillPlan {
        DrillPlan {
            script: None,
            migrations_dir,
            undo_dir: None,
            scope: Scope::All,
            apply_mode: ApplyMode::Batch,
            timeouts: Timeouts::default(),
            checks: Vec::new(),
            seed: None,
            source,
            tracking: Tracking::Incremental,
            trace: false,
            probe: false,
            jobs: None,
            allow_server_changes: false,
        }
    }
}

/// What stops a drill before it can report: bad input or a broken environment (exit 2).
/// A migration that fails is not an error: it is in the report.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    #[error(transparent)]
    Migrations(#[from] MigrationsError),
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error(transparent)]
    Scratch(#[from] ScratchError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error("the scratch database connection failed while seeding or fingerprinting data: {0}")]
    Data(#[source] postgres::Error),
    #[error("{} holds forward migrations ({names}); an undo directory may hold only undo folders written by unmigrate", dir.display())]
    ForwardInUndoDir { dir: PathBuf, names: String },
    #[error("refused: a drill on a server given by URL may change only the database it creates, and these statements change the server beyond it:{list}\n  drill on the embedded PostgreSQL (no --database-url, SHADOW_DATABASE_URL or [database]), whose cluster is thrown away, or pass --allow-server-changes to run them on that server anyway")]
    ServerChanges { list: String },
    /// The embedded server failed under the drill: the error, with what the server's log said
    /// (read before its directory went).
    #[error("{}\n{diagnosis}", crate::errors::one_line(&**error))]
    ServerFailed {
        error: Box<DrillError>,
        diagnosis: String,
    },
}

impl DrillError {
    /// This error with the scratch server's state and log tail, when `diagnose` finds that
    /// the server failed.
    pub(super) fn with_server_log(
        self,
        diagnose: impl FnOnce(&(dyn std::error::Error + 'static)) -> Option<String>,
    ) -> DrillError {
        match diagnose(&self) {
            Some(diagnosis) => DrillError::ServerFailed {
                error: Box::new(self),
                diagnosis,
            },
            None => self,
        }
    }
}

/// Progress as the drill goes, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The number of migrations in scope, once known.
    Planned(usize),
    /// A migration's drill begins.
    Migration(&'a str),
}

/// Runs the drill in one database on a history already read from `plan.migrations_dir`,
/// timed from `started`, and reports what it found. `Err` only for input or environment
/// errors.
pub(super) fn run_history(
    plan: &DrillPlan,
    history: &History,
    started: Instant,
    progress: &mut dyn FnMut(Progress),
) -> Result<DrillReport, DrillError> {
    // The scratch database outlives `drill_history`, so that on an error the server's log is
    // still there to quote.
    let mut scratch = None;
    let result = drill_history(plan, history, started, progress, &mut scratch);
    match (result, scratch.as_mut()) {
        (Err(error), Some(scratch)) => Err(error.with_server_log(|e| scratch.diagnose(e))),
        (result, _) => result,
    }
}

fn drill_history(
    plan: &DrillPlan,
    history: &History,
    started: Instant,
    progress: &mut dyn FnMut(Progress),
    scratch_slot: &mut Option<Scratch>,
) -> Result<DrillReport, DrillError> {
    let undo_history = match &plan.undo_dir {
        Some(dir) => Some(read_undo_dir(dir)?),
        None => None,
    };
    let forward = history.forward();
    let scope = plan.scope.resolve(history)?;
    let in_scope: Vec<&Migration> = forward[scope.clone()].to_vec();
    let checks = script::resolve_checks(plan.script.as_deref(), &plan.checks, history, &scope)?;
    progress(Progress::Planned(in_scope.len()));

    // Deriving the undos needs only the files, preparing the scratch database only the
    // server: both take a while, so they run side by side.
    let (prepared, opened) = std::thread::scope(|scope| {
        let prepared = scope.spawn(|| {
            prepare_files(
                history,
                undo_history.as_ref(),
                &in_scope,
                plan.seed.is_some(),
            )
        });
        let opened = open_scratch(plan);
        let prepared = prepared
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (prepared, opened)
    });
    let (undos, forward_files) = prepared?;
    let Opened {
        scratch,
        mut client,
        server_version,
        mut watcher,
    } = opened?;
    let scratch = &*scratch_slot.insert(scratch);
    let startup = scratch.server().map(|s| s.startup_time());
    let database = match scratch.server() {
        Some(_) => format!("embedded PostgreSQL {server_version}"),
        None => format!(
            "database {} on {}",
            scratch.db().name(),
            redacted(&plan.source)
        ),
    };
    let mut session = PrismaSession::start(&mut client, plan.apply_mode, &plan.timeouts)?;

    let mut report = DrillReport {
        script: plan.script.clone(),
        migrations_dir: plan.migrations_dir.clone(),
        apply_mode: plan.apply_mode,
        database,
        server_version,
        startup,
        prefix: Prefix::default(),
        migrations: Vec::new(),
        undo_steps: Vec::new(),
        tracking: watcher.tracking(),
        final_check: None,
        stopped: None,
        server_changes: Vec::new(),
        unseen: Vec::new(),
        total: Duration::ZERO,
    };

    // Everything in the history before the first migration in scope, forward only.
    let first = in_scope.first().map(|m| m.name.as_str());
    let prefix_end = history
        .migrations
        .iter()
        .position(|m| Some(m.name.as_str()) == first)
        .unwrap_or(history.migrations.len());
    let prefix_started = Instant::now();
    for m in &history.migrations[..prefix_end] {
        let applied = session.apply(sql_file(m))?;
        watcher.note_applied(&m.sql);
        report.prefix.migrations += 1;
        if let Some(failure) = applied.failure {
            report.stopped = Some(format!(
                "{} failed before the drill's scope began ({}: {}); fix it or drill from an \
                 earlier migration",
                m.name,
                failure.code.as_deref().unwrap_or("error"),
                failure.message
            ));
            break;
        }
    }
    report.prefix.duration = prefix_started.elapsed();
    if plan.probe {
        let prober = apply::Prober::start(scratch.connect()?, scratch.connect()?, &plan.timeouts)
            .map_err(ApplyError::Connection)?;
        session.probe_statements(prober);
    } else if plan.trace {
        session.trace_statements();
    }

    if report.stopped.is_none() {
        let mut drill = Cycle {
            session,
            watcher: &mut watcher,
            checks: &checks,
            previous: Snapshot::default(),
            seed: plan.seed,
            seeded_once: false,
            seed_tried: BTreeSet::new(),
        };
        drill.previous = drill.snapshot()?;
        let last = in_scope.last().map(|m| m.name.as_str());
        let mut next = 0;
        for m in &history.migrations[prefix_end..] {
            if next == in_scope.len() {
                break;
            }
            if m.undo_of.is_some() {
                // Deployed with the history, so applied at its place; drilled with its source.
                let applied = drill.session.apply(sql_file(m))?;
                drill.watcher.note_applied(&m.sql);
                report.undo_steps.push(m.name.clone());
                if let Some(failure) = applied.failure {
                    report.stopped = Some(format!(
                        "undo folder {} failed where the history applies it: {}",
                        m.name, failure.message
                    ));
                    break;
                }
                drill.previous = drill.snapshot()?;
                continue;
            }
            progress(Progress::Migration(&m.name));
            let (undo, files) = &undos[next];
            let mut drilled = drill.migration(m, undo, files, &forward_files[next])?;
            drilled.report.mode_differences = forward_files[next].mode_differences.clone();
            let stop = drilled.stop.take();
            report.migrations.push(drilled.report);
            next += 1;
            if let Some(reason) = stop {
                report.stopped = Some(reason);
                break;
            }
            if Some(m.name.as_str()) == last {
                break;
            }
        }
        for (m, (undo, _)) in in_scope.iter().zip(&undos).skip(next) {
            report.migrations.push(not_run(m, undo));
        }
        if report.stopped.is_none() {
            let diff = drill.watcher.verify(drill.session.client())?;
            report.final_check = Some(FinalCheck {
                passed: diff.is_none(),
                diff,
            });
        }
    }
    report.total = started.elapsed();
    Ok(report)
}

/// A scratch database, ready for the drill: connected, with the schema watcher installed.
struct Opened {
    scratch: Scratch,
    client: Client,
    server_version: String,
    watcher: SchemaWatcher,
}

fn open_scratch(plan: &DrillPlan) -> Result<Opened, DrillError> {
    let mut scratch = Scratch::open(plan.source.clone())?;
    let ready = || -> Result<_, DrillError> {
        let mut client = scratch.connect()?;
        let server_version = server_version(&mut client)?;
        let watcher = SchemaWatcher::install(&mut client, plan.tracking)?;
        Ok((client, server_version, watcher))
    };
    match ready() {
        Ok((client, server_version, watcher)) => Ok(Opened {
            scratch,
            client,
            server_version,
            watcher,
        }),
        Err(error) => Err(error.with_server_log(|e| scratch.diagnose(e))),
    }
}

/// Each in-scope migration's undo with the files to apply, and what the drill needs to know
/// of its own file.
type PreparedFiles = (Vec<(MigrationUndo, UndoFiles)>, Vec<ForwardFile>);

fn prepare_files(
    history: &History,
    undo_history: Option<&History>,
    in_scope: &[&Migration],
    seeded: bool,
) -> Result<PreparedFiles, DrillError> {
    let undos = undo_files(history, undo_history, in_scope)?;
    let forward_files = in_scope
        .iter()
        .map(|m| {
            let statements = sql::parse_file(&m.sql_path, &m.sql)?;
            Ok(ForwardFile {
                mode_differences: apply::mode_differences(&statements),
                touched: seeded.then(|| Touched::of(statements.iter().map(|s| &s.node))),
                fits_in_a_transaction: apply::fits_in_a_transaction(&statements),
            })
        })
        .collect::<Result<Vec<_>, SqlError>>()?;
    Ok((undos, forward_files))
}

/// An undo directory kept outside the history: every folder must be an undo.
fn read_undo_dir(dir: &Path) -> Result<History, DrillError> {
    let history = migrations::read_history(dir)?;
    let forward: Vec<&str> = history
        .migrations
        .iter()
        .filter(|m| m.undo_of.is_none())
        .map(|m| m.name.as_str())
        .collect();
    if !forward.is_empty() {
        return Err(DrillError::ForwardInUndoDir {
            dir: dir.to_path_buf(),
            names: forward.join(", "),
        });
    }
    Ok(history)
}

/// An undo file to apply: its name as recorded in `_prisma_migrations`, path and SQL.
#[derive(Debug, Clone)]
struct UndoFile {
    name: String,
    path: PathBuf,
    sql: String,
}

/// Each migration's derived undo, with the files the drill applies: the committed undo
/// folders when there are any ("drill what you deploy"), else the generated ones.
fn undo_files(
    history: &History,
    undo_history: Option<&History>,
    in_scope: &[&Migration],
) -> Result<Vec<(MigrationUndo, UndoFiles)>, DrillError> {
    if in_scope.is_empty() {
        return Ok(Vec::new());
    }
    let derived = undo::derive_undos(history, in_scope)?;
    let fresh: usize = derived.iter().map(|(_, parts)| parts.len()).sum();
    let stamps = migrations::choose_timestamps(history, None, Timestamp::now_utc(), fresh)?;
    let mut stamps = stamps.into_iter();
    let mut out = Vec::with_capacity(derived.len());
    for (undo, parts) in derived {
        let committed: Vec<&Migration> = history
            .undos_of(&undo.source)
            .chain(
                undo_history
                    .into_iter()
                    .flat_map(|h| h.undos_of(&undo.source)),
            )
            .collect();
        let count = parts.len();
        let generated: Vec<UndoFile> = parts
            .into_iter()
            .enumerate()
            .map(|(i, sql)| {
                let ts = stamps.next().expect("a timestamp per generated part");
                let source = if i == 0 {
                    undo.source.clone()
                } else {
                    format!("{}_part{}", undo.source, i + 1)
                };
                let name = migrations::undo_folder_name(ts, &source);
                UndoFile {
                    path: PathBuf::from(format!("(generated) {name}/migration.sql")),
                    name,
                    sql,
                }
            })
            .collect();
        debug_assert_eq!(generated.len(), count);
        let files = if committed.is_empty() {
            UndoFiles {
                source: UndoSource::Generated,
                files: generated,
            }
        } else {
            UndoFiles {
                source: UndoSource::Committed {
                    folders: committed.iter().map(|m| m.name.clone()).collect(),
                },
                files: committed
                    .iter()
                    .map(|m| UndoFile {
                        name: m.name.clone(),
                        path: m.sql_path.clone(),
                        sql: m.sql.clone(),
                    })
                    .collect(),
            }
        };
        out.push((undo, files));
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct UndoFiles {
    source: UndoSource,
    files: Vec<UndoFile>,
}

fn sql_file(m: &Migration) -> SqlFile<'_> {
    SqlFile {
        migration_name: &m.name,
        path: &m.sql_path,
        sql: &m.sql,
    }
}

fn server_version(client: &mut Client) -> Result<String, DrillError> {
    let row = client
        .query_one("SHOW server_version", &[])
        .map_err(|e| DrillError::Apply(ApplyError::Connection(e)))?;
    let version: String = row.get(0);
    Ok(version
        .split_whitespace()
        .next()
        .unwrap_or(&version)
        .to_string())
}

/// The server's URL without its password, for reports.
fn redacted(source: &ScratchSource) -> String {
    match source {
        ScratchSource::Embedded(_) => "embedded PostgreSQL".into(),
        ScratchSource::Url(url) => match url.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}@{host}")
                }
                None => url.clone(),
            },
            None => "the server given by URL".into(),
        },
    }
}

fn claimed(undo: &MigrationUndo) -> (Verdict, Vec<String>) {
    let reasons = undo
        .statements
        .iter()
        .filter(|s| s.undo.verdict != Verdict::Exact)
        .map(|s| {
            format!(
                "line {} {}: {}",
                s.location.line, s.undo.verdict, s.undo.reason
            )
        })
        .collect();
    (undo.verdict, reasons)
}

fn not_run(m: &Migration, undo: &MigrationUndo) -> MigrationDrill {
    let (claimed, reasons) = claimed(undo);
    MigrationDrill {
        name: m.name.clone(),
        undo_source: UndoSource::Generated,
        claimed,
        reasons,
        result: DrillResult::NotRun,
        phases: Vec::new(),
        checks: Vec::new(),
        mode_differences: Vec::new(),
        data: None,
    }
}

/// What the drill reads from a forward migration's parse trees before anything runs.
struct ForwardFile {
    mode_differences: Vec<String>,
    /// What its statements name, for data-survival checks (seeded drills only).
    touched: Option<Touched>,
    /// Whether it can be tried again inside a rolled-back transaction.
    fits_in_a_transaction: bool,
}

/// One migration's drill result, and why the drill must stop after it, if it must.
struct Drilled {
    report: MigrationDrill,
    stop: Option<String>,
}

/// The state carried from one migration to the next.
struct Cycle<'s, 'c> {
    session: PrismaSession<'c>,
    watcher: &'s mut SchemaWatcher,
    checks: &'s [Check],
    /// The schema before the migration being drilled.
    previous: Snapshot,
    seed: Option<Seed>,
    /// Whether the first round of seeding (every table) is done; later rounds fill only
    /// tables that are still empty.
    seeded_once: bool,
    /// Tables seeding has tried to fill, successfully or not.
    seed_tried: BTreeSet<QName>,
}

/// A seeded drill's view of one migration's data: the fingerprint before its forward
/// phase, what may change, and the findings so far.
struct DataWatch {
    before: Fingerprint,
    /// After the latest phase: what the re-apply is compared with.
    last: Fingerprint,
    touched: Touched,
    loses: Vec<DataLoss>,
    report: DataReport,
}

impl Cycle<'_, '_> {
    fn snapshot(&mut self) -> Result<Snapshot, SnapshotError> {
        Ok(self.watcher.refresh(self.session.client())?.clone())
    }

    /// Drills one migration; when the drill is seeded, seeds first and checks which data
    /// survived each phase.
    fn migration(
        &mut self,
        m: &Migration,
        undo: &MigrationUndo,
        files: &UndoFiles,
        forward_file: &ForwardFile,
    ) -> Result<Drilled, DrillError> {
        let mut data = match (self.seed, &forward_file.touched) {
            (Some(seed), Some(touched)) => Some(self.seed_and_fingerprint(seed, touched, undo)?),
            _ => None,
        };
        let mut drilled = self.phases(m, undo, files, &mut data)?;
        if let Some(mut watch) = data {
            let forward_failed =
                drilled.report.phases.iter().any(|p| {
                    p.phase == Phase::Forward && matches!(p.status, PhaseStatus::Error(_))
                });
            if forward_failed {
                watch.report.forward_failure = Some(self.fails_only_with_data(m, forward_file)?);
            }
            if watch.report.failed() {
                drilled.report.result = DrillResult::Failed;
            }
            drilled.report.data = Some(watch.report);
        }
        Ok(drilled)
    }

    fn seed_and_fingerprint(
        &mut self,
        seed: Seed,
        touched: &Touched,
        undo: &MigrationUndo,
    ) -> Result<DataWatch, DrillError> {
        let fill = if self.seeded_once {
            Fill::Empty {
                tried: &self.seed_tried,
            }
        } else {
            Fill::All
        };
        let client = self.session.client();
        let outcome = data::seed(client, seed.rows, fill).map_err(DrillError::Data)?;
        self.seeded_once = true;
        let tried = outcome.seeded.iter().map(|s| &s.table);
        self.seed_tried.extend(
            tried
                .chain(outcome.failed.iter().map(|f| &f.table))
                .cloned(),
        );
        let started = Instant::now();
        let before = data::fingerprint::take(client).map_err(DrillError::Data)?;
        Ok(DataWatch {
            last: before.clone(),
            before,
            touched: touched.clone(),
            loses: undo
                .statements
                .iter()
                .flat_map(|s| s.undo.loses.iter().cloned())
                .collect(),
            report: DataReport {
                rows_per_table: seed.rows,
                seeded: outcome.seeded,
                not_seeded: outcome.failed,
                seed_time: outcome.duration,
                fingerprint_time: started.elapsed(),
                ..DataReport::default()
            },
        })
    }

    /// Compares the data after `phase` with the data before the forward phase.
    fn observe(&mut self, data: &mut Option<DataWatch>, phase: Phase) -> Result<(), DrillError> {
        let Some(watch) = data else {
            return Ok(());
        };
        let started = Instant::now();
        let now = data::fingerprint::take(self.session.client()).map_err(DrillError::Data)?;
        let baseline = match phase {
            Phase::Forward | Phase::Undo => &watch.before,
            Phase::Reapply => &watch.last,
        };
        let (unannounced, announced) =
            survival::judge(baseline, &now, phase, &watch.touched, &watch.loses);
        watch.last = now;
        watch.report.unannounced.extend(unannounced);
        watch.report.announced.extend(announced);
        watch.report.fingerprint_time += started.elapsed();
        Ok(())
    }

    /// After the forward migration failed on seeded rows: whether it applies once the tables
    /// are emptied, tried in a transaction that is rolled back (so nothing changes). Only in
    /// batch mode, where the failed file left nothing behind, and for files that can run in
    /// one transaction.
    fn fails_only_with_data(
        &mut self,
        m: &Migration,
        forward_file: &ForwardFile,
    ) -> Result<DataFailure, DrillError> {
        if self.session.mode() != ApplyMode::Batch || !forward_file.fits_in_a_transaction {
            return Ok(DataFailure::Unknown);
        }
        let limits = self.session.limits().map(str::to_string);
        let client = self.session.client();
        let tables = data::live::user_tables(client).map_err(DrillError::Data)?;
        let mut transaction = client.transaction().map_err(DrillError::Data)?;
        limit(&mut transaction, &limits).map_err(DrillError::Data)?;
        if !tables.is_empty() {
            let names: Vec<String> = tables
                .iter()
                .map(|t| data::live::qualified(&t.name))
                .collect();
            transaction
                .batch_execute(&format!("TRUNCATE {} CASCADE", names.join(", ")))
                .map_err(DrillError::Data)?;
        }
        let applies = transaction.batch_execute(&m.sql).is_ok();
        transaction.rollback().map_err(DrillError::Data)?;
        Ok(if applies {
            DataFailure::OnlyWithData
        } else {
            DataFailure::AlsoWithoutData
        })
    }

    fn phases(
        &mut self,
        m: &Migration,
        undo: &MigrationUndo,
        files: &UndoFiles,
        data: &mut Option<DataWatch>,
    ) -> Result<Drilled, DrillError> {
        let (claimed, reasons) = claimed(undo);
        let mut report = MigrationDrill {
            name: m.name.clone(),
            undo_source: files.source.clone(),
            claimed,
            reasons,
            result: DrillResult::Passed,
            phases: Vec::new(),
            checks: Vec::new(),
            mode_differences: Vec::new(),
            data: None,
        };
        let order_announced = undo.statements.iter().any(|s| s.undo.reorders_columns);

        // Forward.
        let applied = self.session.apply(sql_file(m))?;
        self.watcher.note_applied(&m.sql);
        if let Some(failure) = applied.failure {
            report.phases.push(phase(
                Phase::Forward,
                applied.duration,
                Duration::ZERO,
                PhaseStatus::Error(failure),
                applied.trace,
            ));
            report.result = DrillResult::Failed;
            let stop = format!(
                "the forward migration {} failed, so nothing after it can be drilled",
                m.name
            );
            return Ok(Drilled {
                report,
                stop: Some(stop),
            });
        }
        self.observe(data, Phase::Forward)?;
        let comparing = Instant::now();
        let forward = self.snapshot()?;
        report.phases.push(phase(
            Phase::Forward,
            applied.duration,
            comparing.elapsed(),
            PhaseStatus::Passed,
            applied.trace,
        ));
        self.run_checks(m, Phase::Forward, &mut report);

        let generated_manual = claimed == Verdict::Manual && files.source == UndoSource::Generated;
        if generated_manual {
            report.result = DrillResult::Manual;
            self.previous = forward;
            return Ok(Drilled { report, stop: None });
        }

        // Undo, part by part.
        let mut undo_time = Duration::ZERO;
        let mut undo_trace = Vec::new();
        for (i, file) in files.files.iter().enumerate() {
            let applied = self.session.apply(SqlFile {
                migration_name: &file.name,
                path: &file.path,
                sql: &file.sql,
            })?;
            self.watcher.note_applied(&file.sql);
            undo_time += applied.duration;
            undo_trace.extend(applied.trace);
            if let Some(failure) = applied.failure {
                let clean =
                    i == 0 && self.session.mode() == ApplyMode::Batch && !applied.partly_committed;
                report.phases.push(phase(
                    Phase::Undo,
                    undo_time,
                    Duration::ZERO,
                    PhaseStatus::Error(failure),
                    undo_trace,
                ));
                report.result = DrillResult::Failed;
                if clean {
                    // Rolled back: the database is at the forward state, so the drill goes on.
                    self.previous = forward;
                    return Ok(Drilled { report, stop: None });
                }
                let stop = format!(
                    "the undo of {} failed half-way, so the database is in no known state",
                    m.name
                );
                return Ok(Drilled {
                    report,
                    stop: Some(stop),
                });
            }
        }
        self.observe(data, Phase::Undo)?;
        let comparing = Instant::now();
        let undone = self.snapshot()?;
        let status = compare(
            &self.previous,
            &undone,
            order_announced,
            format!("before {}", m.name),
            format!("after the undo of {}", m.name),
        );
        report.phases.push(phase(
            Phase::Undo,
            undo_time,
            comparing.elapsed(),
            status,
            undo_trace,
        ));
        self.run_checks(m, Phase::Undo, &mut report);

        // Forward again.
        let applied = self.session.apply(sql_file(m))?;
        self.watcher.note_applied(&m.sql);
        if let Some(failure) = applied.failure {
            report.phases.push(phase(
                Phase::Reapply,
                applied.duration,
                Duration::ZERO,
                PhaseStatus::Error(failure),
                applied.trace,
            ));
            report.result = DrillResult::Failed;
            let stop = format!(
                "{} could not be applied again after its undo, so nothing after it can be drilled",
                m.name
            );
            return Ok(Drilled {
                report,
                stop: Some(stop),
            });
        }
        self.observe(data, Phase::Reapply)?;
        let comparing = Instant::now();
        let again = self.snapshot()?;
        let status = compare(
            &forward,
            &again,
            order_announced,
            format!("after {}", m.name),
            format!("after {} was applied again", m.name),
        );
        report.phases.push(phase(
            Phase::Reapply,
            applied.duration,
            comparing.elapsed(),
            status,
            applied.trace,
        ));
        self.run_checks(m, Phase::Reapply, &mut report);

        report.result = result(&report);
        self.previous = again;
        Ok(Drilled { report, stop: None })
    }

    /// Runs the checks due after this phase, each in a transaction that is rolled back so a
    /// check cannot change what the drill compares.
    fn run_checks(&mut self, m: &Migration, after: Phase, report: &mut MigrationDrill) {
        for check in self.checks {
            let due = check.after.contains(&after)
                && check.migration.as_ref().is_none_or(|name| *name == m.name);
            if !due {
                continue;
            }
            let limits = self.session.limits().map(str::to_string);
            let outcome =
                run_in_rolled_back_transaction(self.session.client(), &limits, &check.sql);
            let (passed, detail) = match (check.expect, outcome) {
                (Expectation::Succeed, Ok(())) => (true, None),
                (Expectation::Succeed, Err(e)) => (false, Some(e)),
                (Expectation::Fail, Err(e)) => (true, Some(e)),
                (Expectation::Fail, Ok(())) => (false, Some("succeeded, but it must fail".into())),
            };
            report.checks.push(CheckReport {
                name: check.name.clone(),
                after,
                expect: check.expect,
                passed,
                detail,
            });
        }
    }
}

fn compare(
    expected: &Snapshot,
    actual: &Snapshot,
    announced: bool,
    expected_label: String,
    actual_label: String,
) -> PhaseStatus {
    match expected.diff(actual, expected_label, actual_label) {
        None => PhaseStatus::Passed,
        Some(diff) if diff.column_order_only() => PhaseStatus::ColumnOrderOnly { diff, announced },
        Some(diff) => PhaseStatus::Mismatch { diff },
    }
}

/// SQL the drill runs for the user (a check, a migration tried again) runs under the
/// migrations' own limits ([`PrismaSession::limits`]), for this transaction only.
fn limit(
    transaction: &mut postgres::Transaction<'_>,
    limits: &[String; 2],
) -> Result<(), postgres::Error> {
    transaction
        .execute(
            "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
            &[&limits[0], &limits[1]],
        )
        .map(drop)
}

fn run_in_rolled_back_transaction(
    client: &mut Client,
    limits: &[String; 2],
    sql: &str,
) -> Result<(), String> {
    let mut transaction = client.transaction().map_err(|e| e.to_string())?;
    limit(&mut transaction, limits).map_err(|e| e.to_string())?;
    let outcome = transaction
        .batch_execute(sql)
        .map_err(|e| match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        });
    let _ = transaction.rollback();
    outcome
}

fn phase(
    phase: Phase,
    apply: Duration,
    compare: Duration,
    status: PhaseStatus,
    statements: Vec<StatementTrace>,
) -> PhaseReport {
    PhaseReport {
        phase,
        apply,
        compare,
        status,
        statements,
    }
}

/// The migration's result from its phases and checks. Column order alone passes only when
/// the verdict announced it.
fn result(report: &MigrationDrill) -> DrillResult {
    let mut order_only = false;
    for p in &report.phases {
        match &p.status {
            PhaseStatus::Passed => {}
            PhaseStatus::ColumnOrderOnly {
                announced: true, ..
            } => order_only = true,
            _ => return DrillResult::Failed,
        }
    }
    if report.checks.iter().any(|c| !c.passed) {
        DrillResult::Failed
    } else if order_only {
        DrillResult::PassedColumnOrderOnly
    } else {
        DrillResult::Passed
    }
}
