//! A long drill split across several databases that run at once, one per core.
//!
//! A drill is one session applying one file after another, so it uses one core of the server.
//! The scope is cut into contiguous ranges of forward migrations, and each range is drilled
//! in a database of its own, on the same server, exactly as `unmigrate drill --from A --to B`
//! would drill it: the history before the range is applied forward only (the state a deployed
//! database is in), then each migration of the range is drilled in order, and the range ends
//! with its own full schema check. The reports are joined in history order.
//!
//! What differs from one database for the whole scope: a range starts from the forward-only
//! history rather than from the state the drills of earlier ranges left. When every earlier
//! migration passed, these are the same schema; when one failed, the drill has failed anyway,
//! and the ranges after the first one that stopped are reported as not run, as they would be
//! in one database. A seeded range seeds its tables where it starts, as `--from` does: the
//! rows each migration meets were written into the schema of the range's start rather than
//! carried from the first migration in scope, which a populated production database is just
//! as likely to hold. Probes run in one database: their waits would count the other ranges'
//! work.

use std::ops::Range;
use std::sync::mpsc;
use std::time::Instant;

use crate::drill::cycle::{self, DrillError, DrillPlan, Progress};
use crate::drill::outcome::{DrillReport, DrillResult, FinalCheck};
use crate::drill::reach;
use crate::drill::script::{self, Scope};
use crate::migrations::{self, History};
use crate::scratch::{ScratchServer, ScratchSource, ServerUrl};
use crate::sql;

/// No range is shorter than this: below it, a database's set-up and prefix cost more than
/// the parallel drill saves.
const MIN_MIGRATIONS_PER_RANGE: usize = 25;

/// At most this many databases at once, whatever the core count.
const MAX_JOBS: usize = 8;

/// The cost of applying a migration forward only, relative to drilling it (which applies it
/// three times and compares schemas after each): measured on the corpora, about a fifth.
const PREFIX_SHARE: f64 = 0.2;

/// How many databases to drill in at once when the plan does not say: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(MAX_JOBS)
}

/// Runs the drill, across several databases when the plan allows it and the scope is long
/// enough to gain from it (see the module documentation). On a server given by URL, refuses
/// statements that change the server beyond the drill's database before anything runs (see
/// the `reach` module). `Err` only for input or environment errors, and for that refusal.
pub fn run(
    plan: &DrillPlan,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<DrillReport, DrillError> {
    let started = Instant::now();
    let (history, _) = migrations::layouts::read(&plan.migrations_dir, plan.layout)?;
    let reach = reach::before_drill(plan, &history)?;
    let mut report = run_scope(plan, &history, started, progress)?;
    report.server_changes = reach.changes;
    report.unseen = reach.unseen;
    Ok(report)
}

fn run_scope(
    plan: &DrillPlan,
    history: &History,
    started: Instant,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<DrillReport, DrillError> {
    let jobs = plan.jobs.unwrap_or_else(default_jobs);
    let one_database = match &plan.source {
        ScratchSource::Url(url) => crate::scratch::runs_inside_shadow(url)?,
        ScratchSource::Embedded(_) => false,
    };
    if jobs <= 1 || plan.probe || one_database {
        return cycle::run_history(plan, history, started, progress);
    }
    let scope = plan.scope.resolve(history)?;
    let ranges = jobs.min(scope.len() / MIN_MIGRATIONS_PER_RANGE);
    if ranges <= 1 {
        return cycle::run_history(plan, history, started, progress);
    }
    let forward = history.forward();
    // The checks are resolved against the whole scope first, so a misplaced one is reported
    // as it would be without ranges.
    let checks = script::resolve_checks(plan.script.as_deref(), &plan.checks, history, &scope)?;
    let weights = weights(history)?;
    let cuts = split(&weights, scope.clone(), ranges);

    let mut embedded = match &plan.source {
        ScratchSource::Embedded(options) => Some(ScratchServer::start_embedded(options.clone())?),
        ScratchSource::Url(_) => None,
    };
    let source = match &embedded {
        Some(server) => ScratchSource::Url(ServerUrl::internal(server.url())),
        None => plan.source.clone(),
    };
    let plans: Vec<DrillPlan> = cuts
        .iter()
        .map(|range| {
            let names = &forward[range.clone()];
            let (first, last) = (&names[0].name, &names[names.len() - 1].name);
            DrillPlan {
                scope: Scope::Range {
                    from: Some(first.clone()),
                    to: Some(last.clone()),
                },
                checks: checks
                    .iter()
                    .filter(|c| {
                        c.migration
                            .as_ref()
                            .is_none_or(|m| names.iter().any(|n| &n.name == m))
                    })
                    .cloned()
                    .collect(),
                source: source.clone(),
                jobs: Some(1),
                ..plan.clone()
            }
        })
        .collect();

    progress(Progress::Planned(scope.len()));
    let reports = run_ranges(&plans, history, progress).map_err(|error| match &mut embedded {
        Some(server) => error.with_server_log(|e| server.diagnose(e)),
        None => error,
    })?;
    let databases: Vec<String> = reports.iter().map(|r| r.database.clone()).collect();
    let mut report = join(reports);
    if let Some(server) = &embedded {
        report.database = format!(
            "embedded PostgreSQL {}, {} databases at once",
            report.server_version,
            plans.len()
        );
        report.startup = Some(server.startup_time());
    } else {
        report.database = format!(
            "{} databases at once: {}",
            plans.len(),
            databases.join("; ")
        );
    }
    report.total = started.elapsed();
    Ok(report)
}

/// Drills each plan on a thread of its own; progress reaches the caller from this thread.
fn run_ranges(
    plans: &[DrillPlan],
    history: &History,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<DrillReport>, DrillError> {
    let (events, received) = mpsc::channel::<String>();
    std::thread::scope(|scope| {
        let handles: Vec<_> = plans
            .iter()
            .map(|plan| {
                let events = events.clone();
                scope.spawn(move || {
                    cycle::run_history(plan, history, Instant::now(), &mut |event| {
                        if let Progress::Migration(name) = event {
                            let _ = events.send(name.to_string());
                        }
                    })
                })
            })
            .collect();
        drop(events);
        for name in received {
            progress(Progress::Migration(&name));
        }
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// The ranges' reports as one, in history order. After a range that stopped, the later
/// ranges' migrations are reported as not run, as one database would have left them.
fn join(reports: Vec<DrillReport>) -> DrillReport {
    let mut reports = reports.into_iter();
    let mut joined = reports.next().expect("at least two ranges");
    for next in reports {
        if joined.stopped.is_some() {
            joined
                .migrations
                .extend(next.migrations.into_iter().map(|mut m| {
                    m.result = DrillResult::NotRun;
                    m.phases.clear();
                    m.checks.clear();
                    m.mode_differences.clear();
                    m.data = None;
                    m
                }));
            continue;
        }
        joined.migrations.extend(next.migrations);
        joined.undo_steps.extend(next.undo_steps);
        joined.stopped = next.stopped;
        joined.final_check = match (joined.final_check.take(), next.final_check) {
            (Some(a), Some(b)) => Some(FinalCheck {
                passed: a.passed && b.passed,
                diff: a.diff.or(b.diff),
            }),
            _ => None,
        };
    }
    if joined.stopped.is_some() {
        joined.final_check = None;
    }
    joined
}

/// A rough cost of drilling each forward migration: its statement count plus a fixed part,
/// worth six statements, for the phases and comparisons every migration has (chosen so that
/// the two ranges of the langfuse drill finish together on two cores).
fn weights(history: &History) -> Result<Vec<f64>, DrillError> {
    history
        .forward()
        .iter()
        .map(|m| Ok(6.0 + sql::parse_file(&m.sql_path, &m.sql)?.len() as f64))
        .collect()
}

/// Cuts `scope` into `ranges` contiguous ranges of about equal cost, where a range costs its
/// migrations' drills plus applying everything before it forward only.
fn split(weights: &[f64], scope: Range<usize>, ranges: usize) -> Vec<Range<usize>> {
    let before = |i: usize| weights[..i].iter().sum::<f64>() * PREFIX_SHARE;
    // Greedy cuts for a budget per range; the smallest budget that covers the scope wins.
    let cut = |budget: f64| -> Vec<Range<usize>> {
        let mut cuts = Vec::new();
        let mut start = scope.start;
        while start < scope.end && cuts.len() < ranges {
            let mut cost = before(start);
            let mut end = start;
            while end < scope.end && (end == start || cost + weights[end] <= budget) {
                cost += weights[end];
                end += 1;
            }
            if cuts.len() + 1 == ranges {
                end = scope.end;
            }
            cuts.push(start..end);
            start = end;
        }
        cuts
    };
    let fits = |budget: f64| {
        let cuts = cut(budget);
        cuts.last().is_some_and(|last| {
            let cost = before(last.start) + weights[last.clone()].iter().sum::<f64>();
            cost <= budget
        })
    };
    // Everything in one range, prefix included, always fits.
    let (mut low, mut high) = (
        0.0,
        before(scope.start) + weights[scope.clone()].iter().sum::<f64>(),
    );
    for _ in 0..50 {
        let mid = (low + high) / 2.0;
        if fits(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    cut(high).into_iter().filter(|r| !r.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(weights: &[f64], range: &Range<usize>) -> f64 {
        weights[..range.start].iter().sum::<f64>() * PREFIX_SHARE
            + weights[range.clone()].iter().sum::<f64>()
    }

    #[test]
    fn ranges_cover_the_scope_in_order() {
        let weights = vec![1.0; 100];
        let cuts = split(&weights, 10..90, 3);
        assert_eq!(cuts.len(), 3);
        assert_eq!(cuts[0].start, 10);
        assert_eq!(cuts[2].end, 90);
        assert!(cuts.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn later_ranges_are_shorter_because_their_prefix_costs_too() {
        let weights = vec![1.0; 400];
        let cuts = split(&weights, 0..400, 2);
        assert!(cuts[0].len() > cuts[1].len(), "{cuts:?}");
        let (a, b) = (cost(&weights, &cuts[0]), cost(&weights, &cuts[1]));
        assert!((a - b).abs() <= 2.0, "unbalanced: {a} vs {b}");
    }

    #[test]
    fn heavy_migrations_get_ranges_of_their_own_size() {
        // The second half is ten times as costly per migration.
        let mut weights = vec![1.0; 200];
        weights.extend(vec![10.0; 200]);
        let cuts = split(&weights, 0..400, 2);
        assert!(cuts[0].end > 200, "{cuts:?}");
        let (a, b) = (cost(&weights, &cuts[0]), cost(&weights, &cuts[1]));
        assert!((a - b).abs() <= 10.0 + 1e-9, "unbalanced: {a} vs {b}");
    }
}
