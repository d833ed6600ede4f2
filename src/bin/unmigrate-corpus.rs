//! Drills whole migration histories (by default all eight corpora in `../shared/corpus/`: the
//! two Prisma histories and the six of other tools) on the embedded scratch server and prints
//! the tables the verdicts are judged by:
//!
//! 1. per corpus, the migrations, the verdicts the generated undos claim, and what the drill
//!    of the generated undos (`--undo generated`) found;
//! 2. for corpora with hand-written downs, what each down did when drilled as the team would
//!    run it (`--undo committed`), and what `--rollback-all` found.
//!
//! Usage: `unmigrate-corpus [MIGRATIONS_DIR...]`
//!
//! A false claim is a migration whose generated undo claims `exact` or `lossy` and whose drill
//! failed. Exits 1 when there is one (or a drill stopped early or its final full check
//! failed), so CI can run it; 0 otherwise. The confirmed share is reported against the 97%
//! target but does not change the exit code, and neither do the hand-written downs' verdicts
//! (they are findings about the teams' downs).

/// The allocator the `unmigrate` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use unmigrate::drill::outcome::{DownVerdict, DrillReport};
use unmigrate::drill::rollback::RollbackReport;
use unmigrate::drill::{self, DrillPlan, UndoChoice};
use unmigrate::scratch::{ScratchOptions, ScratchSource};
use unmigrate::undo::Verdict;

/// Share of migrations whose undo the drill must confirm (exact or lossy, passed).
const TARGET_CONFIRMED: f64 = 0.97;

fn main() -> ExitCode {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs
        .iter()
        .any(|d| d.as_os_str().to_string_lossy().starts_with('-'))
    {
        eprintln!("usage: unmigrate-corpus [MIGRATIONS_DIR...]");
        return ExitCode::from(2);
    }
    let dirs = unmigrate::corpus::dirs_or_all(dirs);

    let mut rows = Vec::new();
    let mut downs = Vec::new();
    for dir in &dirs {
        let plan = DrillPlan {
            undo: UndoChoice::Generated,
            ..DrillPlan::whole_history(
                dir.clone(),
                ScratchSource::Embedded(ScratchOptions::default()),
            )
        };
        let started = Instant::now();
        match drill::run(&plan, &mut |_| {}) {
            Ok(report) => rows.push(Row::of(dir, &report, started.elapsed().as_secs_f64())),
            Err(e) => {
                eprintln!("unmigrate-corpus: {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
        let committed = DrillPlan {
            undo: UndoChoice::Committed,
            ..plan
        };
        let hand_written = drill::run(&committed, &mut |_| {})
            .and_then(|report| Ok((report, drill::rollback_all(&committed)?)));
        match hand_written {
            Ok((report, rollback)) => {
                if let Some(row) = DownsRow::of(dir, &report, &rollback) {
                    downs.push(row);
                }
            }
            Err(e) => {
                eprintln!("unmigrate-corpus: {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }

    print_table(&rows);
    println!();
    print_downs(&downs);
    for row in &rows {
        for name in &row.false_claims {
            println!("FALSE CLAIM in {}: {name}", row.name);
        }
        if let Some(reason) = &row.problem {
            println!("{}: {reason}", row.name);
        }
    }
    if rows
        .iter()
        .all(|r| r.false_claims.is_empty() && r.problem.is_none())
    {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

struct Row {
    name: String,
    migrations: usize,
    exact: usize,
    lossy: usize,
    manual: usize,
    passed: usize,
    order_only: usize,
    /// [`DrillReport::confirmed`].
    confirmed: usize,
    failed: usize,
    not_run: usize,
    false_claims: Vec<String>,
    /// A stopped drill or a failed final check.
    problem: Option<String>,
    seconds: f64,
}

impl Row {
    fn of(dir: &std::path::Path, report: &DrillReport, seconds: f64) -> Row {
        let count = |v: Verdict| report.migrations.iter().filter(|m| m.claimed == v).count();
        let results = report.counts();
        let false_claims = report
            .false_claims()
            .into_iter()
            .map(str::to_string)
            .collect();
        let problem = match (&report.stopped, &report.final_check) {
            (Some(reason), _) => Some(format!("drill stopped: {reason}")),
            (None, Some(check)) if !check.passed => {
                Some("final full snapshot differs from the tracked one".to_string())
            }
            _ => None,
        };
        Row {
            name: unmigrate::corpus::name_of(dir),
            migrations: report.migrations.len(),
            exact: count(Verdict::Exact),
            lossy: count(Verdict::Lossy),
            manual: count(Verdict::Manual),
            passed: results.passed,
            order_only: results.column_order_only,
            confirmed: report.confirmed(),
            failed: results.failed,
            not_run: results.not_run,
            false_claims,
            problem,
            seconds,
        }
    }

    /// Migrations whose exact or lossy undo the drill confirmed.
    fn confirmed(&self) -> f64 {
        self.confirmed as f64 / self.migrations.max(1) as f64
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "| corpus | migrations | exact | lossy | manual | passed | column order only | failed | not run | false claims | confirmed | drill s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1}% {} | {:.1} |",
            r.name,
            r.migrations,
            r.exact,
            r.lossy,
            r.manual,
            r.passed,
            r.order_only,
            r.failed,
            r.not_run,
            r.false_claims.len(),
            r.confirmed() * 100.0,
            if r.confirmed() >= TARGET_CONFIRMED {
                "(≥ 97%)"
            } else {
                "(< 97% target)"
            },
            r.seconds
        );
    }
    println!(
        "Verdicts are per migration (its least exact statement). A false claim is an exact or \
         lossy undo whose drill failed; column-order-only passes count only when the verdict \
         announced them."
    );
}

/// A corpus's hand-written downs, drilled as the team would run them, and its full rollback.
struct DownsRow {
    name: String,
    downs: usize,
    verdicts: Vec<(DownVerdict, usize)>,
    rollback: String,
}

impl DownsRow {
    /// `None` for a history with no hand-written down.
    fn of(dir: &std::path::Path, report: &DrillReport, rollback: &RollbackReport) -> Option<Self> {
        let verdicts: Vec<DownVerdict> = report
            .migrations
            .iter()
            .filter_map(|m| m.down_verdict)
            .collect();
        if verdicts.is_empty() {
            return None;
        }
        let mut counted: Vec<(DownVerdict, usize)> = Vec::new();
        for v in &verdicts {
            match counted.iter_mut().find(|(seen, _)| seen == v) {
                Some((_, n)) => *n += 1,
                None => counted.push((*v, 1)),
            }
        }
        counted.sort();
        let rollback = match (rollback.first_failure(), &rollback.left_at_end) {
            (Some(step), _) => format!(
                "stops at down {} of {}: {}",
                rollback.steps.len(),
                rollback.applied,
                step.migration
            ),
            (None, Some(left)) => format!("completes, leaves {} object(s)", left.objects.len()),
            (None, None) => "completes, database back to empty".to_string(),
        };
        Some(DownsRow {
            name: unmigrate::corpus::name_of(dir),
            downs: verdicts.len(),
            verdicts: counted,
            rollback,
        })
    }
}

fn print_downs(rows: &[DownsRow]) {
    println!("| corpus | hand-written downs | their verdicts | --rollback-all |");
    println!("|---|---:|---|---|");
    for r in rows {
        let verdicts: Vec<String> = r
            .verdicts
            .iter()
            .map(|(v, n)| format!("{n} {}", v.label()))
            .collect();
        println!(
            "| {} | {} | {} | {} |",
            r.name,
            r.downs,
            verdicts.join(", "),
            r.rollback
        );
    }
}
