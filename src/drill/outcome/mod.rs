//! What a drill found, as plain data: the drill fills it in, [`crate::report`] renders it.
//! Nothing here talks to a database or prints.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

mod data;
mod down_verdict;

pub use data::{DataFailure, DataFix, DataReport, PhaseDataChange};
pub use down_verdict::DownVerdict;

use crate::drill::UndoChoice;
use crate::migrations::{ApplyMode, Layout};
use crate::snapshot::{SchemaDiff, Tracking};
use crate::undo::{Reason, Verdict, PREFLIGHT_FAILED};

/// The whole drill, in the order things happened.
#[derive(Debug, Clone, Serialize)]
pub struct DrillReport {
    /// The drill script, when the drill was started from one.
    pub script: Option<PathBuf>,
    pub migrations_dir: PathBuf,
    /// Whose layout the history has: which tool's rules the files were applied by.
    pub layout: Layout,
    /// Which undo each migration was drilled with.
    pub undo: UndoChoice,
    /// How Prisma files were sent (batch for other tools, whose files are sent as each
    /// tool sends them).
    pub apply_mode: ApplyMode,
    /// Where the scratch database lived: "embedded PostgreSQL 15.18" or the server URL with
    /// its password removed.
    pub database: String,
    pub server_version: String,
    /// The session `TimeZone` the drill ran under.
    pub time_zone: String,
    /// Start-up of the embedded cluster; `None` for a server given by URL.
    #[serde(rename = "startup_ms", with = "duration_ms_opt")]
    pub startup: Option<Duration>,
    /// Applying the migrations before the scope, forward only.
    pub prefix: Prefix,
    pub migrations: Vec<MigrationDrill>,
    /// Undo folders found in the history itself, applied forward at their place (as
    /// `prisma migrate deploy` would) after being drilled as their source's undo.
    pub undo_steps: Vec<String>,
    /// How schemas were compared after each phase: incrementally (event triggers) or by full
    /// renders (no superuser on the server).
    pub tracking: Tracking,
    /// The full schema comparison at the end, which proves the per-phase comparisons (which
    /// look only at what changed) missed nothing.
    pub final_check: Option<FinalCheck>,
    /// Why the drill stopped before the end of its scope, if it did.
    pub stopped: Option<String>,
    /// On a server given by URL: statements that changed the server beyond the drill's own
    /// database, run because the drill was allowed to (`--allow-server-changes`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub server_changes: Vec<ServerChange>,
    /// On a server given by URL: `DO` blocks, whose statements cannot be seen, so whether
    /// they change the server beyond the drill's database is not known (a warning).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unseen: Vec<ServerChange>,
    /// Where an undo left the database in no known state and the drill rebuilt it from the
    /// history to go on (hand-written downs, other tools' histories).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rebuilt: Vec<Rebuilt>,
    #[serde(rename = "total_ms", with = "duration_ms")]
    pub total: Duration,
}

/// A statement whose effect reaches beyond the drill's database (see [`crate::sql::reach`]).
#[derive(Debug, Clone, Serialize)]
pub struct ServerChange {
    pub file: String,
    pub line: usize,
    /// What it is: `CREATE ROLE`, `ALTER SYSTEM`, `pg_reload_conf()`, `DO`.
    pub what: String,
    /// The kind's id in [`crate::sql::reach::KINDS`], or `unseen` for a `DO` block.
    pub kind: &'static str,
    /// What it changes outside the database.
    pub changes: &'static str,
}

impl ServerChange {
    /// `file:line: WHAT (what it changes)`, the same in every text format.
    pub fn line(&self) -> String {
        format!(
            "{}:{}: {} ({})",
            self.file, self.line, self.what, self.changes
        )
    }
}

/// Migrations applied forward only, to reach the start of the scope.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Prefix {
    pub migrations: usize,
    #[serde(rename = "duration_ms", with = "duration_ms")]
    pub duration: Duration,
}

/// The database rebuilt from the history after a migration whose undo left it in no known
/// state: emptied, and every migration up to this one applied forward again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rebuilt {
    /// The migration after which the database was rebuilt.
    pub after: String,
    /// What would otherwise have stopped the drill.
    pub reason: String,
}

/// Where the undo that was drilled came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UndoSource {
    /// Undo folders committed next to the history ("drill what you deploy"), in apply order.
    Committed {
        folders: Vec<String>,
        /// Set when the forward file changed after the undo was generated: the source
        /// checksum in the undo's header is not the file's.
        #[serde(skip_serializing_if = "Option::is_none")]
        stale: Option<Stale>,
    },
    /// Generated by unmigrate for this drill, not written anywhere.
    Generated,
    /// The migration's own `down.sql`, as Prisma's guide on down migrations keeps and runs
    /// one (`prisma db execute`), compared with what unmigrate would generate.
    DownSql {
        file: String,
        compared: crate::undo::down_sql::Comparison,
        /// unmigrate wrote it (`generate` into a down file), and it is unedited: it claims
        /// what its header says, and is not judged as a hand-written down.
        by_unmigrate: bool,
    },
}

/// A committed undo derived from another version of its forward file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stale {
    /// The forward file's SHA-256 as the undo's header gives it (`None`: no such line).
    pub header: Option<String>,
    /// The forward file's SHA-256 now.
    pub file: String,
}

/// One migration's drill: forward, undo, re-apply.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationDrill {
    pub name: String,
    pub undo_source: UndoSource,
    /// The verdict the undo claims (for a committed undo: what its header says, or what
    /// unmigrate derives now when the header does not say).
    pub claimed: Verdict,
    /// One per statement whose undo is not exact: "line 3 lossy: …".
    pub reasons: Vec<Reason>,
    pub result: DrillResult,
    /// Phases in the order they ran; a phase that did not run is absent.
    pub phases: Vec<PhaseReport>,
    pub checks: Vec<CheckReport>,
    /// Why this migration behaves differently under `--apply-mode batch` and `split`.
    pub mode_differences: Vec<String>,
    /// What seeding put in and which data survived; `None` when the drill is not seeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<DataReport>,
    /// For a hand-written down, what it did, in a team's words (see [`DownVerdict::of`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_verdict: Option<DownVerdict>,
}

impl MigrationDrill {
    /// A seeded drill failed only on what the rows brought out, which the verdict allows for:
    /// the forward fails only with data (a finding about the forward), or the undo stopped in
    /// one of its preflight checks, which its note announces and whose message names the rows
    /// to fix. Every phase after that one passed (on the emptied tables), and no data changed
    /// that the verdict did not announce.
    pub fn failed_on_rows_only(&self) -> bool {
        let Some(data) = &self.data else {
            return false;
        };
        let passed = |p: &PhaseReport| p.status.passed();
        let Some(first) = self.phases.iter().position(|p| !passed(p)) else {
            return false;
        };
        let only_with_data = Some(DataFailure::OnlyWithData);
        let explained = match (self.phases[first].phase, &self.phases[first].status) {
            (Phase::Forward, PhaseStatus::Error(_)) => data.forward_failure == only_with_data,
            (Phase::Undo, PhaseStatus::Error(e)) => {
                data.undo_failure == only_with_data && e.message.starts_with(PREFLIGHT_FAILED)
            }
            _ => false,
        };
        explained && data.unannounced.is_empty() && self.phases[first + 1..].iter().all(passed)
    }
}

/// A migration's overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillResult {
    /// Undo restored the previous schema and the forward migration applied again.
    Passed,
    /// Passed, except that re-added columns sit at the end of their tables, as the verdict
    /// announced.
    PassedColumnOrderOnly,
    /// The undo is manual: not drilled, the drill went on from the forward state.
    Manual,
    /// The migration's hand-written down is empty or comments only: its team declares it
    /// irreversible. Not drilled; the drill went on from the forward state.
    DeclaredIrreversible,
    /// A phase failed or a comparison found a difference (or a check failed).
    Failed,
    /// Not reached: an earlier failure stopped the drill.
    NotRun,
}

impl DrillResult {
    /// Counts as confirmed: the undo did what it claimed.
    pub fn passed(self) -> bool {
        matches!(
            self,
            DrillResult::Passed | DrillResult::PassedColumnOrderOnly
        )
    }
}

/// The three phases of a migration's drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Forward,
    Undo,
    Reapply,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::Forward, Phase::Undo, Phase::Reapply];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Forward => "forward",
            Phase::Undo => "undo",
            Phase::Reapply => "reapply",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One phase: the SQL that ran, how long it took, and how its schema compared.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub phase: Phase,
    /// Applying the SQL (the schema comparison is not included).
    #[serde(rename = "apply_ms", with = "duration_ms")]
    pub apply: Duration,
    /// Taking and comparing the schema snapshot.
    #[serde(rename = "compare_ms", with = "duration_ms")]
    pub compare: Duration,
    #[serde(flatten)]
    pub status: PhaseStatus,
    /// What each statement did (locks, rewrites, scans, time), when the drill traces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<StatementTrace>,
}

/// How a phase ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PhaseStatus {
    /// Applied; the schema is what it must be (for `forward`: applied, nothing to compare).
    Passed,
    /// Applied; the schema differs only in the order of columns. That passes only when the
    /// verdict `announced` it (re-adding a dropped column puts it at the end of the table).
    ColumnOrderOnly { diff: SchemaDiff, announced: bool },
    /// Applied, but the schema is not what it must be.
    Mismatch { diff: SchemaDiff },
    /// The SQL failed.
    Error(ApplyFailure),
}

impl PhaseStatus {
    /// Whether the phase passed: applied, and the schema as it must be (column order aside
    /// only when the verdict announced it).
    pub fn passed(&self) -> bool {
        match self {
            PhaseStatus::Passed => true,
            PhaseStatus::ColumnOrderOnly { announced, .. } => *announced,
            PhaseStatus::Mismatch { .. } | PhaseStatus::Error(_) => false,
        }
    }
}

/// A statement PostgreSQL rejected.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyFailure {
    /// The file that failed (forward or undo `migration.sql`), for messages.
    pub file: String,
    /// SQLSTATE, e.g. "25001".
    pub code: Option<String>,
    /// The constraint (or unique index) the error names, when it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    pub message: String,
    /// Line of the failing statement in its file, when known (split mode, or from the
    /// server's error position).
    pub line: Option<u32>,
    /// What the failure leaves behind: "rolled back" (batch) or "half-applied" (split).
    pub effect: String,
}

impl ApplyFailure {
    /// How [`ApplyFailure::effect`] starts when the failure left nothing of its file behind.
    pub const ROLLED_BACK: &'static str = "rolled back:";

    /// Whether nothing of the failed file stays applied.
    pub fn rolled_back(&self) -> bool {
        self.effect.starts_with(Self::ROLLED_BACK)
    }
}

/// A drill-script check: SQL that must succeed or fail after a phase.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub name: String,
    pub after: Phase,
    pub expect: Expectation,
    pub passed: bool,
    /// The error PostgreSQL gave, or why the check counts as failed.
    pub detail: Option<String>,
}

/// What a check's SQL must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    Succeed,
    Fail,
}

/// The full snapshot taken at the end compared with the one built up phase by phase.
#[derive(Debug, Clone, Serialize)]
pub struct FinalCheck {
    pub passed: bool,
    /// What the phase-by-phase snapshots missed, if anything (a bug in unmigrate).
    pub diff: Option<SchemaDiff>,
}

impl DrillReport {
    /// Counts per result, for summaries.
    pub fn counts(&self) -> ResultCounts {
        let mut counts = ResultCounts::default();
        for m in &self.migrations {
            match m.result {
                DrillResult::Passed => counts.passed += 1,
                DrillResult::PassedColumnOrderOnly => counts.column_order_only += 1,
                DrillResult::Manual => counts.manual += 1,
                DrillResult::DeclaredIrreversible => counts.declared_irreversible += 1,
                DrillResult::Failed => counts.failed += 1,
                DrillResult::NotRun => counts.not_run += 1,
            }
        }
        counts
    }

    /// Migrations whose exact or lossy undo the drill confirmed (passed, column order aside
    /// when the verdict announced it). A manual undo that only needs a backfill is drilled
    /// too, but what its pass confirms is the schema, not the undo, so it does not count.
    pub fn confirmed(&self) -> usize {
        self.migrations
            .iter()
            .filter(|m| m.claimed != Verdict::Manual && m.result.passed())
            .count()
    }

    /// Migrations whose undo claims exact or lossy and whose drill failed, other than on what
    /// seeded rows bring out and the verdict allows for ([`MigrationDrill::failed_on_rows_only`]):
    /// the worst bug unmigrate can ship.
    pub fn false_claims(&self) -> Vec<&str> {
        self.migrations
            .iter()
            .filter(|m| m.claimed != Verdict::Manual && m.result == DrillResult::Failed)
            .filter(|m| !m.failed_on_rows_only())
            .map(|m| m.name.as_str())
            .collect()
    }

    /// Whether the drill as a whole passed: no failed migration, nothing left unrun, and the
    /// final full comparison agreed. Manual undos do not fail a drill; they are reported.
    pub fn passed(&self) -> bool {
        let c = self.counts();
        c.failed == 0
            && c.not_run == 0
            && self.stopped.is_none()
            && self.final_check.as_ref().is_none_or(|f| f.passed)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ResultCounts {
    pub passed: usize,
    pub column_order_only: usize,
    pub manual: usize,
    /// Hand-written downs with no statement (see [`DrillResult::DeclaredIrreversible`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub declared_irreversible: usize,
    pub failed: usize,
    pub not_run: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What one statement did, as measured.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatementTrace {
    /// 1-based line of the statement in its file.
    pub line: usize,
    /// The statement's first line, shortened, to name it in reports.
    pub statement: String,
    #[serde(rename = "duration_ms", with = "duration_ms")]
    pub duration: Duration,
    /// Whether it ran inside a transaction block. When not, its locks were released and its
    /// scans counted before they could be read, so `locks` and `scanned` are empty; rewrites
    /// are still seen.
    pub in_transaction: bool,
    /// Statements that ran before it in the same transaction: their locks are held until
    /// commit, so `locks` leaves out any lock they already took.
    pub earlier_in_transaction: usize,
    /// Relation locks it took that its transaction did not hold yet, strongest first.
    pub locks: Vec<LockTaken>,
    /// Relations whose data file it replaced: a table rewrite (or `TRUNCATE`), or an index
    /// rebuilt.
    pub rewrote: Vec<String>,
    /// Tables it read in full (sequential scans), e.g. to validate a constraint.
    pub scanned: Vec<String>,
    /// Whether PostgreSQL rejected it (the trace then ends with it).
    pub failed: bool,
    /// How long a read and a write from other sessions waited on its table, when the drill
    /// probes (see [`crate::drill::apply::Prober`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeResult>,
}

/// One relation lock, in PostgreSQL's own mode names (`AccessExclusiveLock`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockTaken {
    pub relation: String,
    /// `table`, `partitioned table`, `index`, `sequence`, `view`, `materialized view`, …
    pub kind: &'static str,
    pub mode: String,
    /// The relation did not exist before the statement (it created it).
    pub created: bool,
}

/// What the probes measured for one statement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProbeResult {
    /// The table probed: the first existing table the statement names.
    pub table: String,
    pub read: ProbeWait,
    pub write: ProbeWait,
}

/// How one probe query fared.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProbeWait {
    /// From sending the query to its answer, less what the same query takes unblocked.
    #[serde(rename = "waited_ms", with = "duration_ms")]
    pub waited: Duration,
    /// The probe gave up or failed (its lock timeout ran out, or the table went away); then
    /// `waited` is how long it waited before that.
    pub error: Option<String>,
}

impl ProbeResult {
    /// `reads of "User" waited 840 ms, writes 840 ms`.
    pub fn summary(&self) -> String {
        let wait = |w: &ProbeWait| match &w.error {
            Some(e) => format!("{:.0} ms, then {e}", ms(w.waited)),
            None => format!("{:.0} ms", ms(w.waited)),
        };
        format!(
            "reads of {} waited {}, writes {}",
            self.table,
            wait(&self.read),
            wait(&self.write)
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Durations serialise as fractional milliseconds: readable in JSON and exact enough. A field
/// serialised through it says its unit in its JSON name (`#[serde(rename = "apply_ms")]`), so
/// a script never has to guess it.
pub mod duration_ms {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
    }
}

mod duration_ms_opt {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::duration_ms::serialize(d, s),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fix_a_populated_database_needs_follows_the_sqlstate() {
        let cases = [
            ("23502", Some(DataFix::Backfill)),
            ("23505", Some(DataFix::Deduplicate)),
            ("23503", Some(DataFix::MissingParents)),
            ("23514", Some(DataFix::CheckViolations)),
            ("22P02", Some(DataFix::Conversion)),
            ("22003", Some(DataFix::Conversion)),
            ("42P01", None),
            ("55P04", None),
        ];
        for (code, fix) in cases {
            assert_eq!(DataFix::of(code), fix, "{code}");
        }
    }
}
