//! The rows of a scratch database, for drills: synthetic rows for seeded drills
//! ([`mod@seed`], which follows the keys the history declares: [`hints`]) and fingerprints
//! of the rows that tell whether data survived a phase ([`fingerprint`]). Both read the live
//! catalog ([`live`]), not the history's schema model, so they work for any schema, whatever
//! built it. Named for what it handles (rows in a live database), not `data`: the undo of
//! data statements (`INSERT`, `UPDATE`, …) is [`crate::undo`]'s `data.rs`, which never sees a
//! row.

pub mod fingerprint;
pub mod hints;
pub mod live;
mod partitions;
mod plan;
pub mod reach;
pub mod seed;
mod shapes;
mod values;

pub use fingerprint::{DataChange, Fingerprint};
pub use hints::Hints;
pub use seed::{seed, Fill, SeedOutcome, SeededTable, Tried, UnseededTable};
