//! What a hand-written down did when drilled, in the words a team reads (restores exactly,
//! fails, leaves differences, …), from its migration's drill.

use serde::Serialize;

use super::{DrillResult, MigrationDrill, Phase, PhaseStatus, UndoSource};

/// What a hand-written down did when drilled: the verdict a team reads before it trusts the
/// down in an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DownVerdict {
    /// The schema after it is the schema before the migration (and, seeded, the data too).
    RestoresExactly,
    /// The same, but re-added columns sit at the end of their tables.
    RestoresWithColumnOrderOnly,
    /// PostgreSQL refused it: the phase's error says why.
    Fails,
    /// It ran, but the schema after it is not the schema before the migration (the diff
    /// says how), or a check failed.
    LeavesDifferences,
    /// It restores the schema, but seeded rows did not survive it.
    LosesData,
    /// It restores the schema, but the migration cannot be applied again after it.
    ReapplyFails,
    /// It has no statement: the team says there is no way back.
    DeclaredIrreversible,
}

impl DownVerdict {
    /// The verdict of `m`'s drill when its undo was a hand-written down; `None` for other
    /// undos, and for a down that was not reached (the forward failed, or the drill stopped).
    pub fn of(m: &MigrationDrill) -> Option<DownVerdict> {
        if !matches!(
            m.undo_source,
            UndoSource::DownSql {
                by_unmigrate: false,
                ..
            }
        ) {
            return None;
        }
        // The first of each: a seeded undo that failed is retried on emptied tables after it.
        let phase = |p: Phase| m.phases.iter().find(|r| r.phase == p);
        let verdict = match m.result {
            DrillResult::DeclaredIrreversible => DownVerdict::DeclaredIrreversible,
            DrillResult::Passed => DownVerdict::RestoresExactly,
            DrillResult::PassedColumnOrderOnly => DownVerdict::RestoresWithColumnOrderOnly,
            DrillResult::Manual | DrillResult::NotRun => return None,
            DrillResult::Failed => {
                let undo = phase(Phase::Undo)?;
                match &undo.status {
                    PhaseStatus::Error(_) => DownVerdict::Fails,
                    PhaseStatus::Mismatch { .. } | PhaseStatus::ColumnOrderOnly { .. } => {
                        DownVerdict::LeavesDifferences
                    }
                    PhaseStatus::Passed => match phase(Phase::Reapply).map(|p| &p.status) {
                        Some(PhaseStatus::Error(_)) => DownVerdict::ReapplyFails,
                        _ if m.data.as_ref().is_some_and(|d| d.failed()) => DownVerdict::LosesData,
                        _ => DownVerdict::LeavesDifferences,
                    },
                }
            }
        };
        Some(verdict)
    }

    /// The verdict in words, for reports.
    pub fn label(self) -> &'static str {
        match self {
            DownVerdict::RestoresExactly => "restores exactly",
            DownVerdict::RestoresWithColumnOrderOnly => "restores with column order only",
            DownVerdict::Fails => "fails",
            DownVerdict::LeavesDifferences => "leaves differences",
            DownVerdict::LosesData => "loses data",
            DownVerdict::ReapplyFails => "restores, but the migration cannot be applied again",
            DownVerdict::DeclaredIrreversible => "declared irreversible",
        }
    }
}
