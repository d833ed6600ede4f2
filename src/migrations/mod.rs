//! A Prisma Migrate history on disk: reading it in the order Prisma applies it, checksums,
//! naming and timestamping new undo folders, and writing them atomically without ever
//! overwriting someone else's migration.
//!
//! Everything here is plain file handling: no SQL is parsed (that is [`crate::sql`]'s job).

mod apply_mode;
mod error;
mod history;
mod interrupt;
mod lookup;
mod naming;
mod order;
mod staging;
mod timestamp;
mod writer;

pub use apply_mode::ApplyMode;
pub use error::MigrationsError;
pub use history::{read_history, History, Migration, LOCK_FILE, MIGRATION_SQL};
pub use lookup::{Among, NameError};
pub use naming::{seal, undo_folder_name, undo_header, MAX_FOLDER_NAME_BYTES};
pub use order::prisma_name_order;
pub use staging::{interrupted_runs, recover_interrupted};
pub use timestamp::{choose_timestamps, Timestamp};
pub use writer::{normalise, write_folders, write_new_folders, NewFolder, NewFolders, Overwrite};

/// First line of every generated undo file is this marker followed by the source folder name.
/// It is how a later run recognises its own output (and so the only folders `--force` may
/// replace), so it must never change.
pub const UNDO_MARKER: &str = "-- unmigrate: undo of ";
