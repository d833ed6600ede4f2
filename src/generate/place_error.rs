//! What writing an undo where its tool keeps it can fail with: a down the tool runs in a
//! transaction the undo cannot run in, a down that cannot hold an undo in parts, a file that
//! is not unmigrate's to replace, a version that cannot come after the history.
//!
//! Every one is raised before anything is written, except [`PlaceError::Changed`], which
//! puts back what was written before it.

use std::path::PathBuf;

use crate::migrations::Layout;

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// A down its tool runs in a transaction, whose undo cannot run in one.
    #[error(
        "the undo of {source_name} needs {what}, which cannot run inside the transaction \
         {layout} runs this migration's down in; nothing was written: let the tool run it \
         outside one ({fix}), then generate again"
    )]
    DownInTransaction {
        source_name: String,
        layout: &'static str,
        what: &'static str,
        /// What to change, from [`Layout::transaction_opt_out`].
        fix: &'static str,
    },
    /// An undo in several parts (each `CONCURRENTLY` statement alone) where the tool keeps
    /// one down per migration, run as one script.
    #[error("{}", needs_parts(source_name, *parts, *layout))]
    DownNeedsParts {
        source_name: String,
        parts: usize,
        layout: Layout,
    },
    /// A migration its tool keeps no down for.
    #[error("{layout} keeps no down for {source_name}; nothing was written")]
    NoDown {
        source_name: String,
        layout: &'static str,
    },
    /// A down that is there already, and not to be replaced without being asked.
    #[error(
        "{}{}{}; nothing was written: {}",
        if *section { "the -- migrate:down section of " } else { "" },
        path.display(),
        match (*section, *by_hand) {
            (false, false) => " exists",
            (false, true) => " exists and unmigrate did not write it (or it was edited since)",
            (true, false) => " holds a down",
            (true, true) => " holds a down unmigrate did not write (or that was edited since)",
        },
        if *by_hand {
            "pass --force --discard-edits to replace it, losing its text (see it with --dry-run)"
        } else {
            "pass --force to replace it"
        }
    )]
    DownExists {
        path: PathBuf,
        by_hand: bool,
        /// A dbmate `-- migrate:down` section, not a file of its own.
        section: bool,
    },
    /// A new migration's file name is taken by a file that is not one of unmigrate's undos.
    #[error(
        "{} exists and unmigrate did not write it; nothing was written: move it away, then \
         generate again",
        path.display()
    )]
    NewFileTaken { path: PathBuf },
    /// `--force` over undo migrations of another shape than the new undo's.
    #[error(
        "{source_name} already has an undo in {} file(s) ({}) but the new one needs {new_count}; \
         nothing was written: delete the old undo files by hand, then run again",
        existing.len(),
        existing.join(", ")
    )]
    UndoShapeChanged {
        source_name: String,
        existing: Vec<String>,
        new_count: usize,
    },
    /// `--timestamp` at or before the newest version of a sqlx history.
    #[error(
        "--timestamp {requested} is not after version {version} ({newest}); sqlx applies \
         migrations in version order, so an undo must come after every existing one: pass a \
         timestamp after {version} or omit it"
    )]
    VersionTooOld {
        requested: i64,
        version: i64,
        newest: String,
    },
    /// No versions left after the newest one for the new migrations.
    #[error(
        "no room for {count} new {layout} version(s) after {newest}; nothing was written: \
         write the undo by hand"
    )]
    NoVersionLeft {
        layout: &'static str,
        newest: String,
        count: usize,
    },
    /// Text for a dbmate section with a line dbmate would cut the file at.
    #[error(
        "line {line} of the undo of {source_name} starts like a dbmate section marker (-- \
         migrate:up or -- migrate:down, inside a string the undo restores), so dbmate would cut \
         {} there; nothing was written: write this down by hand",
        path.display()
    )]
    MarkerInUndo {
        source_name: String,
        path: PathBuf,
        line: usize,
    },
    /// A file about to be replaced is no longer what was read when the undo was planned.
    #[error(
        "{} changed while the undo was generated; the files written before it were put back: \
         generate again",
        path.display()
    )]
    Changed { path: PathBuf },
}

/// Why an undo in `parts` files cannot be `layout`'s one down, and what to do instead.
fn needs_parts(source_name: &str, parts: usize, layout: Layout) -> String {
    let head = format!(
        "the undo of {source_name} needs {parts} files run one after the other (a statement \
         such as CREATE INDEX CONCURRENTLY must run alone), but"
    );
    let split = "split the migration so that each CONCURRENTLY statement is a migration of its \
                 own (its undo is then one file), or write this down by hand (explain --format \
                 json shows each statement's undo)";
    match layout {
        Layout::Prisma => format!(
            "{head} prisma db execute runs a down.sql as one script in one transaction; nothing \
             was written: generate it as undo folders (without --down-sql)"
        ),
        Layout::Flyway => format!(
            "{head} a U file is one migration, and Flyway refuses a migration that mixes \
             statements that can and cannot run in a transaction; nothing was written: pass \
             --forward to write it as new versioned migrations, each CONCURRENTLY statement in \
             one of its own"
        ),
        Layout::Dbmate => format!(
            "{head} dbmate runs a -- migrate:down section as one script; nothing was written: \
             {split}"
        ),
        other => {
            format!("{head} {other} runs a down file as one script; nothing was written: {split}")
        }
    }
}
