//! Drill scripts: one TOML file under `drills/` describes one drill.
//!
//! A script names a Prisma history, which of its migrations to drill, where the scratch
//! database is, and checks: SQL that the application runs, which must succeed (or fail) after
//! a phase. This module only reads and validates scripts; it talks to no database.
//!
//! ```toml
//! # drills/demo.toml
//! migrations = "demo/migrations"   # required; relative to this file's folder
//! undo_dir = "demo/undo"           # optional
//! apply_mode = "batch"             # optional: batch | split
//! trace = true                     # optional: locks, rewrites, scans, time per statement
//! probe = true                     # optional: and how long other sessions' reads/writes wait
//! seed = { rows = 1000 }           # optional: synthetic rows in every table
//!
//! [scope]                          # optional; default: every forward migration
//! last = 3                         # or: all = true, or: from = "…", to = "…"
//!
//! [database]                       # optional
//! url_env = "SHADOW_DATABASE_URL"  # or: url = "postgres://…"
//!
//! [timeouts]                       # optional
//! statement = "30s"
//! lock = "5s"
//!
//! [[check]]                        # zero or more
//! name = "old app lists posts"
//! sql = 'SELECT id, title, body FROM "Post"'
//! after = ["undo"]                 # default: ["forward", "undo", "reapply"]
//! migration = "20260202113000"     # optional: only at this migration
//! expect = "succeed"               # or "fail"; default "succeed"
//! ```
//!
//! Every key is documented on the field it fills: [`DrillScript`], [`Scope`], [`Timeouts`],
//! [`Check`]. Unknown keys are errors, so a typo never silently turns a check off.
//!
//! Migration names (`from`, `to`, a check's `migration`) are looked up as everywhere else: a
//! folder name, the name after its timestamp, or a unique start of one (see
//! [`History::resolve`]).
//!
//! The script model is here; the TOML layer (the file as written, and the checks that need no
//! history) is in `file`, the errors in `error`, and how the command line's flags and a
//! script make one drill's plan in `flags`.

mod error;
mod file;
mod flags;
#[cfg(test)]
mod tests;

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::drill::outcome::{Expectation, Phase};
use crate::migrations::ApplyMode;
use crate::migrations::{History, Migration};

pub use error::ScriptError;
pub(crate) use file::TimeoutsTable;
pub use flags::{plan, Flags};

/// A parsed and validated drill script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillScript {
    /// The script file itself, as given to [`DrillScript::load`].
    pub path: PathBuf,
    /// `migrations` (required): the Prisma history (`prisma/migrations`) to drill. A relative
    /// path is taken from the script's own folder, so a script works from any directory;
    /// this is the resolved path.
    pub migrations: PathBuf,
    /// `undo_dir`: where the committed undo folders live when they are not in `migrations`
    /// (resolved like `migrations`). Absent: committed undos are looked for in `migrations`.
    pub undo_dir: Option<PathBuf>,
    /// `apply_mode`: `"batch"` (the whole file in one implicit transaction, Prisma up to
    /// about 7.3) or `"split"` (statement by statement, Prisma from about 7.4). Absent: the
    /// `--apply-mode` flag decides.
    pub apply_mode: Option<ApplyMode>,
    /// `trace`: record what every drilled statement does: the locks it takes, tables it
    /// rewrites or scans, whether it runs in a transaction, and its duration. Absent: false
    /// (or the `--trace` flag).
    pub trace: bool,
    /// `probe`: also probe each traced statement's table with a read and a write from two
    /// other sessions, and report how long each waited (implies `trace`). Absent: false (or
    /// the `--probe` flag).
    pub probe: bool,
    /// `[scope]`: which forward migrations are drilled. Absent: all of them.
    pub scope: Scope,
    /// `[database]`: the server to make the scratch database on, resolved from `url` or from
    /// the environment variable `url_env` names (so passwords stay out of files). Absent: the
    /// `--database-url` flag, then `SHADOW_DATABASE_URL`, else an embedded PostgreSQL (never
    /// `DATABASE_URL` unless `url_env` names it).
    pub database_url: Option<crate::scratch::GivenUrl>,
    /// `time_zone`: the session `TimeZone` every drill session runs under. Absent: the
    /// `--time-zone` flag, else `America/St_Johns` (see [`crate::drill::DEFAULT_TIME_ZONE`]).
    pub time_zone: Option<String>,
    /// `[timeouts]`: session timeouts while the drill applies migrations.
    pub timeouts: Timeouts,
    /// `seed`: synthetic rows per table. Absent: the `--seed-rows` flag decides; without
    /// either, tables hold only the rows migrations insert.
    pub seed: Option<Seed>,
    /// `[[check]]`: SQL run after phases, in file order.
    pub checks: Vec<Check>,
}

/// `[scope]`: exactly one of `all = true`, `last = N`, or `from` and/or `to`.
///
/// Counts and names refer to forward migrations only: undo folders in the history are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "file::ScopeTable")]
pub enum Scope {
    /// `all = true` (the default when there is no `[scope]`): every forward migration.
    #[default]
    All,
    /// `last = N` (N ≥ 1): the last N forward migrations, or all of them if there are fewer
    /// (as `unmigrate generate --last N`).
    Last(usize),
    /// `from = "…"` and/or `to = "…"`: the forward migrations from `from` to `to`, both
    /// included; an absent end means the first or the last forward migration.
    Range {
        from: Option<String>,
        to: Option<String>,
    },
}

/// `[timeouts]`: the drill session's limits (see [`Timeouts`] for the syntax).
pub use crate::drill::apply::Timeouts;

/// `seed = { rows = N }`: fill every user table with N synthetic rows before the first
/// migration in scope, and tables still empty before each later one, so the drill meets
/// the data an empty database never has and checks which of it survives each undo (see
/// [`mod@crate::rows::seed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "file::SeedTable")]
pub struct Seed {
    /// `rows` (required, at least 1): rows per table.
    pub rows: u64,
}

/// `[[check]]`: SQL the application runs, which must succeed (or fail) after some phases.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "file::CheckTable")]
pub struct Check {
    /// `name` (required, unique in the script): how reports refer to the check.
    pub name: String,
    /// `sql` (required, not empty): run as one simple-protocol query; several statements may
    /// be separated by `;`.
    pub sql: String,
    /// `after`: the phases after which the check runs, from `"forward"`, `"undo"` and
    /// `"reapply"`. Default: all three; an empty list is an error.
    pub after: Vec<Phase>,
    /// `migration`: run the check only at this forward migration (named as in
    /// [`History::resolve`]). Absent: at every migration in scope.
    pub migration: Option<String>,
    /// `expect`: `"succeed"` (default) or `"fail"`, for a query that must stop working.
    pub expect: Expectation,
}

impl DrillScript {
    /// Reads and validates the script at `path`, resolving relative paths against its folder
    /// and the database URL against the environment.
    ///
    /// Migration names are checked against the history only by [`DrillScript::resolve_scope`]
    /// and [`resolve_checks`], since that needs the history read.
    pub fn load(path: &Path) -> Result<DrillScript, ScriptError> {
        // Drill scripts are TOML files; anything else given to `drill` is a mistake (a
        // `schema.prisma`, a `migration.sql`) that a TOML parse error would only obscure.
        if !path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            return Err(ScriptError::NotAScript {
                path: path.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
            path: path.into(),
            source,
        })?;
        Self::parse(path, &text, |var| std::env::var_os(var))
    }

    /// [`Scope::resolve`], with errors naming this script.
    pub fn resolve_scope(&self, history: &History) -> Result<Range<usize>, ScriptError> {
        self.scope
            .resolve(history)
            .map_err(|source| ScriptError::InScript {
                path: self.path.clone(),
                context: "[scope]".to_string(),
                source: Box::new(source),
            })
    }
}

impl Scope {
    /// The indexes, into [`History::forward`], of the migrations in scope. The range is empty
    /// only when the history has no forward migrations.
    pub fn resolve(&self, history: &History) -> Result<Range<usize>, ScriptError> {
        let count = history.forward().len();
        match self {
            Scope::All => Ok(0..count),
            Scope::Last(n) => Ok(count.saturating_sub(*n)..count),
            Scope::Range { from, to } => {
                let start = match from {
                    Some(name) => history.resolve_forward(name)?,
                    None => 0,
                };
                let Some(to) = to else {
                    return Ok(start..count);
                };
                let end = history.resolve_forward(to)?;
                if start > end {
                    let forward = history.forward();
                    return Err(ScriptError::FromAfterTo {
                        from: from.clone().unwrap_or_default(),
                        from_name: forward[start].name.clone(),
                        to: to.clone(),
                        to_name: forward[end].name.clone(),
                    });
                }
                Ok(start..end + 1)
            }
        }
    }
}

/// The checks with each `migration` resolved to its folder name, when every one names a
/// forward migration inside `scope` (indexes into [`History::forward`]). Errors name the
/// script the checks come from (`None`: a plan built without one), the check and the scope.
pub fn resolve_checks(
    script: Option<&Path>,
    checks: &[Check],
    history: &History,
    scope: &Range<usize>,
) -> Result<Vec<Check>, ScriptError> {
    let forward = history.forward();
    checks
        .iter()
        .map(|check| {
            let Some(name) = &check.migration else {
                return Ok(check.clone());
            };
            let index =
                history
                    .resolve_forward(name)
                    .map_err(|source| ScriptError::CheckMigration {
                        script: script.map(Path::to_path_buf),
                        check: check.name.clone(),
                        source: Box::new(source),
                    })?;
            if !scope.contains(&index) {
                return Err(ScriptError::CheckOutsideScope {
                    script: script.map(Path::to_path_buf),
                    check: check.name.clone(),
                    migration: forward[index].name.clone(),
                    scope: describe_scope(&forward, scope),
                });
            }
            Ok(Check {
                migration: Some(forward[index].name.clone()),
                ..check.clone()
            })
        })
        .collect()
}

/// "first … last", just "first" for one migration, or "empty".
fn describe_scope(forward: &[&Migration], scope: &Range<usize>) -> String {
    match &forward[scope.clone()] {
        [] => "empty".to_string(),
        [only] => only.name.clone(),
        [first, .., last] => format!("{} … {}", first.name, last.name),
    }
}
