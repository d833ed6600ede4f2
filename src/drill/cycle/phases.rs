//! One migration's drill: forward, undo and re-apply, each a phase of the same shape: apply the
//! files, then snapshot the schema and compare it with what it must be.

use std::time::{Duration, Instant};

use super::prepare::{ForwardFile, UndoFiles};
use super::seeding::{DataWatch, Emptied};
use super::DrillError;
use crate::drill::apply::{Runner, SqlFile, ToolSession};
use crate::drill::outcome::{
    DataFailure, DataFix, DrillResult, MigrationDrill, Phase, PhaseReport, PhaseStatus,
    StatementTrace, UndoSource,
};
use crate::drill::script::{Check, Seed};
use crate::migrations::{ApplyMode, Migration};
use crate::rows::{self, reach::Widen, Fingerprint};
use crate::snapshot::{SchemaWatcher, Snapshot, SnapshotError};
use crate::sql::touches::{DataReach, Touches};
use crate::undo::{MigrationUndo, Reason, Verdict};

pub(super) fn sql_file(m: &Migration) -> SqlFile<'_> {
    SqlFile {
        migration_name: &m.name,
        path: &m.sql_path,
        sql: &m.sql,
        runner: Runner::Deploy,
        sent: m.transaction,
    }
}

pub(super) fn claimed(undo: &MigrationUndo) -> (Verdict, Vec<Reason>) {
    let reasons = undo
        .statements
        .iter()
        .filter(|s| s.undo.verdict != Verdict::Exact)
        .map(|s| Reason {
            line: s.location.line,
            verdict: s.undo.verdict,
            text: s.undo.reason.clone(),
        })
        .collect();
    (undo.verdict, reasons)
}

pub(super) fn not_run(m: &Migration, undo: &MigrationUndo, files: &UndoFiles) -> MigrationDrill {
    let (claimed, reasons) = claims(undo, files);
    MigrationDrill {
        name: m.name.clone(),
        undo_source: files.source.clone(),
        claimed,
        reasons,
        result: DrillResult::NotRun,
        phases: Vec::new(),
        checks: Vec::new(),
        mode_differences: Vec::new(),
        data: None,
        down_verdict: None,
    }
}

/// What the undo drilled claims: a committed undo's own header when it says, else what
/// unmigrate derives now.
fn claims(undo: &MigrationUndo, files: &UndoFiles) -> (Verdict, Vec<Reason>) {
    files.claims.clone().unwrap_or_else(|| claimed(undo))
}

/// One migration's drill result, and why the drill must stop after it, if it must.
pub(super) struct Drilled {
    pub(super) report: MigrationDrill,
    pub(super) stop: Option<String>,
    /// The stop came from the undo (or the re-apply after it), not the forward: the
    /// database can be rebuilt from the history to go on (see the `rebuild` module).
    pub(super) rebuildable: bool,
}

/// The state carried from one migration to the next.
pub(super) struct Cycle<'s, 'c> {
    pub(super) session: ToolSession<'c>,
    pub(super) watcher: &'s mut SchemaWatcher,
    pub(super) checks: &'s [Check],
    /// The schema before the migration being drilled.
    pub(super) previous: Snapshot,
    pub(super) seed: Option<Seed>,
    /// Whether the first round of seeding (every table) is done; later rounds fill only
    /// tables that are still empty.
    pub(super) seeded_once: bool,
    /// Tables seeding has tried to fill, successfully or not.
    pub(super) seed_tried: rows::Tried,
    /// What the history declares, for values later migrations accept.
    pub(super) seed_hints: rows::Hints,
    /// The data as last fingerprinted (seeded drills), kept up to date phase by phase for the
    /// tables each phase may change; `None` when unknown (nothing read yet, or every table
    /// emptied since).
    pub(super) rows_now: Option<Fingerprint>,
    /// The catalog queries that tell which tables a phase reached, once prepared.
    pub(super) widen: Option<Widen>,
}

/// How the rest of an undo that failed on seeded rows fared on emptied tables.
pub(super) enum Rest {
    Applied,
    /// `rolled_back`: nothing of the rest remains (its first file failed, in batch mode).
    Failed {
        rolled_back: bool,
    },
    /// The failed file could not be parsed to find where its rest begins.
    Unreadable,
}

impl Rest {
    fn failure(&self) -> DataFailure {
        match self {
            Rest::Applied => DataFailure::OnlyWithData,
            Rest::Failed { .. } => DataFailure::AlsoWithoutData,
            Rest::Unreadable => DataFailure::Unknown,
        }
    }
}

/// The SQLSTATE of the forward phase's failure, if it failed with one.
/// What a populated database needs before a forward that failed only with data deploys, from
/// its error ([`DataFix::of`]); or, when the key that failed is one the history declares and
/// the seeder follows ([`rows::Hints`]), that the seeder's own values broke it. Only where the
/// forward cannot have made the offending rows itself: it creates, drops, renames and writes
/// none of the key's tables (and no table it cannot bound), and adds none of its columns (a
/// type change of a key column is not looked at).
fn forward_fix(
    report: &MigrationDrill,
    hints: &rows::Hints,
    touched: Option<&Touches>,
) -> Option<DataFix> {
    let error = report.phases.iter().find_map(|p| match &p.status {
        PhaseStatus::Error(e) if p.phase == Phase::Forward => Some(e),
        _ => None,
    })?;
    let fix = DataFix::of(error.code.as_deref()?)?;
    let synthetic = || {
        let key = hints.key_named(error.constraint.as_deref()?)?;
        let touched = touched?;
        let DataReach::Tables { written, .. } = touched.data_reach() else {
            return None;
        };
        let mut tables = std::iter::once(key.table).chain(key.parent);
        let untouched =
            tables.all(|t| touched.keeps_table(t) && !written.contains(t) && !touched.renames(t));
        let kept = key
            .columns
            .iter()
            .all(|c| touched.adds_column(key.table, c).is_none());
        (untouched && kept).then_some(DataFix::SyntheticValues)
    };
    match fix {
        DataFix::Deduplicate | DataFix::MissingParents => Some(synthetic().unwrap_or(fix)),
        _ => Some(fix),
    }
}

/// What a phase's schema must equal, and how a diff names the two sides.
#[derive(Clone)]
pub(super) struct Expected<'a> {
    pub(super) schema: &'a Snapshot,
    pub(super) label: String,
    pub(super) actual_label: String,
    /// The undo announced that the column order changes (so that alone passes).
    pub(super) order_announced: bool,
}

/// How a phase ended.
pub(super) enum Ended {
    /// Every file applied; the schema it left.
    Applied(Snapshot),
    /// A file failed. `rolled_back`: the first file failed in batch mode and nothing of it
    /// was committed, so the database is as it was before the phase.
    Failed { rolled_back: bool, at: StoppedAt },
}

/// Where a failed phase stopped: the file that failed, and how many of its statements stay
/// committed (the rest of the phase begins there).
#[derive(Debug, Clone, Copy)]
pub(super) struct StoppedAt {
    pub(super) file: usize,
    pub(super) committed: usize,
}

impl Cycle<'_, '_> {
    pub(super) fn snapshot(&mut self) -> Result<Snapshot, SnapshotError> {
        Ok(self.watcher.refresh(self.session.client())?.clone())
    }

    /// Drills one migration; when the drill is seeded, seeds first and checks which data
    /// survived each phase.
    pub(super) fn migration(
        &mut self,
        m: &Migration,
        undo: &MigrationUndo,
        files: &UndoFiles,
        forward_file: &ForwardFile,
    ) -> Result<Drilled, DrillError> {
        let mut data = match (self.seed, &forward_file.touched, &files.touched) {
            (Some(seed), Some(touched), Some(undo_touched)) => {
                Some(self.seed_and_fingerprint(seed, touched, undo, undo_touched)?)
            }
            _ => None,
        };
        let mut drilled = self.phases(m, undo, files, &mut data)?;
        if let Some(mut watch) = data {
            let forward_failure = drilled.report.phases.iter().find_map(|p| match &p.status {
                PhaseStatus::Error(e) if p.phase == Phase::Forward => Some(e.rolled_back()),
                _ => None,
            });
            if let Some(left_nothing) = forward_failure {
                let (failure, emptied) = self.fails_only_with_data(forward_file, left_nothing)?;
                watch.report.forward_failure = Some(failure);
                if failure == DataFailure::OnlyWithData {
                    watch.report.forward_fix = forward_fix(
                        &drilled.report,
                        &self.seed_hints,
                        forward_file.touched.as_ref(),
                    );
                }
                if let Some(emptied) = emptied {
                    drilled = self.drill_on_emptied_tables(m, undo, files, drilled, &emptied)?;
                }
            }
            if watch.report.failed() {
                drilled.report.result = DrillResult::Failed;
            }
            drilled.report.data = Some(watch.report);
        }
        Ok(drilled)
    }

    /// After the forward failed only because of the seeded rows: a finding about the forward
    /// (it needs a backfill, or a default, before it deploys on a populated table), not the
    /// end of the drill. The tables its retry emptied are emptied, the migration is drilled
    /// again without data (forward, undo, re-apply), and the emptied tables are seeded afresh
    /// before the next one. The report keeps the failed forward phase, with PostgreSQL's
    /// error, before the phases of the second run, and the migration stays failed.
    fn drill_on_emptied_tables(
        &mut self,
        m: &Migration,
        undo: &MigrationUndo,
        files: &UndoFiles,
        first: Drilled,
        emptied: &Emptied,
    ) -> Result<Drilled, DrillError> {
        self.empty_tables(emptied)?;
        let mut again = self.phases(m, undo, files, &mut None)?;
        self.forget_rows(); // the second run's changes are not followed
        let mut phases = first.report.phases;
        phases.append(&mut again.report.phases);
        again.report.phases = phases;
        again.report.result = DrillResult::Failed;
        Ok(again)
    }

    /// After the undo failed on seeded rows: a finding about the undo (it stops there on a
    /// populated database), not the end of the drill. The tables are emptied and the rest of
    /// the undo applied from where it stopped (the statement that failed, or the start of its
    /// file when that rolled back), as a second undo phase compared with the schema before the
    /// migration. What the retry gives decides whether the drill can go on.
    fn undo_on_emptied_tables(
        &mut self,
        m: &Migration,
        files: &[SqlFile<'_>],
        at: StoppedAt,
        expected: Expected<'_>,
        report: &mut MigrationDrill,
    ) -> Result<Rest, DrillError> {
        let failed = files[at.file];
        let rest_of_file = match at.committed {
            0 => failed.sql.to_string(),
            committed => match crate::sql::parse_file(failed.path, failed.sql) {
                Ok(statements) => {
                    crate::sql::join_statements(&statements[committed.min(statements.len())..])
                }
                Err(_) => return Ok(Rest::Unreadable),
            },
        };
        let mut rest = vec![SqlFile {
            sql: &rest_of_file,
            ..failed
        }];
        rest.extend_from_slice(&files[at.file + 1..]);
        self.empty_every_table()?;
        let ended = self.phase(m, Phase::Undo, &rest, Some(expected), &mut None, report)?;
        Ok(match ended {
            Ended::Applied(_) => Rest::Applied,
            Ended::Failed { rolled_back, .. } => Rest::Failed { rolled_back },
        })
    }

    pub(super) fn phases(
        &mut self,
        m: &Migration,
        undo: &MigrationUndo,
        files: &UndoFiles,
        data: &mut Option<DataWatch>,
    ) -> Result<Drilled, DrillError> {
        let (claimed, reasons) = claims(undo, files);
        let mut report = MigrationDrill {
            name: m.name.clone(),
            undo_source: files.source.clone(),
            claimed,
            reasons,
            result: DrillResult::Passed,
            phases: Vec::new(),
            checks: Vec::new(),
            mode_differences: Vec::new(),
            data: None,
            down_verdict: None,
        };
        // A hand-written down announces nothing; that it re-adds a column at the end of its
        // table is its verdict ("restores with column order only"), not a failure.
        let order_announced = undo.statements.iter().any(|s| s.undo.reorders_columns)
            || matches!(files.source, UndoSource::DownSql { .. });
        let stop = |report, reason: String| Drilled {
            report,
            stop: Some(reason),
            rebuildable: true,
        };

        let forward_file = [sql_file(m)];
        let Ended::Applied(forward) =
            self.phase(m, Phase::Forward, &forward_file, None, data, &mut report)?
        else {
            let reason = format!(
                "the forward migration {} failed, so nothing after it can be drilled",
                m.name
            );
            return Ok(Drilled {
                rebuildable: false,
                ..stop(report, reason)
            });
        };

        // A generated manual undo with a block to replace cannot run; one that only needs a
        // backfill runs as written (its check stops it where the tables have rows).
        let generated_manual = claimed == Verdict::Manual
            && files.source == UndoSource::Generated
            && undo.has_manual_block();
        if generated_manual {
            report.result = DrillResult::Manual;
            self.previous = forward;
            return Ok(Drilled {
                report,
                stop: None,
                rebuildable: false,
            });
        }
        // A hand-written down with nothing in it: the team says there is no way back.
        if files.declared_irreversible {
            report.result = DrillResult::DeclaredIrreversible;
            self.previous = forward;
            return Ok(Drilled {
                report,
                stop: None,
                rebuildable: false,
            });
        }

        // Undo, part by part.
        let before = std::mem::take(&mut self.previous);
        let undo_files: Vec<SqlFile<'_>> = files
            .files
            .iter()
            .map(|file| SqlFile {
                migration_name: &file.name,
                path: &file.path,
                sql: &file.sql,
                runner: file.runner,
                sent: file.sent,
            })
            .collect();
        let expected = Expected {
            schema: &before,
            label: format!("before {}", m.name),
            actual_label: format!("after the undo of {}", m.name),
            order_announced,
        };
        let ended = self.phase(
            m,
            Phase::Undo,
            &undo_files,
            Some(expected.clone()),
            data,
            &mut report,
        )?;
        // A seeded undo that failed is retried on emptied tables from where it stopped; the
        // rest of this migration's drill then runs without data.
        let mut without_data = None;
        let data = match ended {
            Ended::Applied(_) => data,
            Ended::Failed { rolled_back, at } if data.is_some() => {
                let rest =
                    self.undo_on_emptied_tables(m, &undo_files, at, expected, &mut report)?;
                if let Some(watch) = data.as_mut() {
                    watch.report.undo_failure = Some(rest.failure());
                }
                match rest {
                    Rest::Applied => &mut without_data,
                    Rest::Failed { rolled_back: true } if rolled_back => {
                        self.previous = forward;
                        return Ok(Drilled {
                            report,
                            stop: None,
                            rebuildable: false,
                        });
                    }
                    Rest::Failed { .. } | Rest::Unreadable => {
                        let reason = format!(
                            "the undo of {} failed half-way, on seeded rows and again on \
                             emptied tables, so the database is in no known state",
                            m.name
                        );
                        return Ok(stop(report, reason));
                    }
                }
            }
            Ended::Failed {
                rolled_back: true, ..
            } => {
                // The database is at the forward state, so the drill goes on.
                self.previous = forward;
                return Ok(Drilled {
                    report,
                    stop: None,
                    rebuildable: false,
                });
            }
            Ended::Failed { .. } => {
                let reason = format!(
                    "the undo of {} failed half-way, so the database is in no known state",
                    m.name
                );
                return Ok(stop(report, reason));
            }
        };

        // Forward again.
        let expected = Expected {
            schema: &forward,
            label: format!("after {}", m.name),
            actual_label: format!("after {} was applied again", m.name),
            order_announced,
        };
        let Ended::Applied(again) = self.phase(
            m,
            Phase::Reapply,
            &forward_file,
            Some(expected),
            data,
            &mut report,
        )?
        else {
            let reason = format!(
                "{} could not be applied again after its undo, so nothing after it can be drilled",
                m.name
            );
            return Ok(stop(report, reason));
        };

        report.result = result(&report);
        self.previous = again;
        Ok(Drilled {
            report,
            stop: None,
            rebuildable: false,
        })
    }

    /// One phase: applies `files` in order; when all applied, checks the data (seeded drills),
    /// snapshots the schema and compares it with `expected`, records the phase and runs the
    /// checks due after it. A failed file ends the phase and fails the migration.
    pub(super) fn phase(
        &mut self,
        m: &Migration,
        phase: Phase,
        files: &[SqlFile<'_>],
        expected: Option<Expected<'_>>,
        data: &mut Option<DataWatch>,
        report: &mut MigrationDrill,
    ) -> Result<Ended, DrillError> {
        let mut apply = Duration::ZERO;
        let mut trace = Vec::new();
        for (i, file) in files.iter().enumerate() {
            let applied = self.session.apply(*file)?;
            self.watcher.note_applied(file.sql);
            apply += applied.duration;
            trace.extend(applied.trace);
            if let Some(failure) = applied.failure {
                let rolled_back =
                    i == 0 && applied.mode == ApplyMode::Batch && applied.committed == 0;
                let status = PhaseStatus::Error(failure);
                report
                    .phases
                    .push(phase_report(phase, apply, Duration::ZERO, status, trace));
                report.result = DrillResult::Failed;
                let at = StoppedAt {
                    file: i,
                    committed: applied.committed,
                };
                return Ok(Ended::Failed { rolled_back, at });
            }
        }
        if data.is_some() {
            let texts: Vec<&str> = files.iter().map(|f| f.sql).collect();
            self.observe(data, phase, &texts)?;
        }
        let comparing = Instant::now();
        let schema = self.snapshot()?;
        let status = match expected {
            None => PhaseStatus::Passed,
            Some(e) => compare(
                e.schema,
                &schema,
                e.order_announced,
                e.label,
                e.actual_label,
            ),
        };
        report.phases.push(phase_report(
            phase,
            apply,
            comparing.elapsed(),
            status,
            trace,
        ));
        self.run_checks(m, phase, report);
        Ok(Ended::Applied(schema))
    }
}

pub(super) fn compare(
    expected: &Snapshot,
    actual: &Snapshot,
    announced: bool,
    expected_label: String,
    actual_label: String,
) -> PhaseStatus {
    match expected.diff(actual, expected_label, actual_label) {
        None => PhaseStatus::Passed,
        Some(diff) if diff.column_order_only() => PhaseStatus::ColumnOrderOnly { diff, announced },
        Some(diff) => PhaseStatus::Mismatch { diff },
    }
}

pub(super) fn phase_report(
    phase: Phase,
    apply: Duration,
    compare: Duration,
    status: PhaseStatus,
    statements: Vec<StatementTrace>,
) -> PhaseReport {
    PhaseReport {
        phase,
        apply,
        compare,
        status,
        statements,
    }
}

/// The migration's result from its phases and checks. Column order alone passes only when
/// the verdict announced it.
pub(super) fn result(report: &MigrationDrill) -> DrillResult {
    if !report.phases.iter().all(|p| p.status.passed()) {
        return DrillResult::Failed;
    }
    let order_only =
        (report.phases.iter()).any(|p| matches!(p.status, PhaseStatus::ColumnOrderOnly { .. }));
    if report.checks.iter().any(|c| !c.passed) {
        DrillResult::Failed
    } else if order_only {
        DrillResult::PassedColumnOrderOnly
    } else {
        DrillResult::Passed
    }
}
