//! Command-line interface: clap definitions and the thin wiring between stages.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::drill::apply::{ApplyMode, Timeouts};
use crate::drill::script::{DrillScript, Scope, Seed};
use crate::drill::{self, DrillPlan, Progress};
use crate::explain;
use crate::generate::{self, GenerateError, Plan, Selection};
use crate::migrations::{self, MigrationsError, Overwrite, Timestamp};
use crate::report::explain::ExplainFormat;
use crate::report::{self, ReportFormat};
use crate::scratch::{self, ScratchOptions, ScratchSource};
use crate::snapshot::Tracking;
use crate::undo::Verdict;
use crate::untrusted;

/// Exit codes: 0 success, 1 some undo needs manual work (`generate`), a drill failed
/// (`drill`) or a hazard named by `--fail-on` was found (`explain`), 2 usage, input or
/// environment error, 3 a drill on a server given by URL refused statements that change the
/// server beyond its database.
pub const EXIT_OK: i32 = 0;
pub const EXIT_MANUAL: i32 = 1;
pub const EXIT_DRILL_FAILED: i32 = 1;
/// `explain --fail-on`: a hazard of a named rule was found.
pub const EXIT_HAZARDS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
/// `drill`: refused before anything ran (see [`DrillArgs::allow_server_changes`]).
pub const EXIT_REFUSED: i32 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "unmigrate",
    version,
    about = "Safe rollbacks for PostgreSQL migration histories"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write undo migrations for forward migrations of a Prisma history.
    Generate(GenerateArgs),
    /// Rehearse rollbacks on a scratch PostgreSQL: forward, undo and forward again for each
    /// migration, comparing schemas after every step.
    Drill(DrillArgs),
    /// Say, per statement and without a database, what a migration does to a live system:
    /// locks, rewrites and scans, transaction rules, zero-downtime hazards, and its undo.
    Explain(ExplainArgs),
    /// Remove what drills killed outright (SIGKILL, OOM) left behind, and say what.
    ///
    /// Scratch directories, with any server still running there and its shared memory, and
    /// with a database URL the scratch databases there: only what is provably this user's and
    /// whose run is dead. Every drill does this for itself when it starts; this also says
    /// what it kept, and why.
    Clean(CleanArgs),
}

#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// Also drop leftover scratch databases on this server [env: SHADOW_DATABASE_URL; never
    /// DATABASE_URL, usually the application's own].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A migration.sql (or any .sql file), a migration folder, a migrations folder (every
    /// migration in it), or a migration name (or unique prefix) in --dir.
    #[arg(default_value = "prisma/migrations")]
    pub target: PathBuf,
    /// The migrations folder in which a migration name is looked up.
    #[arg(long, value_name = "DIR", default_value = "prisma/migrations")]
    pub dir: PathBuf,
    /// How the runner sends each file: whole, in one implicit transaction (Prisma ≤ 7.3), or
    /// statement by statement (Prisma ≥ 7.4). Transaction rules depend on it.
    #[arg(long, value_enum, default_value_t = ApplyMode::Batch)]
    pub apply_mode: ApplyMode,
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
    /// Exit with 1 when a hazard of this rule id is found; `all` for any hazard. Repeatable,
    /// or comma-separated. Without it, hazards are reported and the exit code is 0.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub fail_on: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct DrillArgs {
    /// A drill script (.toml, see drills/) or a Prisma migrations folder.
    #[arg(default_value = "prisma/migrations")]
    pub target: PathBuf,
    /// Make the scratch database on this server instead of an embedded one [env:
    /// SHADOW_DATABASE_URL; never DATABASE_URL, usually the application's own]. Only a
    /// database the drill creates is touched.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// With a server given by URL, run statements that change the server beyond the drill's
    /// database (roles and their settings, ALTER SYSTEM, databases, tablespaces, …) instead of
    /// refusing the drill with exit 3; the report lists them. The embedded PostgreSQL, thrown
    /// away afterwards, always runs them.
    #[arg(long)]
    pub allow_server_changes: bool,
    /// How each migration.sql is sent: whole, in one implicit transaction (Prisma ≤ 7.3), or
    /// statement by statement (Prisma ≥ 7.4) [default: batch, or the script's].
    #[arg(long, value_enum)]
    pub apply_mode: Option<ApplyMode>,
    /// Drill only the last N forward migrations (the earlier ones are applied forward only).
    #[arg(long, value_name = "N", conflicts_with_all = ["from", "to", "all"])]
    pub last: Option<usize>,
    /// Drill from this migration (folder name or unique prefix), inclusive.
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub from: Option<String>,
    /// Drill up to this migration (folder name or unique prefix), inclusive.
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub to: Option<String>,
    /// Drill every forward migration (the default without a script).
    #[arg(long)]
    pub all: bool,
    /// Committed undo folders kept outside the migrations folder (e.g. written with
    /// `generate --out`).
    #[arg(long, value_name = "DIR")]
    pub undo_dir: Option<PathBuf>,
    /// Longest any statement of a migration (or check) may run, in PostgreSQL syntax; the
    /// drill's own queries between files are not limited [default: 10min].
    #[arg(long, value_name = "DURATION")]
    pub statement_timeout: Option<String>,
    /// Longest a statement of a migration (or check) may wait for a lock [default: 1min].
    #[arg(long, value_name = "DURATION")]
    pub lock_timeout: Option<String>,
    /// Fill every table with N synthetic rows before the first migration in scope (and empty
    /// tables before later ones), and check which data each undo keeps [default: the
    /// script's `seed`, else no rows].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub seed_rows: Option<u64>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
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

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The Prisma migrations folder.
    #[arg(default_value = "prisma/migrations")]
    pub migrations_dir: PathBuf,
    /// Undo this migration (folder name); repeat for several.
    #[arg(long = "migration", value_name = "NAME", conflicts_with_all = ["last", "all"])]
    pub migrations: Vec<String>,
    /// Undo the last N forward migrations [default: 1].
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub last: Option<usize>,
    /// Undo every forward migration.
    #[arg(long)]
    pub all: bool,
    /// Write the undo folders here instead of into the migrations folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Timestamp of the first undo folder (14 digits, UTC), for reproducible output.
    #[arg(long, value_name = "TS")]
    pub timestamp: Option<String>,
    /// Print what would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace an existing undo folder written by unmigrate, unless edited by hand since.
    #[arg(long)]
    pub force: bool,
    /// With --force, replace hand-edited undo folders too, discarding the edits.
    #[arg(long, requires = "force")]
    pub discard_edits: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => run_generate(&args),
        Command::Drill(args) => run_drill(&args),
        Command::Explain(args) => run_explain(&args),
        Command::Clean(args) => run_clean(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            // Messages quote folder names and server text: show their control characters.
            eprintln!("error: {}", untrusted::multiline(&describe(&error)));
            match error.downcast_ref::<drill::DrillError>() {
                Some(drill::DrillError::ServerChanges { .. }) => EXIT_REFUSED,
                _ => EXIT_ERROR,
            }
        }
    }
}

/// The error and its causes on one line, each cause once: many of our errors already quote
/// their source in their own message (`cannot read x: <io error>`), and anyhow's `{:#}` would
/// print it again.
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// Writes a finished report to standard output, saying so when that is what failed (a full
/// disk, a closed pipe), so that the error is not mistaken for one of the command's own.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| anyhow::anyhow!("cannot write to standard output: {e}"))
}

fn run_generate(args: &GenerateArgs) -> anyhow::Result<i32> {
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| args.migrations_dir.clone());
    // A run killed while renaming left some of its folders: put them back first.
    if args.dry_run {
        for dir in migrations::interrupted_runs(&target)? {
            eprintln!(
                "warning: an unmigrate run was killed while writing ({}); the next run without \
                 --dry-run removes what it left before reading the history",
                dir.display()
            );
        }
    } else {
        for dir in migrations::recover_interrupted(&target)? {
            eprintln!(
                "note: cleaned up after an unmigrate run that was killed while writing ({})",
                dir.display()
            );
        }
    }
    let history = migrations::read_history(&args.migrations_dir)?;
    let selection = if args.all {
        Selection::All
    } else if !args.migrations.is_empty() {
        Selection::Named(args.migrations.clone())
    } else {
        Selection::Last(args.last.unwrap_or(1))
    };
    let requested = args
        .timestamp
        .as_deref()
        .map(Timestamp::parse)
        .transpose()?;
    let plan = generate::plan(
        &history,
        &selection,
        requested,
        Timestamp::now_utc(),
        args.force,
    )?;
    let written = if args.dry_run {
        generate::verify(&plan)?;
        Vec::new()
    } else {
        let overwrite = match (args.force, args.discard_edits) {
            (false, _) => Overwrite::Never,
            (true, false) => Overwrite::Unedited,
            (true, true) => Overwrite::DiscardEdits,
        };
        match generate::write(&plan, &target, overwrite) {
            Ok(written) => written,
            Err(GenerateError::Migrations(MigrationsError::Interrupted { signal, outcome })) => {
                eprintln!("interrupted: {outcome}");
                return Ok(128 + signal);
            }
            Err(e) => return Err(e.into()),
        }
    };
    let mut out = Vec::new();
    match args.format {
        Format::Json => {
            let report = serde_json::json!({
                "verdict": plan.verdict(),
                "counts": plan.counts(),
                "dry_run": args.dry_run,
                "written": written,
                "undos": plan.undos,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        Format::Human => print_human(&mut out, &plan, &target, args.dry_run)?,
    }
    write_stdout(&out).map_err(|error| {
        if written.is_empty() {
            return error;
        }
        error.context(format!(
            "the undo was written ({} folder(s) in {}), but its report was not",
            written.len(),
            target.display()
        ))
    })?;
    Ok(if plan.verdict() == Verdict::Manual {
        EXIT_MANUAL
    } else {
        EXIT_OK
    })
}

fn run_explain(args: &ExplainArgs) -> anyhow::Result<i32> {
    let fail_on = fail_on_rules(&args.fail_on)?;
    let target = explain::Target::resolve(&args.target, &args.dir)?;
    let report = explain::explain(&target, args.apply_mode)?;
    let text = report::explain::render(&report, args.format);
    write_stdout(text.as_bytes())?;
    let failed = report.hazards().any(|h| fail_on.contains(&h.rule));
    Ok(if failed { EXIT_HAZARDS } else { EXIT_OK })
}

fn run_clean(args: &CleanArgs) -> anyhow::Result<i32> {
    let url = match ScratchSource::resolve(args.database_url.clone(), ScratchOptions::default()) {
        ScratchSource::Url(url) => Some(url),
        ScratchSource::Embedded(_) => None,
    };
    let sweep = scratch::clean(url.as_deref())?;
    let mut out = std::io::stdout().lock();
    for removed in &sweep.removed {
        writeln!(out, "removed {removed}")?;
    }
    for kept in &sweep.kept {
        writeln!(out, "kept {kept}")?;
    }
    writeln!(
        out,
        "{} removed, {} kept",
        sweep.removed.len(),
        sweep.kept.len()
    )?;
    Ok(EXIT_OK)
}

/// The rules named by `--fail-on` (`all` for every rule); an unknown id is a usage error.
fn fail_on_rules(names: &[String]) -> anyhow::Result<Vec<explain::Rule>> {
    let mut rules = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if name == "all" {
            rules.extend_from_slice(explain::Rule::ALL);
            continue;
        }
        match explain::Rule::from_id(name) {
            Some(rule) => rules.push(rule),
            None => anyhow::bail!(
                "--fail-on {name}: no such rule; the rule ids are: all, {}",
                explain::Rule::ALL
                    .iter()
                    .map(|r| r.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    Ok(rules)
}

/// A report file's folder must exist before a drill that may take minutes, not after it.
fn check_output_folder(path: &std::path::Path) -> anyhow::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    anyhow::ensure!(
        folder.is_dir(),
        "--output {}: folder {} does not exist; create it or write the report elsewhere",
        path.display(),
        folder.display()
    );
    anyhow::ensure!(
        !path.is_dir(),
        "--output {} is a folder; name a file to write the report to",
        path.display()
    );
    Ok(())
}

/// Default session limits: long enough for any migration on an empty scratch database, short
/// enough that a lock wait or runaway statement ends the drill instead of hanging CI.
const DEFAULT_STATEMENT_TIMEOUT: &str = "10min";
const DEFAULT_LOCK_TIMEOUT: &str = "1min";

fn run_drill(args: &DrillArgs) -> anyhow::Result<i32> {
    if let Some(path) = &args.output {
        check_output_folder(path)?;
    }
    let plan = drill_plan(args)?;
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
    // Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
    let color = args.output.is_none()
        && args.format == ReportFormat::Human
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let text = report::render(&report, args.format, color);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write the report to {}: {e}", path.display()))?,
        None => write_stdout(text.as_bytes())?,
    }
    Ok(if report.passed() {
        EXIT_OK
    } else {
        EXIT_DRILL_FAILED
    })
}

/// The drill as the script (if any) describes it, with command-line flags taking precedence.
fn drill_plan(args: &DrillArgs) -> anyhow::Result<DrillPlan> {
    let script = if args.target.is_file() {
        Some(DrillScript::load(&args.target)?)
    } else {
        None
    };
    let flag_scope = if args.all {
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
    let script_traces = script.as_ref().is_some_and(|s| s.trace);
    let script_probes = script.as_ref().is_some_and(|s| s.probe);
    let flag_seed = args.seed_rows.map(|rows| Seed { rows });
    let (migrations_dir, mut undo_dir, scope, apply_mode, url, timeouts, checks, seed) =
        match script {
            Some(s) => (
                s.migrations,
                s.undo_dir,
                flag_scope.unwrap_or(s.scope),
                args.apply_mode.or(s.apply_mode),
                args.database_url.clone().or(s.database_url),
                Timeouts {
                    statement: args.statement_timeout.clone().or(s.timeouts.statement),
                    lock: args.lock_timeout.clone().or(s.timeouts.lock),
                },
                s.checks,
                flag_seed.or(s.seed),
            ),
            None => (
                args.target.clone(),
                None,
                flag_scope.unwrap_or(Scope::All),
                args.apply_mode,
                args.database_url.clone(),
                Timeouts {
                    statement: args.statement_timeout.clone(),
                    lock: args.lock_timeout.clone(),
                },
                Vec::new(),
                flag_seed,
            ),
        };
    if args.undo_dir.is_some() {
        undo_dir = args.undo_dir.clone();
    }
    let options = ScratchOptions {
        bin_dir: args.pg_bin.clone(),
        ..ScratchOptions::default()
    };
    Ok(DrillPlan {
        script: args.target.is_file().then(|| args.target.clone()),
        migrations_dir,
        undo_dir,
        scope,
        apply_mode: apply_mode.unwrap_or_default(),
        timeouts: Timeouts {
            statement: timeouts
                .statement
                .or_else(|| Some(DEFAULT_STATEMENT_TIMEOUT.into())),
            lock: timeouts.lock.or_else(|| Some(DEFAULT_LOCK_TIMEOUT.into())),
        },
        checks,
        seed,
        source: ScratchSource::resolve(url, options),
        tracking: match args.snapshot {
            SnapshotMode::Incremental => Tracking::Incremental,
            SnapshotMode::Full => Tracking::Full,
        },
        trace: args.trace || script_traces || args.probe || script_probes,
        probe: args.probe || script_probes,
        jobs: args.jobs.map(usize::from),
        allow_server_changes: args.allow_server_changes,
    })
}

fn print_human(
    out: &mut impl Write,
    plan: &Plan,
    target: &std::path::Path,
    dry_run: bool,
) -> std::io::Result<()> {
    for undo in &plan.undos {
        let c = undo.counts;
        writeln!(
            out,
            "undo of {}: {} ({} exact, {} lossy, {} manual)",
            untrusted::terminal(&undo.source),
            undo.verdict,
            c.exact,
            c.lossy,
            c.manual
        )?;
        for s in undo
            .statements
            .iter()
            .filter(|s| s.undo.verdict != Verdict::Exact)
        {
            writeln!(
                out,
                "  line {} {}: {}",
                s.location.line,
                s.undo.verdict,
                untrusted::terminal(&s.undo.reason)
            )?;
        }
        for folder in &undo.folders {
            let path = target.join(&folder.name).join(migrations::MIGRATION_SQL);
            let path = untrusted::terminal(&path.display().to_string()).into_owned();
            if dry_run {
                writeln!(
                    out,
                    "\n== {path} (dry run, not written) ==\n{}",
                    untrusted::multiline(&folder.sql)
                )?;
            } else {
                writeln!(out, "  wrote {path}")?;
            }
        }
    }
    let c = plan.counts();
    writeln!(
        out,
        "\n{} migration(s), {} statement(s): {} exact, {} lossy, {} manual",
        plan.undos.len(),
        c.exact + c.lossy + c.manual,
        c.exact,
        c.lossy,
        c.manual
    )?;
    if !dry_run {
        writeln!(out, "\nNext steps:")?;
        if c.manual > 0 {
            writeln!(
                out,
                "  - write the MANUAL STEP blocks by hand: the migration fails until you do"
            )?;
        }
        writeln!(
            out,
            "  - review the generated SQL and its warnings in the pull request"
        )?;
        writeln!(out, "  - revert the model change in schema.prisma too, or `prisma migrate dev` will see drift and generate a re-do")?;
        writeln!(out, "  - deploy with `prisma migrate deploy`")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read x.sql: {source}")]
    struct Quoting {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn a_cause_already_quoted_by_its_error_is_not_printed_twice() {
        let io = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let text = io.to_string();
        let error = anyhow::Error::new(Quoting { source: io }).context("generate failed");
        assert_eq!(
            describe(&error),
            format!("generate failed: cannot read x.sql: {text}")
        );
        assert_eq!(text.matches("os error 28").count(), 1);
        assert_eq!(describe(&error).matches("os error 28").count(), 1);
    }

    #[test]
    fn causes_not_quoted_are_chained() {
        let error = anyhow::anyhow!("inner").context("outer");
        assert_eq!(describe(&error), "outer: inner");
    }
}
