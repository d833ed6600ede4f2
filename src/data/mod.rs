//! Data in the scratch database: synthetic rows for seeded drills ([`mod@seed`]) and fingerprints
//! that tell whether data survived a phase ([`fingerprint`]). Both read the live catalog
//! ([`live`]), not the history's schema model, so they work for any schema, whatever built it.

pub mod fingerprint;
pub mod live;
pub mod seed;
mod values;

pub use fingerprint::{DataChange, Fingerprint};
pub use seed::{seed, Fill, SeedOutcome, SeededTable, UnseededTable};
