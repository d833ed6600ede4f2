//! Rollback drills: forward, undo and re-apply each migration on a scratch database and
//! compare schemas after every step.

pub mod apply;
mod cycle;
pub mod outcome;
pub mod script;
mod survival;

pub use cycle::{run, DrillError, DrillPlan, Progress};
