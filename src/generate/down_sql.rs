//! Each undo written where its migration's tool keeps a down, instead of as new Prisma undo
//! folders:
//!
//! - `generate --down-sql` in a Prisma history: the migration's own `down.sql`, for teams that
//!   follow Prisma's guide on down migrations (`prisma db execute --file …/down.sql`, then
//!   `prisma migrate resolve --rolled-back`);
//! - diesel, golang-migrate and sqlx (reversible): the migration's down file; Flyway: its
//!   `U<version>__<description>.sql` file (Flyway Teams' undo);
//! - dbmate: the migration file's `-- migrate:down` section (`dbmate.rs`);
//! - sqlx (simple), and Flyway with `--forward`: new forward migrations after the history
//!   (`new_migrations.rs`, `sqlx.rs`, `flyway.rs`).
//!
//! A tool runs a down as one script, so an undo that needs statements run alone (`CREATE INDEX
//! CONCURRENTLY`, several parts) cannot be a down: it is refused, and nothing is written. A
//! down unmigrate did not write, or that was edited since, is replaced only with `--force
//! --discard-edits`; one it wrote, as written, with `--force`; an empty or comment-only one
//! (which runs nothing) always. Every file is checked before any is written, a file is never
//! written over one that appeared or changed since it was read, and a failure while writing
//! puts back the ones already written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{verify, GenerateError, PlaceError, Plan, PlannedUndo};
use crate::migrations::{
    seal_state, History, Layout, Migration, MigrationsError, Overwrite, SealState, Timestamp,
    Transaction,
};
use crate::sql;

/// One file to write.
#[derive(Debug)]
pub struct DownFile {
    /// The forward migration it undoes.
    pub source: String,
    pub path: PathBuf,
    pub sql: String,
    /// The file it replaces, when there is one.
    pub replaces: Option<String>,
    /// What the file is to its tool.
    pub place: Place,
}

/// Where in its tool's layout an undo is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// The migration's own down file (`down.sql`, `.down.sql`, Flyway's `U…` file).
    DownFile,
    /// The `-- migrate:down` section of a dbmate migration file (the file is rewritten, its
    /// up section as it was).
    DownSection,
    /// A new forward migration after every existing one.
    NewMigration,
}

/// What the command line says about placing the undo.
#[derive(Debug, Clone, Copy)]
pub struct Placing {
    /// What an existing down or undo may be replaced as.
    pub overwrite: Overwrite,
    /// Flyway: new versioned migrations instead of `U…` files.
    pub forward: bool,
    /// sqlx (simple): the first new version (`--timestamp`).
    pub requested: Option<Timestamp>,
    pub now: Timestamp,
}

/// The file of every undo of the plan where its layout keeps it, checked against what is
/// there and `placing.overwrite`.
pub fn down_files(
    plan: &Plan,
    history: &History,
    placing: &Placing,
) -> Result<Vec<DownFile>, GenerateError> {
    verify(plan)?;
    match history.layout {
        Layout::Dbmate => super::dbmate::sections(plan, history, placing.overwrite),
        Layout::SqlxSimple => super::sqlx::new_migrations(plan, history, placing),
        Layout::Flyway if placing.forward => super::flyway::new_migrations(plan, history, placing),
        _ => plan
            .undos
            .iter()
            .map(|undo| own_file(plan, undo, history, placing.overwrite))
            .collect(),
    }
}

/// The undo of `undo.source` as the migration's own down file.
fn own_file(
    plan: &Plan,
    undo: &PlannedUndo,
    history: &History,
    overwrite: Overwrite,
) -> Result<DownFile, GenerateError> {
    let layout = history.layout;
    let mut sql = one_part(plan, undo, layout)?;
    let source = history
        .find(&undo.source)
        .expect("a planned undo's source is in its history");
    let path = layout
        .down_path(&history.dir, source)
        .ok_or_else(|| PlaceError::NoDown {
            source_name: undo.source.clone(),
            layout: layout.name(),
        })?;
    let blocked = blocking(&path, &sql)?;
    match layout {
        // sqlx judges a down by its own first line: the undo says it, where it needs it.
        Layout::SqlxReversible => {
            if blocked.is_some() {
                sql = super::sqlx::without_transaction(sql);
            }
        }
        // Flyway judges a file by its statements: one part never mixes both kinds.
        Layout::Flyway => {}
        _ => check_sent(undo, layout, sent(source), blocked)?,
    }
    let existing = source.down.as_deref().map(|down| down.sql.clone());
    if let Some(old) = &existing {
        let generated = match layout {
            Layout::SqlxReversible => crate::migrations::layouts::sqlx::after_no_transaction(old),
            _ => old,
        };
        check_replace(&path, false, generated, &sql, overwrite)?;
    }
    Ok(DownFile {
        source: undo.source.clone(),
        path,
        sql,
        replaces: existing,
        place: Place::DownFile,
    })
}

/// The text of an undo that a tool keeps as one down: its only part.
pub(super) fn one_part(
    plan: &Plan,
    undo: &PlannedUndo,
    layout: Layout,
) -> Result<String, GenerateError> {
    let [folder] = undo.folders.as_slice() else {
        return Err(PlaceError::DownNeedsParts {
            source_name: undo.source.clone(),
            parts: undo.folders.len(),
            layout,
        }
        .into());
    };
    plan.file(folder).map_err(GenerateError::Spool)
}

/// How the tool sends `m`'s down: as it sends the down it has, else as it sends `m`.
fn sent(m: &Migration) -> Transaction {
    m.down.as_deref().map_or(m.transaction, |d| d.transaction)
}

/// The first statement of a generated file that cannot run inside a transaction block.
pub(super) fn blocking(path: &Path, sql: &str) -> Result<Option<&'static str>, GenerateError> {
    let statements = sql::parse_file(path, sql)?;
    Ok(statements
        .iter()
        .find_map(|s| sql::blocks::outside_transaction_only(&s.node)))
}

/// Refuses an undo with a statement PostgreSQL cannot run in a transaction, where the tool
/// sends its down in one (diesel's, dbmate's by default).
pub(super) fn check_sent(
    undo: &PlannedUndo,
    layout: Layout,
    sent: Transaction,
    blocked: Option<&'static str>,
) -> Result<(), PlaceError> {
    match blocked {
        Some(what) if sent == Transaction::Wrapped => Err(PlaceError::DownInTransaction {
            source_name: undo.source.clone(),
            layout: layout.name(),
            what,
            fix: layout.transaction_opt_out(),
        }),
        _ => Ok(()),
    }
}

/// Whether a down holding `old` at `path` (in its dbmate `section`) may become `new` under
/// `overwrite`: unchanged, or empty or comment-only (it runs nothing: nothing of anybody's is
/// lost), always; as unmigrate wrote it, with `--force`; anything else only with `--force
/// --discard-edits`.
pub(super) fn check_replace(
    path: &Path,
    section: bool,
    old: &str,
    new: &str,
    overwrite: Overwrite,
) -> Result<(), PlaceError> {
    let runs_nothing = || sql::parse_file(path, old).is_ok_and(|s| s.is_empty());
    let intact = seal_state(old) == SealState::Intact;
    let allowed = match overwrite {
        Overwrite::DiscardEdits => true,
        Overwrite::Unedited => intact,
        Overwrite::Never => false,
    };
    if allowed || old == new || runs_nothing() {
        return Ok(());
    }
    Err(PlaceError::DownExists {
        path: path.to_path_buf(),
        by_hand: !intact,
        section,
    })
}

/// Writes every file, each through a temporary file renamed into place: a new file only
/// where none has appeared since it was planned, a replaced one only while it still holds
/// what it held then. When one fails, the ones already written are put back as they were
/// (or removed, if new).
pub fn write(files: &[DownFile]) -> Result<Vec<PathBuf>, GenerateError> {
    let mut done: Vec<&DownFile> = Vec::new();
    for file in files {
        if let Err(error) = write_one(file) {
            for written in done.iter().rev() {
                let _ = match &written.replaces {
                    Some(old) => fs::write(&written.path, old),
                    None => fs::remove_file(&written.path),
                };
            }
            return Err(error);
        }
        done.push(file);
    }
    Ok(files.iter().map(|f| f.path.clone()).collect())
}

fn write_one(file: &DownFile) -> Result<(), GenerateError> {
    let folder = file.path.parent().unwrap_or(Path::new("."));
    let io = |e: std::io::Error| GenerateError::Migrations(MigrationsError::io(&file.path)(e));
    let mut staged = tempfile::Builder::new()
        .prefix(".unmigrate-")
        .tempfile_in(folder)
        .map_err(io)?;
    staged.write_all(file.sql.as_bytes()).map_err(io)?;
    staged.as_file().sync_all().map_err(io)?;
    match &file.replaces {
        None => {
            staged
                .persist_noclobber(&file.path)
                .map_err(|e| match e.error.kind() {
                    std::io::ErrorKind::AlreadyExists => PlaceError::Changed {
                        path: file.path.clone(),
                    }
                    .into(),
                    _ => io(e.error),
                })?;
        }
        Some(old) => {
            let now = fs::read(&file.path).map_err(io)?;
            let bom = |t: &str| t.strip_prefix('\u{feff}').unwrap_or(t).to_string();
            if bom(&String::from_utf8_lossy(&now)) != bom(old) {
                return Err(PlaceError::Changed {
                    path: file.path.clone(),
                }
                .into());
            }
            staged.persist(&file.path).map_err(|e| io(e.error))?;
        }
    }
    Ok(())
}

/// How each file would change, as a unified diff (a new file: all of it), for `--dry-run`.
pub fn diffs(files: &[DownFile]) -> String {
    let mut out = String::new();
    for file in files {
        let old = file.replaces.as_deref().unwrap_or("");
        let path = file.path.display().to_string();
        let diff = similar::TextDiff::from_lines(old, &file.sql);
        let old_label = match file.replaces {
            Some(_) => path.clone(),
            None => "/dev/null".to_string(),
        };
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old_label, &path)
                .to_string(),
        );
        if file.replaces.as_deref() == Some(file.sql.as_str()) {
            out.push_str(&format!("{path}: unchanged\n"));
        }
    }
    out
}
