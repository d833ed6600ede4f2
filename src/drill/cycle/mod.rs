//! The drill cycle: for each migration in scope, in order, in one database: forward, snapshot
//! S(i); undo, which must give back S(i-1); forward again, which must give back S(i).
//!
//! This module holds the plan and the run; `prepare` reads what the drill needs before
//! anything runs and opens the scratch database, `phases` drills one migration (the three
//! phases share one helper), `checks` runs drill-script checks, `seeding` fills tables and
//! watches what data each phase keeps.

mod checks;
mod phases;
mod prepare;
mod rebuild;
mod rollback_all;
mod seeding;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use self::phases::{not_run, sql_file};
use self::prepare::{
    database_label, open_scratch, prepare_files, read_undo_dir, start_session, Opened,
};
pub use self::rollback_all::rollback_all;
use crate::drill::apply::{self, ApplyError, Timeouts};
use crate::drill::outcome::{DownVerdict, DrillReport, FinalCheck, Prefix, Rebuilt, UndoSource};
use crate::drill::script::{self, Check, Scope, ScriptError, Seed};
use crate::migrations::{ApplyMode, History, Layout, Migration, MigrationsError};
use crate::rows;
use crate::scratch::{Scratch, ScratchError, ScratchSource};
use crate::snapshot::{Snapshot, SnapshotError, Tracking};
use crate::sql::SqlError;

/// The zone drills run under unless told otherwise. Production servers rarely run under UTC,
/// and an undo that converts `timestamptz` back with a bare cast shifts every value by the
/// session's offset: invisible under UTC, a data change here. St. John's has a fractional
/// offset (−3:30) and daylight saving, so whole-hour and fixed-offset mistakes show too.
pub const DEFAULT_TIME_ZONE: &str = "America/St_Johns";

/// The setting that names the migration tool's bookkeeping table in a scratch database:
/// snapshots, seeding and traces leave that table out (it is the tool's, not the user's). Set
/// for the drill's session and as the database's default; without it, Prisma's.
pub const BOOKKEEPING_SETTING: &str = "unmigrate.bookkeeping";

/// Everything a drill needs to know, from a drill script or the command line.
#[derive(Debug, Clone)]
pub struct DrillPlan {
    /// The drill script it came from, if any.
    pub script: Option<PathBuf>,
    pub migrations_dir: PathBuf,
    /// Whose layout the folder has (`None`: detected).
    pub layout: Option<Layout>,
    /// Where committed undo folders live when not in the migrations folder.
    pub undo_dir: Option<PathBuf>,
    /// Which undo each migration is drilled with.
    pub undo: UndoChoice,
    pub scope: Scope,
    pub apply_mode: ApplyMode,
    pub timeouts: Timeouts,
    pub checks: Vec<Check>,
    /// Synthetic rows per table, and data-survival checks; `None`: neither.
    pub seed: Option<Seed>,
    /// The session `TimeZone` every drill session runs under (see [`DEFAULT_TIME_ZONE`]).
    pub time_zone: String,
    pub source: ScratchSource,
    pub tracking: Tracking,
    /// Trace every statement drilled: locks, rewrites, scans and time (see
    /// [`crate::drill::outcome::StatementTrace`]).
    pub trace: bool,
    /// Also probe each traced statement's table with a read and a write from two other
    /// sessions, and report how long they waited (implies `trace`).
    pub probe: bool,
    /// How many databases may drill parts of the scope at once (see [`crate::drill::run`]);
    /// `None`: one per core. `Some(1)`: the whole scope in one database.
    pub jobs: Option<usize>,
    /// On a server given by URL, run statements that change the server beyond the drill's
    /// database (roles, `ALTER SYSTEM`, …) instead of refusing the drill (see the `reach` module).
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
            layout: None,
            undo_dir: None,
            undo: UndoChoice::Committed,
            scope: Scope::All,
            apply_mode: ApplyMode::Batch,
            timeouts: Timeouts::default(),
            checks: Vec::new(),
            seed: None,
            time_zone: DEFAULT_TIME_ZONE.to_string(),
            source,
            tracking: Tracking::Incremental,
            trace: false,
            probe: false,
            jobs: None,
            allow_server_changes: false,
        }
    }
}

/// Which undo a drill applies for each migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UndoChoice {
    /// What the team would deploy: its committed undo folders, else the migration's
    /// hand-written down (down file, `down.sql`, dbmate section, Flyway `U` file), else the
    /// generated undo.
    #[default]
    Committed,
    /// The undo unmigrate generates, even where the team committed one.
    Generated,
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
    #[error("time zone {zone:?} is not one PostgreSQL knows; give a zone name such as Europe/Berlin or UTC (--time-zone, time_zone in the drill script, or [drill] time_zone in unmigrate.toml)")]
    TimeZone {
        zone: String,
        #[source]
        source: postgres::Error,
    },
    #[error("nothing to drill: {} holds {found}; give the migrations folder that holds the <timestamp>_<name> folders (prisma/migrations)", dir.display())]
    NothingToDrill { dir: PathBuf, found: String },
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
    progress: &mut dyn FnMut(Progress<'_>),
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
    progress: &mut dyn FnMut(Progress<'_>),
    scratch_slot: &mut Option<Scratch>,
) -> Result<DrillReport, DrillError> {
    let undo_history = match &plan.undo_dir {
        Some(dir) => Some(read_undo_dir(dir)?),
        None => None,
    };
    let forward = history.forward();
    let scope = plan.scope.resolve(history)?;
    let in_scope: Vec<&Migration> = forward[scope.clone()].to_vec();
    if in_scope.is_empty() {
        return Err(nothing_to_drill(history));
    }
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
                plan.undo,
                plan.seed.is_some(),
            )
        });
        let opened = open_scratch(plan, history.layout);
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
    let database = database_label(scratch, plan, &server_version);
    let mut session = start_session(&mut client, plan, history.layout)?;
    let apply_mode = session.mode();

    let mut report = DrillReport {
        script: plan.script.clone(),
        migrations_dir: plan.migrations_dir.clone(),
        layout: history.layout,
        undo: plan.undo,
        apply_mode,
        database,
        server_version,
        time_zone: plan.time_zone.clone(),
        startup,
        prefix: Prefix::default(),
        migrations: Vec::new(),
        undo_steps: Vec::new(),
        tracking: watcher.tracking(),
        final_check: None,
        stopped: None,
        server_changes: Vec::new(),
        unseen: Vec::new(),
        rebuilt: Vec::new(),
        total: Duration::ZERO,
    };

    // What a rebuild creates again (see the `rebuild` module).
    let schemas = rebuild::user_schemas(session.client())?;
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
        let mut drill = phases::Cycle {
            session,
            watcher: &mut watcher,
            checks: &checks,
            previous: Snapshot::default(),
            seed: plan.seed,
            seeded_once: false,
            seed_tried: rows::Tried::default(),
            seed_hints: match plan.seed {
                Some(_) => rows::Hints::from_history(history),
                None => rows::Hints::default(),
            },
            rows_now: None,
            widen: None,
        };
        drill.previous = drill.snapshot()?;
        let last = in_scope.last().map(|m| m.name.as_str());
        // Undo folders after the last forward migration are deployed too (that is where
        // `generate` puts them): when the scope reaches the end of the history, they are
        // applied there, in order, after every migration in scope was drilled.
        let to_the_end = forward.last().map(|m| m.name.as_str()) == last;
        let mut next = 0;
        for m in &history.migrations[prefix_end..] {
            let drilled_all = next == in_scope.len();
            if drilled_all && (m.undo_of.is_none() || !to_the_end) {
                break;
            }
            if m.undo_of.is_some() {
                // Deployed with the history, so applied at its place; drilled with its source.
                let applied = drill.session.apply(sql_file(m))?;
                drill.watcher.note_applied(&m.sql);
                report.undo_steps.push(m.name.clone());
                drill.forget_rows(); // its changes are not followed
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
            drilled.report.down_verdict = DownVerdict::of(&drilled.report);
            let mut stop = drilled.stop.take();
            // Another tool's history, or a hand-written down: an undo that leaves no known
            // state is a finding about that migration, and the drill goes on from a database
            // rebuilt from the history. (A Prisma history's generated or committed undo
            // stops the drill, as it always has.)
            let rebuild = drilled.rebuildable
                && (history.layout != Layout::Prisma
                    || matches!(drilled.report.undo_source, UndoSource::DownSql { .. }));
            if let (Some(reason), true) = (stop.clone(), rebuild) {
                let upto = history.migrations[..=position(history, m)].iter();
                let replay: Vec<Migration> =
                    upto.filter(|m| m.undo_of.is_none()).cloned().collect();
                let mut fresh = scratch.connect()?;
                stop = drill.rebuild(&replay, &schemas, &mut fresh)?;
                if stop.is_none() {
                    report.rebuilt.push(Rebuilt {
                        after: m.name.clone(),
                        reason,
                    });
                }
            }
            report.migrations.push(drilled.report);
            next += 1;
            if let Some(reason) = stop {
                report.stopped = Some(reason);
                break;
            }
            if Some(m.name.as_str()) == last && !to_the_end {
                break;
            }
        }
        for (m, (undo, files)) in in_scope.iter().zip(&undos).skip(next) {
            report.migrations.push(not_run(m, undo, files));
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

/// Where `m` stands in the history.
fn position(history: &History, m: &Migration) -> usize {
    history
        .migrations
        .iter()
        .position(|h| h.name == m.name)
        .expect("a drilled migration is in its history")
}

/// The error for a history with no forward migration, saying what the folder holds instead:
/// undo folders only, a migration's own files (the folder given is one migration), or nothing.
pub(super) fn nothing_to_drill(history: &History) -> DrillError {
    let undos = history.undo_names().count();
    let dir = &history.dir;
    let found = if undos > 0 {
        format!("only undo folders written by unmigrate ({undos}), and no forward migration")
    } else if dir.join("migration.sql").is_file() {
        "a migration.sql of its own: it is one migration folder, not the folder of migrations"
            .to_string()
    } else {
        "no migration folder".to_string()
    };
    DrillError::NothingToDrill {
        dir: dir.clone(),
        found,
    }
}
