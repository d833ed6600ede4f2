//! Command-line interface: clap definitions and the thin wiring between stages.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::generate::{self, Plan, Selection};
use crate::migrations::{self, Timestamp};
use crate::undo::Verdict;

/// Exit codes: 0 success, 1 some undo needs manual work, 2 usage, input or environment error.
pub const EXIT_OK: i32 = 0;
pub const EXIT_MANUAL: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

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
    /// Replace an existing undo folder written by unmigrate.
    #[arg(long)]
    pub force: bool,
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
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            EXIT_ERROR
        }
    }
}

fn run_generate(args: &GenerateArgs) -> anyhow::Result<i32> {
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
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| args.migrations_dir.clone());
    let written = if args.dry_run {
        Vec::new()
    } else {
        generate::write(&plan, &target, args.force)?
    };
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let report = serde_json::json!({
                "verdict": plan.verdict(),
                "counts": plan.counts(),
                "dry_run": args.dry_run,
                "written": written,
                "undos": plan.undos,
            });
            writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        Format::Human => print_human(&mut stdout, &plan, &target, args.dry_run)?,
    }
    Ok(if plan.verdict() == Verdict::Manual {
        EXIT_MANUAL
    } else {
        EXIT_OK
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
            undo.source, undo.verdict, c.exact, c.lossy, c.manual
        )?;
        for s in undo
            .statements
            .iter()
            .filter(|s| s.undo.verdict != Verdict::Exact)
        {
            writeln!(
                out,
                "  line {} {}: {}",
                s.location.line, s.undo.verdict, s.undo.reason
            )?;
        }
        for folder in &undo.folders {
            let path = target.join(&folder.name).join(migrations::MIGRATION_SQL);
            if dry_run {
                writeln!(
                    out,
                    "\n== {} (dry run, not written) ==\n{}",
                    path.display(),
                    folder.sql
                )?;
            } else {
                writeln!(out, "  wrote {}", path.display())?;
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
