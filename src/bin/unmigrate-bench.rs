//! Benchmark: undo generation for whole corpora against parsing the same files with
//! `pg_query` alone, measured in one run and reported as a ratio.
//!
//! Usage: `unmigrate-bench [--rounds N] [CORPUS_DIR...]`
//!
//! For each corpus the history is read once; both timings then measure in-memory work on the
//! same strings (file I/O is excluded from both):
//! - parse-only: `pg_query::parse` on every migration file's text, nothing else;
//! - generate: `unmigrate::generate::plan` for every forward migration (parse, fold the
//!   model, derive the undo, render the files; nothing is written).
//!
//! The two run interleaved (parse, generate, parse, generate, …) after one warm-up of each,
//! and the median of the rounds is reported. The target is generate within 1.5× parse-only.
//! It is a report, not a test: it exits 0 whenever it ran, whatever the ratio.

/// The allocator the `unmigrate` binary uses, so the benchmark measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/args.rs"]
mod args;

use args::Arg;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use unmigrate::generate::{self, Selection, VerdictCounts};
use unmigrate::migrations::{self, History, Timestamp};

/// Generation may take at most this many times as long as parse-only.
const TARGET_RATIO: f64 = 1.5;
const DEFAULT_ROUNDS: usize = 5;
/// Fixed timestamps so every round does the same work (and nothing depends on the clock).
const REQUESTED: &str = "20990101000000";
const NOW: &str = "20990101000000";

const USAGE: &str = "usage: unmigrate-bench [--rounds N] [CORPUS_DIR...]\n\
    \x20 CORPUS_DIR  a Prisma migrations folder (default: langfuse and triggerdev in\n\
    \x20             $UNMIGRATE_CORPUS, else ../shared/corpus beside the crate root)\n\
    \x20 --rounds N  measured rounds per corpus, median reported (default 5)";

struct Args {
    rounds: usize,
    dirs: Vec<PathBuf>,
}

struct Row {
    name: String,
    files: usize,
    statements: usize,
    parse: Duration,
    generate: Duration,
    counts: VerdictCounts,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.generate.as_secs_f64() / self.parse.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

fn main() -> ExitCode {
    let Some(args) = args::parse_or_usage("unmigrate-bench", USAGE, parse_args) else {
        return ExitCode::from(2);
    };
    let missing: Vec<&PathBuf> = args.dirs.iter().filter(|d| !d.is_dir()).collect();
    if !missing.is_empty() {
        for dir in missing {
            eprintln!(
                "unmigrate-bench: corpus directory not found: {}",
                dir.display()
            );
        }
        eprintln!("pass existing Prisma migrations folders as arguments\n{USAGE}");
        return ExitCode::from(2);
    }
    let requested = Timestamp::parse(REQUESTED).expect("REQUESTED is a valid timestamp");
    let now = Timestamp::parse(NOW).expect("NOW is a valid timestamp");

    let mut rows = Vec::with_capacity(args.dirs.len());
    for dir in &args.dirs {
        match bench_corpus(dir, args.rounds, requested, now) {
            Ok(row) => rows.push(row),
            Err(message) => {
                eprintln!("unmigrate-bench: {}: {message}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    print_table(&rows, args.rounds);
    ExitCode::SUCCESS
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut rounds = DEFAULT_ROUNDS;
    let mut dirs = Vec::new();
    while let Some(arg) = args::next_arg(&mut args, &["--rounds"], USAGE) {
        match arg? {
            Arg::Dir(dir) => dirs.push(dir),
            Arg::Option { name, value } => match (name.as_str(), value) {
                ("--rounds", Some(value)) => rounds = parse_rounds(&value)?,
                _ => return Err(format!("unknown option {name}")),
            },
        }
    }
    let dirs = unmigrate::corpus::dirs_or_prisma(dirs);
    Ok(Args { rounds, dirs })
}

fn parse_rounds(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "--rounds needs a positive whole number, got {value:?}"
        )),
    }
}

fn bench_corpus(
    dir: &Path,
    rounds: usize,
    requested: Timestamp,
    now: Timestamp,
) -> Result<Row, String> {
    let history = migrations::read_history(dir).map_err(|e| e.to_string())?;
    let texts: Vec<&str> = history.migrations.iter().map(|m| m.sql.as_str()).collect();

    // Warm-up (not timed): also checks both sides work and gathers the counts.
    let statements = parse_only(&texts)?;
    let counts = generate_all(&history, requested, now)?.counts();

    let mut parse_times = Vec::with_capacity(rounds);
    let mut generate_times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        black_box(parse_only(black_box(&texts))?);
        parse_times.push(start.elapsed());

        let start = Instant::now();
        black_box(generate_all(black_box(&history), requested, now)?);
        generate_times.push(start.elapsed());
    }

    let name = corpus_name(dir);
    Ok(Row {
        name,
        files: texts.len(),
        statements,
        parse: median(parse_times),
        generate: median(generate_times),
        counts,
    })
}

/// A short label: the folder name, with its parent when it is the usual `migrations`.
fn corpus_name(dir: &Path) -> String {
    let full = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut parts = full.iter().rev().map(|p| p.to_string_lossy());
    match (parts.next(), parts.next()) {
        (Some(last), Some(parent)) if last == "migrations" => format!("{parent}/{last}"),
        (Some(last), _) => last.into_owned(),
        (None, _) => dir.display().to_string(),
    }
}

/// The baseline: the real PostgreSQL parser on every file, nothing else. Returns the number
/// of statements parsed.
fn parse_only(texts: &[&str]) -> Result<usize, String> {
    let mut statements = 0;
    for text in texts {
        let parsed = pg_query::parse(text, 0).map_err(|e| e.to_string())?;
        statements += parsed.protobuf.stmts.len();
        black_box(parsed);
    }
    Ok(statements)
}

/// The measured work: the undo of every forward migration, rendered but not written.
fn generate_all(
    history: &History,
    requested: Timestamp,
    now: Timestamp,
) -> Result<generate::Plan, String> {
    let timeout = unmigrate::undo::LockTimeout::default_timeout();
    generate::plan(
        history,
        &Selection::All,
        Some(requested),
        now,
        false,
        Some(&timeout),
    )
    .map_err(|e| e.to_string())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    let mid = times.len() / 2;
    if times.len().is_multiple_of(2) {
        (times[mid - 1] + times[mid]) / 2
    } else {
        times[mid]
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_table(rows: &[Row], rounds: usize) {
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .fold(6, usize::max);
    println!(
        "unmigrate-bench: median of {rounds} interleaved round(s); file I/O excluded; target generate ≤ {TARGET_RATIO}× parse-only"
    );
    println!(
        "{:<width$} {:>5} {:>6} {:>10} {:>10} {:>6}  {:>6} {:>6} {:>6}  result",
        "corpus", "files", "stmts", "parse ms", "gen ms", "ratio", "exact", "lossy", "manual"
    );
    for row in rows {
        let ratio = row.ratio();
        let verdict = if ratio <= TARGET_RATIO {
            "PASS"
        } else {
            "FAIL"
        };
        println!(
            "{:<width$} {:>5} {:>6} {:>10.2} {:>10.2} {:>5.2}×  {:>6} {:>6} {:>6}  {verdict}",
            row.name,
            row.files,
            row.statements,
            ms(row.parse),
            ms(row.generate),
            ratio,
            row.counts.exact,
            row.counts.lossy,
            row.counts.manual,
        );
    }
}
