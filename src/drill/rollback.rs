//! What `drill --rollback-all` found, as plain data: every up applied, then every down newest
//! first, each step compared with the schema the history had at that point going forward.
//! Some teams' downs are not paired with their own up (the down of step N undoes step N+1);
//! only the whole chain, run the way a team would run it in an incident, tells whether it
//! brings the database back.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::drill::outcome::ApplyFailure;
use crate::migrations::Layout;
use crate::snapshot::SchemaDiff;

/// The rollback of a whole history.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    pub migrations_dir: PathBuf,
    pub layout: Layout,
    /// Where the scratch database lived (as in a drill report).
    pub database: String,
    /// The ups applied before the rollback began.
    pub applied: usize,
    /// One per down run, newest first, up to the first that failed.
    pub steps: Vec<RollbackStep>,
    /// Why the rollback could not begin (an up failed), if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_started: Option<String>,
    /// After the last down that ran: how the database differs from the schema before the
    /// history (`None`: it is the same). Not set when a down failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_at_end: Option<SchemaDiff>,
    #[serde(rename = "total_ms", with = "crate::drill::outcome::duration_ms")]
    pub total: Duration,
}

/// One down of the chain.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackStep {
    /// The migration whose down ran.
    pub migration: String,
    pub result: StepResult,
    /// How the database differs from the schema before this migration, going forward
    /// (`None`: it is the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<SchemaDiff>,
    /// PostgreSQL's error, when the down failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<ApplyFailure>,
}

/// How one down of the chain fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    /// The schema is the one before the migration.
    Restores,
    /// Only column order differs.
    ColumnOrderOnly,
    /// It undoes exactly what its migration did, but what earlier downs left behind is
    /// still there.
    UndoesItsMigration,
    /// It ran, and the schema differs from the one before the migration in what the
    /// migration changed (or it changed what the migration did not).
    LeavesDifferences,
    /// It has no statement (declared irreversible) and changed nothing; the chain goes on,
    /// as the tool goes on.
    Empty,
    /// The migration has no down: the chain stops, as the tool stops.
    NoDown,
    /// PostgreSQL refused it: the chain stops here.
    Fails,
}

impl RollbackReport {
    /// The first down that failed, or the migration without a down the chain stopped at.
    pub fn first_failure(&self) -> Option<&RollbackStep> {
        self.steps
            .iter()
            .find(|s| matches!(s.result, StepResult::Fails | StepResult::NoDown))
    }

    /// Every down ran and the database is back to the schema before the history.
    pub fn passed(&self) -> bool {
        self.not_started.is_none()
            && self.first_failure().is_none()
            && self.left_at_end.is_none()
            && self
                .steps
                .iter()
                .all(|s| matches!(s.result, StepResult::Restores | StepResult::ColumnOrderOnly))
    }
}
