//! `unmigrate drill`: its flags, read into a [`script::Flags`] that [`script::plan`] merges with the
//! script; the run with a progress bar; and its report, written where `--output` says.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{
    check_output_folder, migrations_dir, project_config, terminal, write_report, EXIT_DRILL_FAILED,
    EXIT_OK,
};
use crate::drill::apply::Timeouts;
use crate::drill::script::{self, Scope, Seed};
use crate::drill::{self, DrillPlan, Progress, UndoChoice};
use crate::migrations::ApplyMode;
use crate::report::{self, ReportFormat};
use crate::snapshot::Tracking;

#[derive(Debug, clap::Args)]
pub struct DrillArgs {
    /// A drill script (.toml, see drills/) or a migrations folder, of Prisma or another tool
    /// (see --layout) [default: `migrations` in unmigrate.toml, else prisma/migrations].
    pub target: Option<PathBuf>,
    /// The configuration file [default: unmigrate.toml in this folder or one above it]; its
    /// `apply_mode` and `[drill]` are defaults below the flags and the drill script.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Make the scratch database on this server instead of an embedded one. Only a database
    /// the drill creates is touched. Prisma's parameters are accepted (`?schema=` is where the
    /// drill runs).
    #[arg(long, value_name = "URL", conflicts_with = "shadow_database_url")]
    pub database_url: Option<String>,
    /// A disposable database, as Prisma's shadow database [env: SHADOW_DATABASE_URL, also read
    /// from Prisma's .env files; never DATABASE_URL, usually the application's own]. A fresh
    /// database is made beside it; when its role may not create databases (no CREATEDB), the
    /// drill runs inside it, reset before and after as Prisma resets it.
    #[arg(long, value_name = "URL")]
    pub shadow_database_url: Option<String>,
    /// With a server given by URL, run statements that change the server beyond the drill's
    /// database (roles and their settings, ALTER SYSTEM, databases, tablespaces, …) instead of
    /// refusing the drill with exit 3; the report lists them. The embedded PostgreSQL, thrown
    /// away afterwards, always runs them.
    #[arg(long)]
    pub allow_server_changes: bool,
    /// Read the folder as this tool's, and apply its files by that tool's rules (order,
    /// transactions, bookkeeping table) [default: `layout` in unmigrate.toml, else detected].
    #[arg(long, value_enum)]
    pub layout: Option<crate::migrations::Layout>,
    /// Which undo to drill for each migration: what the team would run (committed undo
    /// folders, else the migration's hand-written down, else the generated undo), or always
    /// the undo unmigrate generates.
    #[arg(long, value_enum, default_value_t = UndoChoice::Committed)]
    pub undo: UndoChoice,
    /// Instead of drilling each migration, apply every up, then every down newest first (as
    /// a team rolls a whole release back), comparing each step with the schema the history
    /// had before that migration; reports the first down that fails and what it leaves.
    #[arg(long, conflicts_with_all = ["last", "from", "to", "seed_rows", "trace", "probe", "undo"])]
    pub rollback_all: bool,
    /// How each migration.sql is sent: whole, in one implicit transaction (Prisma ≤ 7.3), or
    /// statement by statement (Prisma ≥ 7.4) [default: batch, or the script's].
    #[arg(long, value_enum)]
    pub apply_mode: Option<ApplyMode>,
    /// Drill only the last N forward migrations (the earlier ones are applied forward only).
    #[arg(long, value_name = "N", conflicts_with_all = ["from", "to", "all"])]
    pub last: Option<usize>,
    /// Drill from this migration (named as for generate --migration), inclusive.
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub from: Option<String>,
    /// Drill up to this migration (named as for generate --migration), inclusive.
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub to: Option<String>,
    /// Drill every forward migration (the default without a script).
    #[arg(long)]
    pub all: bool,
    /// Committed undo folders kept outside the migrations folder (e.g. written with
    /// `generate --out`).
    #[arg(long, value_name = "DIR")]
    pub undo_dir: Option<PathBuf>,
    /// Longest any statement of a migration (or check) may run, a number and a unit (us, ms,
    /// s, min, h, d; 0 for no limit); the drill's own queries between files are not limited
    /// [default: 10min].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub statement_timeout: Option<String>,
    /// Longest a statement of a migration (or check) may wait for a lock, a number and a unit
    /// (0 for no limit) [default: 1min].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub lock_timeout: Option<String>,
    /// Fill every table with N synthetic rows before the first migration in scope (and empty
    /// tables before later ones), and check which data each undo keeps [default: the
    /// script's `seed`, else no rows].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub seed_rows: Option<u64>,
    /// The session TimeZone every drill session runs under: production rarely runs under
    /// UTC, and a conversion that depends on the zone only shows under another one
    /// [default: the script's `time_zone`, else America/St_Johns].
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Human report: only failed migrations with their failures, the summary line and the
    /// verdict (the other formats keep every note).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Human report: every note, each lossy one included (by default each migration's lossy
    /// notes are counted on one line; the other formats keep every note).
    #[arg(short, long)]
    pub verbose: bool,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compare schemas by rendering only what changed (event triggers) or the whole schema
    /// after every step; both are checked against a full render at the end.
    #[arg(long, value_enum, default_value_t = SnapshotMode::Incremental)]
    pub snapshot: SnapshotMode,
    /// Trace every drilled statement: the locks it takes, tables it rewrites or scans,
    /// whether it runs in a transaction, and its duration [default: the script's `trace`].
    #[arg(long)]
    pub trace: bool,
    /// With the trace, probe each statement's table from two other sessions (a read and a
    /// write) and report how long each waited [default: the script's `probe`].
    #[arg(long)]
    pub probe: bool,
    /// Drill a long scope in up to N databases at once, each a contiguous range of it after
    /// the history before it is applied forward only; 1 drills the whole scope in one
    /// database. Seeded and probed drills always use one [default: one per core, at most 8]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Directory with PostgreSQL's initdb and postgres for the embedded server [default:
    /// pg_config --bindir, PATH, /usr/lib/postgresql/*/bin].
    #[arg(long, value_name = "DIR")]
    pub pg_bin: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SnapshotMode {
    Incremental,
    Full,
}

pub(super) fn run(args: &DrillArgs) -> anyhow::Result<i32> {
    if let Some(path) = &args.output {
        check_output_folder(path)?;
    }
    let plan = drill_plan(args)?;
    if args.rollback_all {
        let report = drill::rollback_all(&plan)?;
        let text = report::rollback::render(&report, args.format);
        write_report(args.output.as_deref(), &text)?;
        return Ok(if report.passed() {
            EXIT_OK
        } else {
            EXIT_DRILL_FAILED
        });
    }
    let interactive = args.format == ReportFormat::Human
        && args.output.is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut bar: Option<report::Progress> = None;
    let mut started = false;
    let report = drill::run(&plan, &mut |event| match event {
        Progress::Planned(total) => bar = Some(report::Progress::new(total as u64, interactive)),
        Progress::Migration(name) => {
            if let Some(bar) = &bar {
                if started {
                    bar.finish_one();
                }
                bar.start(name);
                started = true;
            }
        }
    })?;
    if let Some(bar) = &bar {
        bar.finish();
    }
    let styling = terminal::report(args.format == ReportFormat::Human, args.output.as_deref());
    let detail = match (args.quiet, args.verbose) {
        (true, _) => report::Detail::Quiet,
        (_, true) => report::Detail::Verbose,
        _ => report::Detail::Normal,
    };
    let text = report::render_styled(&report, args.format, styling, detail);
    write_report(args.output.as_deref(), &text)?;
    Ok(if report.passed() {
        EXIT_OK
    } else {
        EXIT_DRILL_FAILED
    })
}

/// The drill's flags as given; what they mean with a script is [`script::plan`]'s to decide.
fn drill_plan(args: &DrillArgs) -> anyhow::Result<DrillPlan> {
    let scope = if args.all {
        Some(Scope::All)
    } else if let Some(n) = args.last {
        anyhow::ensure!(n > 0, "--last must be at least 1");
        Some(Scope::Last(n))
    } else if args.from.is_some() || args.to.is_some() {
        Some(Scope::Range {
            from: args.from.clone(),
            to: args.to.clone(),
        })
    } else {
        None
    };
    let config = project_config(args.config.as_deref())?;
    Ok(script::plan(script::Flags {
        target: migrations_dir(args.target.as_deref(), &config),
        database_url: args.database_url.clone(),
        shadow_database_url: args.shadow_database_url.clone(),
        allow_server_changes: args.allow_server_changes,
        apply_mode: args.apply_mode,
        scope,
        layout: args.layout.or(config.layout),
        undo_dir: args.undo_dir.clone(),
        undo: args.undo,
        timeouts: Timeouts {
            statement: args.statement_timeout.clone(),
            lock: args.lock_timeout.clone(),
        },
        seed: args.seed_rows.map(|rows| Seed { rows }),
        time_zone: args.time_zone.clone(),
        tracking: match args.snapshot {
            SnapshotMode::Incremental => Tracking::Incremental,
            SnapshotMode::Full => Tracking::Full,
        },
        trace: args.trace,
        probe: args.probe,
        jobs: args.jobs.map(usize::from),
        pg_bin: args.pg_bin.clone(),
        defaults: config.drill_defaults,
        default_apply_mode: config.apply_mode,
    })?)
}

/// A drill timeout flag, checked before anything starts (see `sql::duration`).
fn duration(text: &str) -> Result<String, String> {
    crate::sql::duration::parse(text, true)
}
