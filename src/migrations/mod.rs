//! A Prisma Migrate history on disk: reading it in the order Prisma applies it, checksums,
//! naming and timestamping new undo folders, and writing them atomically without ever
//! overwriting someone else's migration.
//!
//! Everything here is plain file handling: no SQL is parsed (that is [`crate::sql`]'s job),
//! except that the Flyway reader asks [`crate::sql`] whether a file holds a statement that
//! cannot run in a transaction, since Flyway decides how to send a file by parsing it.

mod apply_mode;
mod error;
mod history;
mod interrupt;
pub mod layouts;
mod lookup;
mod naming;
mod order;
mod staging;
mod timestamp;
mod writer;

pub use apply_mode::ApplyMode;
pub use error::MigrationsError;
pub use history::{
    read_history, Checksum, DownSql, History, Migration, Transaction, DOWN_SQL, LOCK_FILE,
    MIGRATION_SQL,
};
pub use layouts::{Layout, ToolRecord};
pub use lookup::{Among, NameError};
pub use naming::{
    seal, undo_folder_name, undo_header, Sealed, Sha256Text, MAX_FOLDER_NAME_BYTES, SEAL_LINE_LEN,
};
pub(crate) use naming::{seal_state, undo_source, without_seal, SealState};
pub use order::prisma_name_order;
pub use staging::{interrupted_runs, recover_interrupted};
pub use timestamp::{choose_timestamps, Timestamp};
pub use writer::{normalise, write_folders, write_new_folders, NewFolder, NewFolders, Overwrite};

/// First line of every generated undo file is this marker followed by the source folder name.
/// It is how a later run recognises its own output (and so the only folders `--force` may
/// replace), so it must never change.
pub const UNDO_MARKER: &str = "-- unmigrate: undo of ";

/// A temporary folder holding `files` (paths relative to it; folders are made as needed), for
/// tests of readers, detection and `.env` lookup.
#[cfg(test)]
pub(crate) fn test_files(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    for (path, text) in files {
        let path = tmp.path().join(path);
        std::fs::create_dir_all(path.parent().expect("inside the folder")).expect("its folders");
        std::fs::write(path, text).expect("the file");
    }
    tmp
}

/// A history on disk for tests: each folder with a `migration.sql` of `SELECT 1;`, or, written
/// `"<folder> undoes <source>"`, an undo folder of that source (its header names it).
#[cfg(test)]
pub(crate) fn test_history(folders: &[&str]) -> (tempfile::TempDir, History) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    for folder in folders {
        let (folder, source) = match folder.split_once(" undoes ") {
            Some((folder, source)) => (folder, Some(source)),
            None => (*folder, None),
        };
        let sql = match source {
            Some(source) => format!("{UNDO_MARKER}{source}\nSELECT 1;\n"),
            None => "SELECT 1;\n".to_string(),
        };
        std::fs::create_dir(tmp.path().join(folder)).expect("a folder");
        std::fs::write(tmp.path().join(folder).join(MIGRATION_SQL), sql).expect("its file");
    }
    let history = read_history(tmp.path()).expect("a history");
    (tmp, history)
}
