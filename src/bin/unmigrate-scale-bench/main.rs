//! Benchmark: how time and peak memory grow with the size of the input, for `generate`,
//! `explain` and `drill`, run as the release `unmigrate` binary on synthetic inputs.
//!
//! Usage: `unmigrate-scale-bench [--rounds N] [--timeout SECS] [--only COMMAND]... [--unmigrate PATH] [--inputs DIR]`
//!
//! Inputs (written into a temporary directory, see `inputs.rs`):
//! - histories of 1,000, 4,000 and 16,000 migrations cycling through tables, columns,
//!   indexes, enums, renames, foreign keys and type changes;
//! - one-migration histories of a 1, 2 and 4 MB file of `INSERT`s, and of `ADD COLUMN`s on
//!   one table.
//!
//! The drill runs on a real (embedded) PostgreSQL, in one database (`--jobs 1`), so it gets
//! smaller inputs that fit in a few minutes: histories of 100, 200 and 400 migrations and
//! `INSERT` files of 256 KB, 512 KB and 1 MB (no `ADD COLUMN` file: PostgreSQL allows at most
//! 1,600 columns in a table). Its peak memory includes the PostgreSQL server's processes.
//!
//! Each input is run `--rounds` times (fewer when one run takes over 10 s) and the median
//! wall time, CPU time and peak memory are reported, per size and as ratios between an input
//! and the one four times its size. Targets: four times the input costs at most 4.5 times the
//! CPU time, and each extra MB of SQL at most 20 MB of memory (generate and explain). The
//! time target is judged on CPU time (user and system, the child's and its descendants'):
//! wall time is printed too, but on a shared machine it measures the neighbours as well. Unlike the other
//! benchmarks it exits 1 when a target is missed, so it can guard against regressions.

#[path = "../common/args.rs"]
mod args;

use args::Arg;
mod inputs;
mod measure;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use inputs::Shape;
use measure::Sample;

/// Four times the input may cost at most this many times the time.
const TARGET_TIME_RATIO: f64 = 4.5;
/// Each extra MB of SQL may cost at most this many MB of peak memory.
const TARGET_MB_PER_MB: f64 = 20.0;
const DEFAULT_ROUNDS: usize = 3;
const DEFAULT_TIMEOUT: u64 = 300;
/// Runs longer than this are measured once: their noise is small next to their length.
const LONG_RUN: Duration = Duration::from_secs(10);
const MB: usize = 1 << 20;
const KB: usize = 1 << 10;

const USAGE: &str = "usage: unmigrate-scale-bench [--rounds N] [--timeout SECS] [--only generate|explain|drill]... [--unmigrate PATH]\n\
    \x20 --rounds N        runs per input, median reported (default 3)\n\
    \x20 --timeout SECS    kill a run after this long and count it as a miss (default 300)\n\
    \x20 --only COMMAND    measure only this command (repeatable)\n\
    \x20 --unmigrate PATH  the binary to measure (default: `unmigrate` beside this one;\n\
    \x20                   build it first with `cargo build --release`)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Generate,
    Explain,
    Drill,
}

impl Tool {
    const ALL: [Tool; 3] = [Tool::Generate, Tool::Explain, Tool::Drill];

    fn name(self) -> &'static str {
        match self {
            Tool::Generate => "generate",
            Tool::Explain => "explain",
            Tool::Drill => "drill",
        }
    }

    /// The inputs, smallest first within each family, each family's sizes a factor 2 apart.
    fn shapes(self) -> Vec<Shape> {
        match self {
            Tool::Generate | Tool::Explain => vec![
                Shape::History(1000),
                Shape::History(4000),
                Shape::History(16000),
                Shape::Inserts(MB),
                Shape::Inserts(2 * MB),
                Shape::Inserts(4 * MB),
                Shape::AddColumns(MB),
                Shape::AddColumns(2 * MB),
                Shape::AddColumns(4 * MB),
            ],
            Tool::Drill => vec![
                Shape::History(100),
                Shape::History(200),
                Shape::History(400),
                Shape::Inserts(256 * KB),
                Shape::Inserts(512 * KB),
                Shape::Inserts(MB),
            ],
        }
    }

    /// The command line for one run on the migrations folder `dir`.
    fn command(self, binary: &Path, dir: &Path) -> Command {
        let mut command = Command::new(binary);
        match self {
            // A dry run renders every undo file and prints it; writing them would add two
            // fsyncs per folder, which measure the disk rather than unmigrate.
            Tool::Generate => command
                .args([
                    "generate",
                    "--all",
                    "--dry-run",
                    "--timestamp",
                    "20990101000000",
                ])
                .arg(dir),
            Tool::Explain => command.arg("explain").arg(dir),
            Tool::Drill => command.args(["drill", "--all", "--jobs", "1"]).arg(dir),
        };
        command
    }

    /// Exit codes of a run that did its work: generate says 1 when some undo is manual.
    fn ok_codes(self) -> &'static [i32] {
        match self {
            Tool::Generate => &[0, 1],
            Tool::Explain | Tool::Drill => &[0],
        }
    }

    /// Whether the memory target applies (a drill's peak is mostly PostgreSQL's).
    fn memory_target(self) -> bool {
        self != Tool::Drill
    }
}

struct Args {
    rounds: usize,
    timeout: Duration,
    tools: Vec<Tool>,
    binary: PathBuf,
    inputs: Option<PathBuf>,
}

/// One measured input.
struct Row {
    tool: Tool,
    shape: Shape,
    sql_bytes: usize,
    result: Result<Sample, String>,
}

fn main() -> ExitCode {
    let mut raw = std::env::args_os().skip(1);
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == measure::TRAMPOLINE)
    {
        raw.next();
        return measure::trampoline(raw);
    }
    let Some(args) = args::parse_or_usage("unmigrate-scale-bench", USAGE, parse_args) else {
        return ExitCode::from(2);
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("unmigrate-scale-bench: {message}");
            ExitCode::from(2)
        }
    }
}

/// Measures every input and prints the tables; true when every target was met.
fn run(args: &Args) -> Result<bool, String> {
    if !args.binary.is_file() {
        return Err(format!(
            "{} not found; run `cargo build --release` first or pass --unmigrate PATH",
            args.binary.display()
        ));
    }
    let temporary = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let scratch = args.inputs.as_deref().unwrap_or(temporary.path());
    println!(
        "unmigrate-scale-bench: {} ; median of {} round(s) per input (1 when a run takes over {} s)",
        args.binary.display(),
        args.rounds,
        LONG_RUN.as_secs()
    );
    let mut rows = Vec::new();
    let mut written: Vec<(Shape, usize)> = Vec::new();
    for &tool in &args.tools {
        for shape in tool.shapes() {
            let dir = scratch.join(input_dir_name(shape));
            let sql_bytes = match written.iter().find(|(s, _)| *s == shape) {
                Some(&(_, bytes)) => bytes,
                None => {
                    let bytes = inputs::write(shape, &dir)
                        .map_err(|e| format!("writing {}: {e}", dir.display()))?;
                    written.push((shape, bytes));
                    bytes
                }
            };
            let result = measure_input(args, tool, &dir, temporary.path());
            let row = Row {
                tool,
                shape,
                sql_bytes,
                result,
            };
            print_row(&row);
            rows.push(row);
        }
    }
    Ok(print_growth(&rows))
}

fn input_dir_name(shape: Shape) -> String {
    format!("{}-{}", shape.family().replace(' ', "-"), shape.size())
}

/// Runs one input `rounds` times (once when a run is long); the median of each figure.
fn measure_input(args: &Args, tool: Tool, dir: &Path, scratch: &Path) -> Result<Sample, String> {
    let mut samples = Vec::new();
    for _ in 0..args.rounds {
        let stderr = scratch.join("stderr.txt");
        let command = tool.command(&args.binary, dir);
        let sample = measure::run(command, tool.ok_codes(), &stderr, args.timeout)?;
        samples.push(sample);
        if sample.time > LONG_RUN {
            break;
        }
    }
    Ok(Sample {
        time: median(samples.iter().map(|s| s.time).collect()),
        cpu: median(samples.iter().map(|s| s.cpu).collect()),
        peak: median(samples.iter().map(|s| s.peak).collect()),
    })
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

fn mb(bytes: f64) -> f64 {
    bytes / MB as f64
}

fn print_row(row: &Row) {
    let sql = mb(row.sql_bytes as f64);
    match &row.result {
        Ok(s) => println!(
            "{:<9} {:<28} {:>7.2} MB SQL  {:>8.2} s wall {:>8.2} s CPU  {:>8.1} MB peak  {:>7.1} MB/MB",
            row.tool.name(),
            row.shape.label(),
            sql,
            s.time.as_secs_f64(),
            s.cpu.as_secs_f64(),
            mb(s.peak as f64),
            mb(s.peak as f64) / sql
        ),
        Err(message) => println!(
            "{:<9} {:<28} {:>7.2} MB SQL  FAILED: {message}",
            row.tool.name(),
            row.shape.label(),
            sql
        ),
    }
}

/// Prints, per command and input family, the growth from each size to the one four times
/// as large; returns whether every target was met.
fn print_growth(rows: &[Row]) -> bool {
    println!();
    println!("growth for 4x the input (targets: CPU time <= {TARGET_TIME_RATIO}x; each extra MB of SQL <= {TARGET_MB_PER_MB} MB of memory, generate and explain):");
    let mut all_met = true;
    for small in rows {
        let Some(large) = rows.iter().find(|r| {
            r.tool == small.tool
                && r.shape.family() == small.shape.family()
                && r.shape.size() == 4 * small.shape.size()
        }) else {
            continue;
        };
        let label = format!(
            "{:<9} {} -> {}",
            small.tool.name(),
            small.shape.label(),
            large.shape.label()
        );
        let (Ok(a), Ok(b)) = (&small.result, &large.result) else {
            println!("  {label:<62} FAILED (a run did not finish)");
            all_met = false;
            continue;
        };
        let ratio = |b: Duration, a: Duration| b.as_secs_f64() / a.as_secs_f64().max(1e-3);
        let (wall_ratio, time_ratio) = (ratio(b.time, a.time), ratio(b.cpu, a.cpu));
        let extra_sql = mb((large.sql_bytes - small.sql_bytes) as f64);
        let per_mb = mb(b.peak as f64 - a.peak as f64) / extra_sql;
        let time_met = time_ratio <= TARGET_TIME_RATIO;
        let memory_met = !small.tool.memory_target() || per_mb <= TARGET_MB_PER_MB;
        all_met &= time_met && memory_met;
        println!(
            "  {label:<62} CPU {time_ratio:>5.2}x {} (wall {wall_ratio:.2}x)  memory {:>5.2}x, {per_mb:>6.1} MB per extra MB {}",
            verdict(time_met),
            b.peak as f64 / a.peak as f64,
            if small.tool.memory_target() {
                verdict(memory_met)
            } else {
                "(no target: PostgreSQL's own memory)"
            }
        );
    }
    println!(
        "{}",
        if all_met {
            "every target met"
        } else {
            "some target NOT met"
        }
    );
    all_met
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut rounds = DEFAULT_ROUNDS;
    let mut timeout = Duration::from_secs(DEFAULT_TIMEOUT);
    let mut tools = Vec::new();
    let mut binary = None;
    let mut inputs = None;
    let with_value = ["--rounds", "--timeout", "--only", "--unmigrate", "--inputs"];
    while let Some(arg) = args::next_arg(&mut args, &with_value, USAGE) {
        let (name, value) = match arg? {
            Arg::Option {
                name,
                value: Some(value),
            } => (name, value),
            Arg::Option { name, value: None } => return Err(format!("unknown argument {name}")),
            Arg::Dir(other) => return Err(format!("unknown argument {}", other.display())),
        };
        match name.as_str() {
            "--rounds" => rounds = positive(&value, "--rounds")?,
            "--timeout" => timeout = Duration::from_secs(positive(&value, "--timeout")? as u64),
            "--only" => {
                let tool = Tool::ALL
                    .into_iter()
                    .find(|t| t.name() == value)
                    .ok_or(format!(
                        "--only takes generate, explain or drill, not {value:?}"
                    ))?;
                tools.push(tool);
            }
            "--unmigrate" => binary = Some(PathBuf::from(value)),
            "--inputs" => inputs = Some(PathBuf::from(value)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if tools.is_empty() {
        tools = Tool::ALL.to_vec();
    }
    let binary = match binary {
        Some(path) => path,
        None => beside_this_binary()?,
    };
    Ok(Args {
        rounds,
        timeout,
        tools,
        binary,
        inputs,
    })
}

fn positive(value: &str, name: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{name} needs a positive whole number, got {value:?}"
        )),
    }
}

/// `unmigrate` in the folder of this binary (both are built into `target/release`).
fn beside_this_binary() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let dir = me.parent().ok_or("this binary has no folder")?;
    Ok(dir.join("unmigrate"))
}
