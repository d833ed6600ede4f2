//! Benchmark: a whole-history drill against just applying the same SQL, measured in one run
//! on the same embedded scratch server, reported as a ratio; and the embedded server's
//! start-up time.
//!
//! Usage: `unmigrate-drill-bench [--rounds N] [--snapshot incremental|full] [MIGRATIONS_DIR]`
//!
//! - bare apply: a fresh database, then for each forward migration the forward file, its
//!   generated undo files and the forward file again, each sent as one simple query on one
//!   connection (manual undos are skipped, as the drill skips them). Nothing else.
//! - drill in one database (`--jobs 1`): `unmigrate::drill::run` over the same history on a
//!   fresh database of the same server: undo generation, Prisma bookkeeping, schema
//!   comparisons after every phase and the final full check included.
//! - drill as run by default: the history cut into ranges drilled in one database each, at
//!   once (one per core; see `drill::shards`), each range after a forward-only prefix.
//! - seeded drill as run by default (`--seed-rows 20`): the same, with synthetic rows in
//!   every table and data-survival checks after every phase.
//!
//! All four run interleaved after one warm-up of each; medians are reported, with the
//! per-round ratios. Targets: drill within 2× bare apply, the seeded drill within 3× the
//! unseeded one, start-up under 1.5 s. It is a report, not a test: it exits 0 whenever it ran.

/// The allocator the `unmigrate` binary uses, so the benchmark measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use unmigrate::drill::{self, DrillPlan};
use unmigrate::migrations;
use unmigrate::scratch::{ScratchOptions, ScratchServer, ScratchSource};
use unmigrate::snapshot::Tracking;
use unmigrate::undo;
use unmigrate::undo::Verdict;

const TARGET_RATIO: f64 = 2.0;
/// A seeded drill against the unseeded one, both as run by default (issue 14).
const TARGET_SEEDED_RATIO: f64 = 3.0;
const SEED_ROWS: u64 = 20;
const TARGET_STARTUP: Duration = Duration::from_millis(1500);
const DEFAULT_ROUNDS: usize = 3;
const STARTUPS: usize = 3;
/// Under `unmigrate::corpus::root()` (`$UNMIGRATE_CORPUS`, default `../shared/corpus`).
const DEFAULT_HISTORY: &str = "langfuse";
const USAGE: &str =
    "usage: unmigrate-drill-bench [--rounds N] [--snapshot incremental|full] [MIGRATIONS_DIR]\n\
    \x20 MIGRATIONS_DIR  a Prisma migrations folder (default: langfuse in\n\
    \x20                $UNMIGRATE_CORPUS, else ../shared/corpus beside the crate root)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("unmigrate-drill-bench: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut rounds = DEFAULT_ROUNDS;
    let mut tracking = Tracking::Incremental;
    let mut dir = unmigrate::corpus::root().join(DEFAULT_HISTORY);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--rounds needs a positive number")?
            }
            "--snapshot" => {
                tracking = match args.next().as_deref() {
                    Some("incremental") => Tracking::Incremental,
                    Some("full") => Tracking::Full,
                    _ => return Err("--snapshot is incremental or full".into()),
                }
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            other => dir = PathBuf::from(other),
        }
    }

    let history = migrations::read_history(&dir).map_err(|e| e.to_string())?;
    let forward = history.forward();
    let undos = undo::derive_undos(&history, &forward).map_err(|e| e.to_string())?;
    let steps: Vec<(&str, Option<Vec<String>>)> = forward
        .iter()
        .zip(undos)
        .map(|(m, (undo, parts))| {
            (
                m.sql.as_str(),
                (undo.verdict != Verdict::Manual).then_some(parts),
            )
        })
        .collect();

    let mut startups = Vec::new();
    let mut server = None;
    for _ in 0..STARTUPS {
        drop(server.take()); // stop the previous one first: one server at a time
        let s =
            ScratchServer::start_embedded(ScratchOptions::default()).map_err(|e| e.to_string())?;
        startups.push(s.startup_time());
        server = Some(s);
    }
    let server = server.expect("at least one start-up");

    let single = DrillPlan {
        tracking,
        jobs: Some(1),
        ..DrillPlan::whole_history(
            dir.clone(),
            ScratchSource::Url(unmigrate::scratch::ServerUrl::internal(server.url())),
        )
    };
    let parallel = DrillPlan {
        jobs: None,
        ..single.clone()
    };
    let seeded = DrillPlan {
        seed: Some(unmigrate::drill::script::Seed { rows: SEED_ROWS }),
        ..parallel.clone()
    };
    let jobs = drill::default_jobs();
    let (mut bare_times, mut drill_times, mut parallel_times) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut seeded_times = Vec::new();
    let (mut apply_times, mut compare_times) = (Vec::new(), Vec::new());
    let mut last_report = None;
    for round in 0..=rounds {
        let bare = bare_apply(&server, &steps)?;
        let started = Instant::now();
        let report = drill::run(&single, &mut |_| {}).map_err(|e| e.to_string())?;
        let drill = started.elapsed();
        let started = Instant::now();
        let parallel_report = drill::run(&parallel, &mut |_| {}).map_err(|e| e.to_string())?;
        let in_parallel = started.elapsed();
        let started = Instant::now();
        drill::run(&seeded, &mut |_| {}).map_err(|e| e.to_string())?;
        let with_rows = started.elapsed();
        if parallel_report.counts() != report.counts() {
            return Err(format!(
                "the drill in {jobs} databases found {:?}, in one database {:?}",
                parallel_report.counts(),
                report.counts()
            ));
        }
        if round > 0 {
            let phases = report.migrations.iter().flat_map(|m| &m.phases);
            let apply: Duration = phases.clone().map(|p| p.apply).sum();
            let compare: Duration = phases.map(|p| p.compare).sum();
            println!(
                "round {round}: bare {:.0} ms; drill in one database {:.0} ms (applying {:.0}, comparing {:.0}), {:.2}×; in {jobs} at once {:.0} ms, {:.2}×; seeded {:.0} ms, {:.2}× the unseeded",
                ms(bare),
                ms(drill),
                ms(apply),
                ms(compare),
                drill.as_secs_f64() / bare.as_secs_f64(),
                ms(in_parallel),
                in_parallel.as_secs_f64() / bare.as_secs_f64(),
                ms(with_rows),
                with_rows.as_secs_f64() / in_parallel.as_secs_f64(),
            );
            seeded_times.push(with_rows);
            bare_times.push(bare);
            drill_times.push(drill);
            parallel_times.push(in_parallel);
            apply_times.push(apply);
            compare_times.push(compare);
        }
        last_report = Some(report);
    }
    let report = last_report.expect("at least one round");
    let (bare, drill) = (median(bare_times), median(drill_times));
    let in_parallel = median(parallel_times);
    let ratio = drill.as_secs_f64() / bare.as_secs_f64();
    let parallel_ratio = in_parallel.as_secs_f64() / bare.as_secs_f64();
    let with_rows = median(seeded_times);
    let seeded_ratio = with_rows.as_secs_f64() / in_parallel.as_secs_f64();
    let startup = median(startups.clone());
    let (apply, compare) = (median(apply_times), median(compare_times));
    let c = report.counts();

    println!(
        "Drill of {} ({} forward migrations; {} passed, {} column order only, {} manual, {} failed), {rounds} round(s), medians:",
        dir.display(),
        forward.len(),
        c.passed,
        c.column_order_only,
        c.manual,
        c.failed
    );
    println!(
        "  bare apply (forward, undo, forward)  {:>9.1} ms",
        ms(bare)
    );
    println!(
        "  drill in one database (--jobs 1)     {:>9.1} ms",
        ms(drill)
    );
    println!(
        "    of which applying {:.1} ms, comparing schemas {:.1} ms ({:?} snapshots)",
        ms(apply),
        ms(compare),
        report.tracking
    );
    println!(
        "  drill as run by default ({jobs} at once) {:>9.1} ms",
        ms(in_parallel)
    );
    println!(
        "  ratio drill / bare apply, one database {ratio:>7.2}×  (target ≤ {TARGET_RATIO}×: {})",
        verdict(ratio <= TARGET_RATIO)
    );
    println!(
        "  ratio drill / bare apply, default      {parallel_ratio:>7.2}×  (target ≤ {TARGET_RATIO}×: {})",
        verdict(parallel_ratio <= TARGET_RATIO)
    );
    println!(
        "  seeded drill, default (--seed-rows {SEED_ROWS}) {:>9.1} ms",
        ms(with_rows)
    );
    println!(
        "  ratio seeded / unseeded drill, default {seeded_ratio:>7.2}×  (target ≤ {TARGET_SEEDED_RATIO}×: {})",
        verdict(seeded_ratio <= TARGET_SEEDED_RATIO)
    );
    println!(
        "Embedded scratch start-up: median {:.0} ms of {} ({}), target < {} ms: {}",
        ms(startup),
        STARTUPS,
        startups
            .iter()
            .map(|d| format!("{:.0}", ms(*d)))
            .collect::<Vec<_>>()
            .join(", "),
        TARGET_STARTUP.as_millis(),
        verdict(startup < TARGET_STARTUP)
    );
    Ok(())
}

/// A fresh database on the server, every step's SQL on one connection, and the database
/// dropped again: the same lifecycle the drill's own timing covers (it creates and drops its
/// database too), so the ratio compares like with like.
fn bare_apply(
    server: &ScratchServer,
    steps: &[(&str, Option<Vec<String>>)],
) -> Result<Duration, String> {
    let started = Instant::now();
    let db = server.create_database().map_err(|e| e.to_string())?;
    let mut client = db.connect().map_err(|e| e.to_string())?;
    for (forward, undo) in steps {
        client.batch_execute(forward).map_err(|e| e.to_string())?;
        if let Some(parts) = undo {
            for part in parts {
                client.batch_execute(part).map_err(|e| e.to_string())?;
            }
            client.batch_execute(forward).map_err(|e| e.to_string())?;
        }
    }
    drop(client);
    db.destroy().map_err(|e| e.to_string())?;
    Ok(started.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}
