//! Errors from reading a migration history and writing new folders into it.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in [`crate::migrations`]. Each message says what happened,
/// where, and what to do next.
#[derive(thiserror::Error, Debug)]
pub enum MigrationsError {
    #[error("migrations directory {} not found; pass the path to your prisma/migrations folder", dir.display())]
    DirNotFound { dir: PathBuf },

    #[error("{} is not a directory; pass the path to your prisma/migrations folder", dir.display())]
    NotADirectory { dir: PathBuf },

    #[error(
        "{} holds no migrations unmigrate recognises: not Prisma's (folders with \
         migration.sql), diesel's (folders with up.sql), golang-migrate's or sqlx's \
         (<version>_<name>.up.sql / .sql), dbmate's (-- migrate:up sections) nor Flyway's \
         (V<version>__<name>.sql); point at the migrations folder itself",
        dir.display()
    )]
    UnknownLayout { dir: PathBuf },

    /// A command that reads only Prisma histories, given another tool's.
    #[error(
        "{} is a {layout} history ({why}); `unmigrate drill` drills Prisma Migrate histories \
         only so far (explain and check read {layout} histories)",
        dir.display()
    )]
    OtherLayout {
        dir: PathBuf,
        layout: &'static str,
        why: String,
    },

    /// A layout whose reading is not built yet.
    #[error("{}: reading {layout} histories is not built yet; unmigrate reads Prisma histories", dir.display())]
    LayoutNotRead { layout: &'static str, dir: PathBuf },

    #[error(
        "{} has no `-- migrate:up` line, and dbmate refuses to apply it: put `-- migrate:up` \
         above the migration's statements and `-- migrate:down` above its rollback, or move \
         the file out of the migrations folder if it is not a migration",
        path.display()
    )]
    DbmateNoUp { path: PathBuf },

    #[error(
        "{}:{line}: SQL before the `-- migrate:up` line, which dbmate refuses; move it below \
         `-- migrate:up` (only blank lines and comments may come first)",
        path.display()
    )]
    DbmateBeforeUp { path: PathBuf, line: usize },

    #[error(
        "{}: no `-- migrate:down` line after `-- migrate:up` (line {up_line}), and dbmate \
         requires one; add `-- migrate:down` after the up section (the down section may be empty)",
        path.display()
    )]
    DbmateNoDown { path: PathBuf, up_line: usize },

    #[error(
        "{}:{line}: a second `-- migrate:{marker}` line; {what}",
        path.display(),
        what = if *marker == "up" {
            "unmigrate reads one up and one down section per dbmate file (dbmate applies each \
             pair in a transaction of its own): split the file into one migration per section"
        } else {
            "dbmate refuses two down sections after one up: remove one, or start a new \
             section with `-- migrate:up` above it"
        }
    )]
    DbmateSecondSection {
        path: PathBuf,
        line: usize,
        /// `up` or `down`.
        marker: &'static str,
    },

    #[error(
        "{} undoes version {version}, but no V{version}__<description>.sql has that version; \
         rename it to the version it undoes, or remove it",
        path.display()
    )]
    FlywayUndoWithoutMigration { path: PathBuf, version: String },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "folder {} has no migration.sql; Prisma treats every folder inside migrations/ as a \
         migration and `prisma migrate deploy` fails on it: add the file, or move the folder \
         out (is {} really your prisma/migrations folder?)",
        folder.display(),
        folder.parent().map(|p| p.display().to_string()).unwrap_or_default()
    )]
    MissingMigrationSql { folder: PathBuf },

    #[error(
        "{} is {kind}, not a regular file; unmigrate reads only plain files (a pipe would \
         block it forever): replace it with the file itself",
        path.display()
    )]
    NotARegularFile { path: PathBuf, kind: &'static str },

    #[error("{}:{line}:{column}: not valid UTF-8; re-save the file as UTF-8", path.display())]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },

    #[error("name {} is not valid UTF-8; rename it (migration tools record names as text)", path.display())]
    NonUtf8Name { path: PathBuf },

    #[error(
        "folder {} has no up.sql; diesel treats every folder inside its migrations folder \
         (but hidden ones) as a migration and refuses to run any: add the file, or move the \
         folder out (is {} really your diesel migrations folder?)",
        folder.display(),
        folder.parent().map(|p| p.display().to_string()).unwrap_or_default()
    )]
    MissingUpSql { folder: PathBuf },

    #[error(
        "{} is empty; diesel refuses to run an empty migration, so `diesel migration run` \
         stops there: put its SQL back (or `SELECT 1;` if it is meant to do nothing)",
        path.display()
    )]
    EmptyMigration { path: PathBuf },

    #[error(
        "{} and {} are both {what}: {consequence}; give one of them a version of its own",
        first.display(),
        second.display()
    )]
    DuplicateVersion {
        /// `version 1.0`, `the repeatable migration "views"`.
        what: String,
        first: PathBuf,
        second: PathBuf,
        /// What the tool does with the two, naming it: refuses the folder, keeps one, fails
        /// on the second.
        consequence: &'static str,
    },

    #[error(
        "{} has no up migration of its version, so {layout} never runs it: rename it after \
         its up file, or delete it",
        down.display()
    )]
    DownWithoutUp { layout: &'static str, down: PathBuf },

    #[error(
        "{}: \"{version}\" is not a version {layout} accepts ({reason}), and it refuses the \
         whole folder for it: rename the file <version>_<description>.sql, or move it out",
        path.display()
    )]
    InvalidVersion {
        layout: &'static str,
        path: PathBuf,
        version: String,
        reason: String,
    },

    #[error(
        "{}: provider is \"{provider}\", but unmigrate only supports PostgreSQL \
         (provider = \"postgresql\"); point it at a PostgreSQL migration history",
        lock_file.display()
    )]
    ProviderNotPostgres {
        lock_file: PathBuf,
        provider: String,
    },

    #[error(
        "{}: {reason}; expected a line like provider = \"postgresql\" (or delete the file and \
         let Prisma recreate it)",
        lock_file.display()
    )]
    LockFileMalformed { lock_file: PathBuf, reason: String },

    #[error("invalid timestamp \"{input}\": {reason}; use 14 digits YYYYMMDDhhmmss in UTC, e.g. 20240131235959")]
    InvalidTimestamp { input: String, reason: String },

    #[error(
        "timestamp {requested} is not newer than existing folder \"{newer}\"; Prisma applies \
         folders in name order, so an undo must sort after every existing folder: pass a \
         timestamp after {newer_ts} or omit it"
    )]
    TimestampTooOld {
        requested: String,
        newer: String,
        newer_ts: String,
    },

    #[error(
        "folder \"{folder}\" does not start with a timestamp, so no timestamped folder can sort \
         after it in Prisma's order; rename it with a YYYYMMDDhhmmss_ prefix"
    )]
    Unorderable { folder: String },

    #[error("no room for {count} timestamp(s) after {start} before year 10000")]
    TimestampOverflow { start: String, count: usize },

    #[error("invalid folder name \"{name}\": {reason}")]
    InvalidFolderName { name: String, reason: String },

    #[error("folder \"{name}\" is listed twice in one write; each new folder needs its own name")]
    DuplicateFolder { name: String },

    #[error(
        "new folder \"{name}\" does not start with the line \"{marker}<source>\"; every generated \
         file must carry it so later runs can recognise (and --force replace) their own output",
        marker = super::UNDO_MARKER
    )]
    MissingUndoMarker { name: String },

    #[error("{} already exists; pass --force to replace it", path.display())]
    TargetExists { path: PathBuf },

    #[error(
        "refusing to replace {} even with --force: {reason}; only folders written by unmigrate \
         (first line \"{marker}…\") are replaced; move it away by hand if it is really obsolete",
        path.display(),
        marker = super::UNDO_MARKER
    )]
    ForceRefused { path: PathBuf, reason: String },

    #[error(
        "refusing to replace {} with --force: {}; keep the edits (move the folder away or \
         commit them), or pass --discard-edits as well to replace it with a fresh undo",
        if folders.len() == 1 { "this hand-edited undo" } else { "these hand-edited undos" },
        folders.join(", ")
    )]
    HandEdited { folders: Vec<String> },

    #[error(
        "cannot create {}: its parent directory does not exist; create it or pass the path to \
         your prisma/migrations folder",
        dir.display()
    )]
    TargetParentMissing { dir: PathBuf },

    #[error(
        "moving {} to {} failed: {source}; {rollback}",
        from.display(),
        to.display()
    )]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
        /// What happened to the renames already done: restored, or what is left where.
        rollback: String,
    },

    #[error("interrupted by signal {signal} while writing the new folders; {outcome}")]
    Interrupted { signal: i32, outcome: String },

    /// A generated file could not be read back from the temporary file it waited in.
    #[error("cannot read back the generated {name} from its temporary file ({source}); nothing was written")]
    ReadBack {
        name: String,
        #[source]
        source: io::Error,
    },

    #[error("cannot handle Ctrl-C and SIGTERM while writing ({0}); nothing was written")]
    SignalHandler(String),

    #[error(
        "{} was left by an unmigrate run that was killed while writing, and cannot be cleaned \
         up: {reason}; put the folders it names back by hand, then delete it",
        path.display()
    )]
    StaleStaging { path: PathBuf, reason: String },

    #[error(
        "the new folders were written, but the temporary directory {} could not be removed \
         ({source}); delete it by hand",
        path.display()
    )]
    Cleanup {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl MigrationsError {
    /// Wraps an I/O error with the path it happened on, so the message says where.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| MigrationsError::Io { path, source }
    }
}
