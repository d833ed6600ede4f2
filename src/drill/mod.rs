//! Rollback drills: forward, undo and re-apply each migration on a scratch database and
//! compare schemas after every step.

pub mod apply;
mod cycle;
pub mod outcome;
mod reach;
pub mod script;
mod shards;
mod survival;

pub mod rollback;

pub use cycle::{
    rollback_all, DrillError, DrillPlan, Progress, UndoChoice, BOOKKEEPING_SETTING,
    DEFAULT_TIME_ZONE,
};
pub use shards::{default_jobs, run};
