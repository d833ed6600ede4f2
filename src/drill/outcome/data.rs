//! What a seeded drill found about one migration's data: the tables it filled, which data
//! survived each phase, and what a forward that fails only with data needs.

use std::time::Duration;

use serde::Serialize;

use super::{duration_ms, Phase};
use crate::rows::{DataChange, SeededTable, UnseededTable};

/// A seeded drill's findings about one migration's data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataReport {
    /// Rows per table the drill asked for.
    pub rows_per_table: u64,
    /// Tables filled just before this migration's forward phase.
    pub seeded: Vec<SeededTable>,
    /// Tables that could not be filled, with PostgreSQL's error: they stay empty.
    pub not_seeded: Vec<UnseededTable>,
    /// How the forward migration fared with the seeded rows, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_failure: Option<DataFailure>,
    /// How the undo fared with the seeded rows, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undo_failure: Option<DataFailure>,
    /// What a populated database needs before a forward that fails only with data deploys,
    /// read from PostgreSQL's error (`None`: not such a failure, or an error it cannot tell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_fix: Option<DataFix>,
    /// Data that changed without the verdict announcing it: data the undo lost, or data of
    /// tables and columns the migration does not touch. Each fails the migration.
    pub unannounced: Vec<PhaseDataChange>,
    /// Data the undo lost as its lossy verdict announced.
    pub announced: Vec<PhaseDataChange>,
    /// Seeding, then taking the data fingerprints.
    #[serde(rename = "seed_time_ms", with = "duration_ms")]
    pub seed_time: Duration,
    #[serde(rename = "fingerprint_time_ms", with = "duration_ms")]
    pub fingerprint_time: Duration,
}

impl DataReport {
    /// The phases that failed on seeded rows, with how each fared without them.
    pub fn phase_failures(&self) -> impl Iterator<Item = (Phase, DataFailure)> {
        [
            (Phase::Forward, self.forward_failure),
            (Phase::Undo, self.undo_failure),
        ]
        .into_iter()
        .filter_map(|(phase, failure)| Some((phase, failure?)))
    }

    /// Whether this migration's data findings fail it.
    pub fn failed(&self) -> bool {
        !self.unannounced.is_empty()
    }
}

/// Whether a forward migration, or an undo, that failed on seeded rows fails because of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFailure {
    /// It applied once the tables were emptied (a forward file: in a transaction rolled back
    /// afterwards; an undo: the rest of it, from the statement that failed): it fails only
    /// with data, which an empty shadow database never shows.
    OnlyWithData,
    /// It failed on the emptied tables too.
    AlsoWithoutData,
    /// Not tried (a forward file in split mode, or one that controls transactions or runs
    /// CONCURRENTLY; an undo whose rest could not be read back).
    Unknown,
}

/// What the rows of a populated database need before a forward migration that failed only
/// with data can deploy, from the SQLSTATE of its error: the finding a team acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFix {
    /// A NOT NULL column without values (23502).
    Backfill,
    /// Rows with equal keys under a new unique index or constraint (23505).
    Deduplicate,
    /// Rows whose key matches no row of a new foreign key's parent (23503).
    MissingParents,
    /// Rows a new CHECK rejects (23514).
    CheckViolations,
    /// Values that do not convert to a new type or enum (class 22).
    Conversion,
    /// None: the key that failed (23503, 23505) is one the history declares and the seeder
    /// follows, and the forward changes no rows before it, so the seeder's own values broke
    /// it. Production rows met it when the migration was deployed.
    SyntheticValues,
}

impl DataFix {
    /// The fix for a failure with `sqlstate`, when the code tells.
    pub fn of(sqlstate: &str) -> Option<DataFix> {
        match sqlstate {
            "23502" => Some(DataFix::Backfill),
            "23505" => Some(DataFix::Deduplicate),
            "23503" => Some(DataFix::MissingParents),
            "23514" => Some(DataFix::CheckViolations),
            code if code.starts_with("22") => Some(DataFix::Conversion),
            _ => None,
        }
    }

    /// What the failure means for a populated database, as a sentence without its period
    /// (it starts lower-case: reports capitalise it where it opens a line).
    pub fn finding(self) -> String {
        let needs = match self {
            DataFix::Backfill => {
                "a backfill of the column (or a DEFAULT) before it is made NOT NULL, in this \
                 migration or one deployed before it"
            }
            DataFix::Deduplicate => "the duplicate rows merged or removed before the unique key",
            DataFix::MissingParents => {
                "the rows whose key matches no parent fixed, removed or given their parent \
                 before the foreign key"
            }
            DataFix::CheckViolations => "the rows the CHECK rejects fixed before it is added",
            DataFix::Conversion => {
                "the values that do not convert mapped (a USING expression, or an UPDATE before \
                 the change)"
            }
            DataFix::SyntheticValues => {
                return "an artefact of the synthetic rows, not a finding about this migration: \
                        the key that failed is one the history declares, which the seeder \
                        follows, and the forward changes none of its rows, so the seeder's own \
                        values broke it (a limit of the seeder; please report it)"
                    .to_string()
            }
        };
        format!("a populated database needs {needs}")
    }
}

/// One data difference, and after which phase it was seen (compared with the data before
/// the forward phase).
#[derive(Debug, Clone, Serialize)]
pub struct PhaseDataChange {
    pub after: Phase,
    #[serde(flatten)]
    pub change: DataChange,
}
