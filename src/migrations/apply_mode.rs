//! How Prisma Migrate sends a history's files to the server: which Prisma version applies a
//! history decides what a migration may contain, for `explain` and for drills alike.

use serde::Serialize;

/// How a `migration.sql` file is sent to the server.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum ApplyMode {
    /// The whole file as one simple-protocol query: one implicit transaction (Prisma up to
    /// about 7.3). A failure rolls back the whole file; `CONCURRENTLY` fails unless alone.
    #[default]
    Batch,
    /// Statement by statement, each autocommitted (Prisma from about 7.4). A failure leaves
    /// the migration half-applied.
    Split,
}

impl std::fmt::Display for ApplyMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ApplyMode::Batch => "batch",
            ApplyMode::Split => "split",
        })
    }
}
