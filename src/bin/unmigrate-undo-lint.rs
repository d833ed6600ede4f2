//! How deployable the generated undo is on a live database: `unmigrate explain` over every
//! undo that `unmigrate generate --all` writes, for both corpora by default (issue 13's
//! measurement; `just undo-lint`).
//!
//! Usage: `unmigrate-undo-lint [--json] [--apply-mode batch|split] [MIGRATIONS_DIR...]`
//!
//! Each history is copied into a temporary folder, its undo written there as `generate --all`
//! writes it (the undo folders after the history), and the whole history explained in deploy
//! order, so each undo folder is judged against the schema everything before it built
//! (`unmigrate::undo_lint`). The table has one column per history: the hazards of each rule
//! an undo can always avoid, the `alter-column-type-rewrites-table` hazards beyond one per
//! table per undo file, and their total. Like the scale bench it exits 1 when any of them is
//! not zero, so it can guard against regressions; 2 when a history cannot be read or
//! generated.

/// The allocator the `unmigrate` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/args.rs"]
mod args;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use args::Arg;
use serde::Serialize;
use unmigrate::migrations::ApplyMode;
use unmigrate::undo_lint::{self, UndoLint, ONE_PER_TABLE};

const USAGE: &str =
    "usage: unmigrate-undo-lint [--json] [--apply-mode batch|split] [MIGRATIONS_DIR...]\n\
    \x20 MIGRATIONS_DIR       a Prisma migrations folder (default: langfuse and triggerdev in\n\
    \x20                      $UNMIGRATE_CORPUS, else ../shared/corpus beside the crate root)\n\
    \x20 --json               the counts as JSON instead of a table\n\
    \x20 --apply-mode MODE    how explain assumes each file is sent (default batch, as explain)";

struct Args {
    json: bool,
    mode: ApplyMode,
    dirs: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Row {
    corpus: String,
    #[serde(flatten)]
    lint: UndoLint,
    total: usize,
    seconds: f64,
}

fn main() -> ExitCode {
    let Some(args) = args::parse_or_usage("unmigrate-undo-lint", USAGE, parse_args) else {
        return ExitCode::from(2);
    };
    let mut rows = Vec::with_capacity(args.dirs.len());
    for dir in &args.dirs {
        let started = Instant::now();
        match undo_lint::lint_corpus(dir, args.mode) {
            Ok(lint) => rows.push(Row {
                corpus: corpus_name(dir),
                total: lint.total(),
                lint,
                seconds: started.elapsed().as_secs_f64(),
            }),
            Err(e) => {
                eprintln!(
                    "unmigrate-undo-lint: {}: {}",
                    dir.display(),
                    unmigrate::errors::one_line(&e)
                );
                return ExitCode::from(2);
            }
        }
    }
    if args.json {
        match serde_json::to_string_pretty(&rows) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("unmigrate-undo-lint: cannot write JSON: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print_table(&rows, args.mode);
    }
    if rows.iter().all(|r| r.total == 0) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut json = false;
    let mut mode = ApplyMode::Batch;
    let mut dirs = Vec::new();
    while let Some(arg) = args::next_arg(&mut args, &["--apply-mode"], USAGE) {
        match arg? {
            Arg::Dir(dir) => dirs.push(dir),
            Arg::Option { name, value } => match (name.as_str(), value) {
                ("--json", None) => json = true,
                ("--apply-mode", Some(value)) => mode = parse_mode(&value)?,
                _ => return Err(format!("unknown option {name}")),
            },
        }
    }
    let dirs = unmigrate::corpus::dirs_or_prisma(dirs);
    Ok(Args { json, mode, dirs })
}

fn parse_mode(value: &str) -> Result<ApplyMode, String> {
    match value {
        "batch" => Ok(ApplyMode::Batch),
        "split" => Ok(ApplyMode::Split),
        _ => Err(format!("--apply-mode is batch or split, not {value:?}")),
    }
}

/// The folder's name, or its parent's when it is the usual `migrations`.
fn corpus_name(dir: &Path) -> String {
    let full = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut parts = full.iter().rev().map(|p| p.to_string_lossy());
    match (parts.next(), parts.next()) {
        (Some(last), Some(parent)) if last == "migrations" => parent.into_owned(),
        (Some(last), _) => last.into_owned(),
        (None, _) => dir.display().to_string(),
    }
}

fn print_table(rows: &[Row], mode: ApplyMode) {
    let cells = |f: &dyn Fn(&Row) -> String| rows.iter().map(f).collect::<Vec<_>>().join(" | ");
    println!(
        "Hazards `unmigrate explain --apply-mode {mode}` reports in the undo `generate --all` writes (0 is the target):"
    );
    println!();
    println!("| rule | {} |", cells(&|r| r.corpus.clone()));
    println!("|---|{}", "---:|".repeat(rows.len()));
    println!(
        "| undo files (statements) | {} |",
        cells(&|r| format!("{} ({})", r.lint.undo_files, r.lint.statements))
    );
    for (i, count) in rows
        .first()
        .map_or(&[][..], |r| &r.lint.listed[..])
        .iter()
        .enumerate()
    {
        println!(
            "| `{}` | {} |",
            count.rule,
            cells(&|r| r.lint.listed[i].hazards.to_string())
        );
    }
    println!(
        "| `{ONE_PER_TABLE}` beyond one per table per undo file (of all) | {} |",
        cells(&|r| format!(
            "{} (of {})",
            r.lint.type_rewrites_excess, r.lint.type_rewrites
        ))
    );
    println!("| **total** | {} |", cells(&|r| format!("**{}**", r.total)));
    println!(
        "| undo files whose header lists other hazards than explain finds here | {} |",
        cells(&|r| r.lint.header_differs.len().to_string())
    );
    println!();
    for r in rows {
        println!("{}: measured in {:.1} s", r.corpus, r.seconds);
    }
}
