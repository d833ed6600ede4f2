//! Command-line interface: clap definitions and the thin wiring between stages, one file per
//! command (`generate`, `drill`, `explain`, `check`, `rule`, `clean`; `completions` also holds
//! `man`); this file holds what they share: exit codes, error printing and writing to standard
//! output.

mod check;
mod clean;
mod completions;
mod drill;
mod explain;
mod generate;
mod rule;
mod terminal;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::untrusted;

pub use check::{CheckArgs, CheckFormat};
pub use clean::CleanArgs;
pub use completions::{CompletionsArgs, ManArgs};
pub use drill::{DrillArgs, SnapshotMode};
pub use explain::ExplainArgs;
pub use generate::GenerateArgs;
pub use rule::RuleArgs;

/// Exit codes: 0 success, 1 some undo needs manual work (`generate`), a drill failed
/// (`drill`), a hazard named by `--fail-on` was found (`explain`) or a new migration has a
/// finding (`check`), 2 usage, input or
/// environment error, 3 a drill on a server given by URL refused statements that change the
/// server beyond its database.
pub const EXIT_OK: i32 = 0;
pub const EXIT_MANUAL: i32 = 1;
pub const EXIT_DRILL_FAILED: i32 = 1;
/// `explain --fail-on`: a hazard of a named rule was found.
pub const EXIT_HAZARDS: i32 = 1;
/// `check`: a new migration has no current undo, or its undo failed its drill.
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
/// `drill`: refused before anything ran (see [`DrillArgs::allow_server_changes`]).
pub const EXIT_REFUSED: i32 = 3;
/// The reader of standard output went away (`unmigrate explain | head`): the process ends
/// quietly with the status a shell gives a process killed by SIGPIPE (128 + 13), as `git` and
/// other tools that write to pipes do.
pub const EXIT_STDOUT_CLOSED: i32 = 141;

/// Standard output was a pipe whose reader closed it: not an error worth a message.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
struct StdoutClosed;

#[derive(Debug, Parser)]
#[command(
    name = "unmigrate",
    version,
    about = "Safe rollbacks for PostgreSQL migration histories"
)]
pub struct Cli {
    /// When to colour reports and messages; auto honours NO_COLOR, CLICOLOR_FORCE and TERM.
    ///
    /// auto colours a terminal whose TERM is not dumb, never with NO_COLOR set, and a pipe too
    /// with CLICOLOR_FORCE set; always and never override all three.
    #[arg(long, global = true, value_name = "WHEN", default_value_t = clap::ColorChoice::Auto)]
    pub color: clap::ColorChoice,
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
    /// Judge the migrations a pull request adds: each has a current undo (or is declared
    /// irreversible in unmigrate.toml), and the undos drill.
    Check(CheckArgs),
    /// List the rules (the hazard rules of `explain`, the undo rules of `generate`) with a
    /// summary each, or print one rule's documentation, with its checked examples.
    Rule(RuleArgs),
    /// Remove what drills killed outright (SIGKILL, OOM) left behind, and say what.
    ///
    /// Scratch directories, with any server still running there and its shared memory, and
    /// with a database URL the scratch databases there: only what is provably this user's and
    /// whose run is dead. Every drill does this for itself when it starts; this also says
    /// what it kept, and why.
    Clean(CleanArgs),
    /// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page, in roff: unmigrate(1), or one command's.
    Man(ManArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    terminal::set_choice(cli.color);
    let result = match cli.command {
        Command::Generate(args) => generate::run(&args),
        Command::Drill(args) => drill::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Rule(args) => rule::run(&args),
        Command::Clean(args) => clean::run(&args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
    };
    match result {
        Ok(code) => code,
        // Alone, that is: a command that adds what it did before (generate's written folders)
        // still says so.
        Err(error) if error.is::<StdoutClosed>() && error.chain().count() == 1 => {
            EXIT_STDOUT_CLOSED
        }
        // A usage error found after parsing (explain's --last with other targets): as clap
        // prints its own, with the command's usage.
        Err(error) if error.is::<clap::Error>() => match error.downcast::<clap::Error>() {
            Ok(usage) => {
                let _ = usage.print();
                usage.exit_code()
            }
            Err(_) => EXIT_ERROR,
        },
        Err(error) => {
            // Messages quote folder names and server text: show their control characters.
            eprintln!(
                "{} {}",
                terminal::stderr().paint(crate::report::style::FAILED, "error:"),
                untrusted::multiline(&crate::errors::one_line(error.as_ref()))
            );
            match error.downcast_ref::<crate::drill::DrillError>() {
                Some(crate::drill::DrillError::ServerChanges { .. }) => EXIT_REFUSED,
                _ => EXIT_ERROR,
            }
        }
    }
}

/// Writes a finished report to standard output, saying so when that is what failed (a full
/// disk, a closed pipe), so that the error is not mistaken for one of the command's own.
pub(crate) fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    print_stdout(|out| out.write_all(bytes))
}

/// [`write_stdout`] for a report printed piece by piece: streamed through a buffer, never
/// held whole in memory (a dry run of a large history prints every undo file).
pub(crate) fn print_stdout<T>(
    print: impl FnOnce(&mut dyn Write) -> std::io::Result<T>,
) -> anyhow::Result<T> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    print(&mut out)
        .and_then(|value| out.flush().map(|()| value))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => anyhow::Error::new(StdoutClosed),
            _ => anyhow::anyhow!("cannot write to standard output: {e}"),
        })
}

/// A report file's folder must exist before a drill that may take minutes, not after it
/// (`drill`, and `check`, which drills).
fn check_output_folder(path: &Path) -> anyhow::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
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

/// The project's `unmigrate.toml` (`--config`, else found from the working directory up),
/// with its documentation URL put in force for every rule's help.
fn project_config(explicit: Option<&Path>) -> anyhow::Result<crate::config::Config> {
    let config = crate::config::Config::find(explicit, &std::env::current_dir()?)?;
    if let Some(url) = &config.docs_url {
        crate::rule_pages::set_docs_url(url);
    }
    Ok(config)
}

/// The migrations folder: as given, else the configuration's, else Prisma's default.
fn migrations_dir(given: Option<&Path>, config: &crate::config::Config) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .or_else(|| config.migrations.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_MIGRATIONS))
}

/// Where Prisma keeps a history.
const DEFAULT_MIGRATIONS: &str = "prisma/migrations";

/// Writes a finished report to `output`, or to standard output when none is given.
fn write_report(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write the report to {}: {e}", path.display())),
        None => write_stdout(text.as_bytes()),
    }
}
