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
//! Migration names (`from`, `to`, a check's `migration`) are a full folder name or a unique
//! prefix of one, such as its 14-digit timestamp; see [`resolve_migration_name`].

use std::collections::HashSet;
use std::ffi::OsString;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::drill::apply::ApplyMode;
use crate::drill::outcome::{Expectation, Phase};
use crate::migrations::{History, Migration};

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
    pub database_url: Option<String>,
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
#[serde(try_from = "ScopeTable")]
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
/// [`crate::data::seed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SeedTable")]
pub struct Seed {
    /// `rows` (required, at least 1): rows per table.
    pub rows: u64,
}

/// `[[check]]`: SQL the application runs, which must succeed (or fail) after some phases.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "CheckTable")]
pub struct Check {
    /// `name` (required, unique in the script): how reports refer to the check.
    pub name: String,
    /// `sql` (required, not empty): run as one simple-protocol query; several statements may
    /// be separated by `;`.
    pub sql: String,
    /// `after`: the phases after which the check runs, from `"forward"`, `"undo"` and
    /// `"reapply"`. Default: all three; an empty list is an error.
    pub after: Vec<Phase>,
    /// `migration`: run the check only at this forward migration (a folder name or a unique
    /// prefix of one). Absent: at every migration in scope.
    pub migration: Option<String>,
    /// `expect`: `"succeed"` (default) or `"fail"`, for a query that must stop working.
    pub expect: Expectation,
}

/// A drill script that cannot be read or does not make sense. Each message says where and
/// what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read drill script {}: {source}; check the path", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The TOML is malformed, or a key is unknown, of the wrong type or has a bad value.
    #[error(
        "{}{}: {message}",
        path.display(),
        position.map(|(line, column)| format!(":{line}:{column}")).unwrap_or_default()
    )]
    Invalid {
        path: PathBuf,
        /// 1-based line and column (in characters), when TOML reported where.
        position: Option<(usize, usize)>,
        message: String,
    },

    #[error(
        "{}: no `migrations` key; add migrations = \"<path to prisma/migrations>\", relative \
         to the script's folder",
        path.display()
    )]
    MissingMigrations { path: PathBuf },

    #[error(
        "{}: two checks are named \"{name}\"; give each check its own name so reports can tell \
         them apart",
        path.display()
    )]
    DuplicateCheck { path: PathBuf, name: String },

    #[error(
        "{}: [database] url_env names {var}, which {problem}; export {var}=postgres://… before \
         running the drill, or remove [database] to use --database-url",
        path.display()
    )]
    DatabaseEnv {
        path: PathBuf,
        var: String,
        /// "is not set", "is empty" or "is not valid UTF-8".
        problem: &'static str,
    },

    #[error(
        "empty migration name; write a folder name or a unique prefix of one, such as its \
         14-digit timestamp"
    )]
    EmptyMigrationName,

    #[error(
        "no forward migrations to find \"{name}\" in; check that `migrations` points at the \
         prisma/migrations folder"
    )]
    NoForwardMigrations { name: String },

    #[error(
        "no forward migration in {} is named or starts with \"{name}\"; write a folder name \
         (ls {}) or a unique prefix of one, such as its 14-digit timestamp",
        dir.display(),
        dir.display()
    )]
    UnknownMigration { name: String, dir: PathBuf },

    #[error(
        "\"{name}\" matches the start of {} forward migrations ({}); write more of the name",
        matches.len(),
        list_names(matches)
    )]
    AmbiguousMigration { name: String, matches: Vec<String> },

    #[error(
        "`from` \"{from}\" ({from_name}) comes after `to` \"{to}\" ({to_name}) in the order \
         Prisma applies them; swap the two"
    )]
    FromAfterTo {
        from: String,
        from_name: String,
        to: String,
        to_name: String,
    },

    #[error(
        "{}: check \"{check}\" runs only at {migration}, which is outside the drill's scope \
         ({scope}); widen [scope] or name a migration inside it",
        path.display()
    )]
    CheckOutsideScope {
        path: PathBuf,
        check: String,
        migration: String,
        /// The scope's first and last migration, or "empty".
        scope: String,
    },

    /// An error about a migration name, with the script and the key that named it.
    #[error("{}: {context}: {source}", path.display())]
    InScript {
        path: PathBuf,
        /// Where in the script: "[scope]" or "check \"…\" migration".
        context: String,
        #[source]
        source: Box<ScriptError>,
    },
}

impl DrillScript {
    /// Reads and validates the script at `path`, resolving relative paths against its folder
    /// and the database URL against the environment.
    ///
    /// Migration names are checked against the history only by [`DrillScript::resolve_scope`]
    /// and [`DrillScript::validate_checks`], since that needs the history read.
    pub fn load(path: &Path) -> Result<DrillScript, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
            path: path.into(),
            source,
        })?;
        Self::parse(path, &text, |var| std::env::var_os(var))
    }

    /// [`DrillScript::load`] on text already read, with `env` standing in for the
    /// environment (so tests need not set variables of the whole process).
    fn parse(
        path: &Path,
        text: &str,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<DrillScript, ScriptError> {
        let file: ScriptFile =
            toml::from_str(text).map_err(|e| ScriptError::invalid(path, text, &e))?;
        let folder = path.parent().unwrap_or(Path::new(""));
        let migrations = file
            .migrations
            .ok_or_else(|| ScriptError::MissingMigrations { path: path.into() })?;
        check_distinct_names(path, &file.checks)?;
        let database_url = match file.database {
            None => None,
            Some(DatabaseSource::Url(url)) => Some(url),
            Some(DatabaseSource::Env(var)) => Some(url_from_env(path, &var, env)?),
        };
        Ok(DrillScript {
            path: path.into(),
            migrations: folder.join(migrations),
            undo_dir: file.undo_dir.map(|dir| folder.join(dir)),
            apply_mode: file.apply_mode,
            trace: file.trace,
            probe: file.probe,
            scope: file.scope,
            database_url,
            timeouts: file.timeouts,
            seed: file.seed,
            checks: file.checks,
        })
    }

    /// [`Scope::resolve`], with errors naming this script.
    pub fn resolve_scope(&self, history: &History) -> Result<Range<usize>, ScriptError> {
        self.scope
            .resolve(history)
            .map_err(|e| self.in_script("[scope]".to_string(), e))
    }

    /// Checks that every check's `migration` names a forward migration inside the scope.
    pub fn validate_checks(&self, history: &History) -> Result<(), ScriptError> {
        let forward = forward_migrations(history);
        let scope = self.resolve_scope(history)?;
        for check in &self.checks {
            let Some(name) = &check.migration else {
                continue;
            };
            let index = resolve_migration_name(&forward, name)
                .map_err(|e| self.in_script(format!("check \"{}\" migration", check.name), e))?;
            if !scope.contains(&index) {
                return Err(ScriptError::CheckOutsideScope {
                    path: self.path.clone(),
                    check: check.name.clone(),
                    migration: forward[index].name.clone(),
                    scope: describe_scope(&forward, &scope),
                });
            }
        }
        Ok(())
    }

    fn in_script(&self, context: String, source: ScriptError) -> ScriptError {
        ScriptError::InScript {
            path: self.path.clone(),
            context,
            source: Box::new(source),
        }
    }
}

impl Scope {
    /// The indexes, into [`forward_migrations`] of `history`, of the migrations in scope.
    /// The range is empty only when the history has no forward migrations.
    pub fn resolve(&self, history: &History) -> Result<Range<usize>, ScriptError> {
        let forward = forward_migrations(history);
        let count = forward.len();
        match self {
            Scope::All => Ok(0..count),
            Scope::Last(n) => Ok(count.saturating_sub(*n)..count),
            Scope::Range { from, to } => {
                let start = match from {
                    Some(name) => resolve_migration_name(&forward, name)?,
                    None => 0,
                };
                let Some(to) = to else {
                    return Ok(start..count);
                };
                let end = resolve_migration_name(&forward, to)?;
                if start > end {
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

/// The forward migrations of `history` (undo folders skipped), in the order Prisma applies
/// them: what [`Scope::resolve`] indexes into.
pub fn forward_migrations(history: &History) -> Vec<&Migration> {
    history
        .migrations
        .iter()
        .filter(|m| m.undo_of.is_none())
        .collect()
}

/// The index in `forward` of the migration `name` names: the folder with exactly that name,
/// else the only folder whose name starts with it (so `20260202113000` is enough).
pub fn resolve_migration_name(forward: &[&Migration], name: &str) -> Result<usize, ScriptError> {
    if name.is_empty() {
        return Err(ScriptError::EmptyMigrationName);
    }
    let Some(first) = forward.first() else {
        return Err(ScriptError::NoForwardMigrations { name: name.into() });
    };
    if let Some(index) = forward.iter().position(|m| m.name == name) {
        return Ok(index);
    }
    let matches: Vec<usize> = (0..forward.len())
        .filter(|&i| forward[i].name.starts_with(name))
        .collect();
    match matches.as_slice() {
        [index] => Ok(*index),
        [] => Err(ScriptError::UnknownMigration {
            name: name.into(),
            dir: first.dir.parent().unwrap_or(Path::new("")).into(),
        }),
        _ => Err(ScriptError::AmbiguousMigration {
            name: name.into(),
            matches: matches.iter().map(|&i| forward[i].name.clone()).collect(),
        }),
    }
}

impl ScriptError {
    /// A TOML error, at the line and column TOML reported.
    fn invalid(path: &Path, text: &str, error: &toml::de::Error) -> ScriptError {
        ScriptError::Invalid {
            path: path.into(),
            position: error.span().map(|span| line_column(text, span.start)),
            message: error.message().trim_end().to_string(),
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Up to five names, then how many more.
fn list_names(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut list = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(", and {} more", names.len() - SHOWN));
    }
    list
}

/// "first … last", just "first" for one migration, or "empty".
fn describe_scope(forward: &[&Migration], scope: &Range<usize>) -> String {
    match &forward[scope.clone()] {
        [] => "empty".to_string(),
        [only] => only.name.clone(),
        [first, .., last] => format!("{} … {}", first.name, last.name),
    }
}

fn check_distinct_names(path: &Path, checks: &[Check]) -> Result<(), ScriptError> {
    let mut seen = HashSet::new();
    match checks.iter().find(|c| !seen.insert(c.name.as_str())) {
        Some(check) => Err(ScriptError::DuplicateCheck {
            path: path.into(),
            name: check.name.clone(),
        }),
        None => Ok(()),
    }
}

fn url_from_env(
    path: &Path,
    var: &str,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<String, ScriptError> {
    let problem = match env(var).map(OsString::into_string) {
        Some(Ok(url)) if !url.is_empty() => return Ok(url),
        Some(Ok(_)) => "is empty",
        Some(Err(_)) => "is not valid UTF-8",
        None => "is not set",
    };
    Err(ScriptError::DatabaseEnv {
        path: path.into(),
        var: var.into(),
        problem,
    })
}

/// The file as written; semantic checks that need no history run in the `TryFrom`s below, so
/// TOML reports their line too.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    #[serde(default, deserialize_with = "folder")]
    migrations: Option<PathBuf>,
    #[serde(default, deserialize_with = "folder")]
    undo_dir: Option<PathBuf>,
    apply_mode: Option<ApplyMode>,
    #[serde(default)]
    trace: bool,
    #[serde(default)]
    probe: bool,
    #[serde(default)]
    scope: Scope,
    database: Option<DatabaseSource>,
    #[serde(default)]
    timeouts: Timeouts,
    seed: Option<Seed>,
    #[serde(default, rename = "check")]
    checks: Vec<Check>,
}

/// A path that is not empty (an empty one would silently mean the script's own folder).
fn folder<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    let path = String::deserialize(d)?;
    if path.trim().is_empty() {
        return Err(D::Error::custom(
            "empty path; write the folder relative to the script's folder, e.g. \
             \"demo/migrations\"",
        ));
    }
    Ok(Some(path.into()))
}

/// A migration name that is not empty (an empty prefix would match every folder).
fn migration_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    if name.is_empty() {
        return Err(D::Error::custom(ScriptError::EmptyMigrationName));
    }
    Ok(Some(name))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeTable {
    all: Option<bool>,
    last: Option<usize>,
    #[serde(default, deserialize_with = "migration_name")]
    from: Option<String>,
    #[serde(default, deserialize_with = "migration_name")]
    to: Option<String>,
}

const SCOPE_FORMS: &str = "write exactly one of all = true, last = N, or from = \"…\" and/or \
                           to = \"…\"";

impl TryFrom<ScopeTable> for Scope {
    type Error = String;

    fn try_from(t: ScopeTable) -> Result<Scope, String> {
        let range = t.from.is_some() || t.to.is_some();
        let forms: Vec<&str> = [
            (t.all.is_some(), "all"),
            (t.last.is_some(), "last"),
            (range, "from/to"),
        ]
        .into_iter()
        .filter_map(|(given, key)| given.then_some(key))
        .collect();
        if forms.len() > 1 {
            return Err(format!(
                "[scope] mixes {}; {SCOPE_FORMS}",
                forms.join(" and ")
            ));
        }
        match (t.all, t.last) {
            (Some(true), _) => Ok(Scope::All),
            (Some(false), _) => Err(format!(
                "[scope] all = false selects nothing; {SCOPE_FORMS}"
            )),
            (None, Some(0)) => Err(
                "[scope] last = 0 selects nothing; write last = 1 or more, or remove [scope] to \
                 drill every migration"
                    .to_string(),
            ),
            (None, Some(n)) => Ok(Scope::Last(n)),
            (None, None) if range => Ok(Scope::Range {
                from: t.from,
                to: t.to,
            }),
            (None, None) => Err(format!(
                "[scope] is empty; {SCOPE_FORMS} (or remove [scope] to drill every migration)"
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseTable {
    url: Option<String>,
    url_env: Option<String>,
}

#[derive(Deserialize)]
#[serde(try_from = "DatabaseTable")]
enum DatabaseSource {
    Url(String),
    /// The name of the environment variable holding the URL.
    Env(String),
}

impl TryFrom<DatabaseTable> for DatabaseSource {
    type Error = &'static str;

    fn try_from(t: DatabaseTable) -> Result<DatabaseSource, &'static str> {
        match (t.url, t.url_env) {
            (Some(_), Some(_)) => Err("[database] has both url and url_env; keep one \
                                       (url_env keeps the password out of the file)"),
            (Some(url), None) if !url.trim().is_empty() => Ok(DatabaseSource::Url(url)),
            (None, Some(var)) if !var.trim().is_empty() => Ok(DatabaseSource::Env(var)),
            (Some(_), None) | (None, Some(_)) => Err("[database] has an empty value; write \
                                                      url = \"postgres://…\" or url_env = \
                                                      \"<variable name>\""),
            (None, None) => Err(
                "[database] is empty; write url_env = \"<variable name>\" or \
                                 url = \"postgres://…\", or remove [database] to use \
                                 --database-url",
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeoutsTable {
    statement: Option<String>,
    lock: Option<String>,
}

impl TryFrom<TimeoutsTable> for Timeouts {
    type Error = String;

    fn try_from(t: TimeoutsTable) -> Result<Timeouts, String> {
        for (key, value) in [("statement", &t.statement), ("lock", &t.lock)] {
            match value {
                Some(value) if !is_time_setting(value) => {
                    return Err(format!(
                        "[timeouts] {key} = \"{value}\" is not a PostgreSQL time setting; write \
                         a number with an optional unit us, ms, s, min, h or d, e.g. \"30s\" \
                         (a bare number is milliseconds)"
                    ))
                }
                _ => {}
            }
        }
        Ok(Timeouts {
            statement: t.statement,
            lock: t.lock,
        })
    }
}

/// Whether `value` is what PostgreSQL accepts for a time setting such as `statement_timeout`:
/// a non-negative number, then optionally a unit (case-sensitive, as in PostgreSQL). Checked
/// here so the value can be sent as a quoted literal without surprises.
fn is_time_setting(value: &str) -> bool {
    let value = value.trim();
    let number_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(number_end);
    number.parse::<f64>().is_ok()
        && ["", "us", "ms", "s", "min", "h", "d"].contains(&unit.trim_start())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedTable {
    rows: Option<u64>,
}

impl TryFrom<SeedTable> for Seed {
    type Error = &'static str;

    fn try_from(t: SeedTable) -> Result<Seed, &'static str> {
        match t.rows {
            Some(0) => Err("seed rows = 0 seeds nothing; write rows = 1 or more, or remove seed"),
            Some(rows) => Ok(Seed { rows }),
            None => Err("seed has no rows; write seed = { rows = N }"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckTable {
    name: String,
    sql: String,
    after: Option<Vec<Phase>>,
    #[serde(default, deserialize_with = "migration_name")]
    migration: Option<String>,
    expect: Option<Expectation>,
}

impl TryFrom<CheckTable> for Check {
    type Error = String;

    fn try_from(t: CheckTable) -> Result<Check, String> {
        if t.name.trim().is_empty() {
            return Err("[[check]] has an empty name; name it after what it proves".to_string());
        }
        if t.sql.trim().is_empty() {
            return Err(format!(
                "check \"{}\" has empty sql; write the query the application runs",
                t.name
            ));
        }
        let mut after = t.after.unwrap_or_else(|| Phase::ALL.to_vec());
        if after.is_empty() {
            return Err(format!(
                "check \"{}\" has after = [], so it never runs; list phases from \"forward\", \
                 \"undo\", \"reapply\", or remove `after` to run it after all three",
                t.name
            ));
        }
        let mut seen = HashSet::new();
        after.retain(|phase| seen.insert(*phase));
        Ok(Check {
            name: t.name,
            sql: t.sql,
            after,
            migration: t.migration,
            expect: t.expect.unwrap_or(Expectation::Succeed),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::migrations::{read_history, MIGRATION_SQL, UNDO_MARKER};

    fn parse(text: &str) -> Result<DrillScript, ScriptError> {
        DrillScript::parse(Path::new("/repo/drills/demo.toml"), text, |_| None)
    }

    fn parse_err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    /// A history with these folders; names starting with `undo:` become undo folders of the
    /// migration named after the colon.
    fn history(names: &[&str]) -> (tempfile::TempDir, History) {
        let tmp = tempfile::tempdir().unwrap();
        for (i, name) in names.iter().enumerate() {
            let (folder, sql) = match name.strip_prefix("undo:") {
                Some(source) => (
                    format!("20240101000{i:03}_undo"),
                    format!("{UNDO_MARKER}{source}\nSELECT 1;\n"),
                ),
                None => (name.to_string(), "SELECT 1;\n".to_string()),
            };
            fs::create_dir(tmp.path().join(&folder)).unwrap();
            fs::write(tmp.path().join(&folder).join(MIGRATION_SQL), sql).unwrap();
        }
        let history = read_history(tmp.path()).unwrap();
        (tmp, history)
    }

    fn demo_history() -> (tempfile::TempDir, History) {
        history(&[
            "20240101000000_a",
            "20240101000001_b",
            "20240101000002_c",
            "undo:20240101000002_c",
            "20240201000000_d",
        ])
    }

    fn scope(text: &str) -> Scope {
        parse(&format!("migrations = \"m\"\n[scope]\n{text}"))
            .unwrap()
            .scope
    }

    #[test]
    fn full_script() {
        let text = r#"
migrations = "demo/migrations"
undo_dir = "demo/undo"
apply_mode = "split"
trace = true
seed = { rows = 50 }

[scope]
last = 3

[database]
url_env = "SHADOW_DATABASE_URL"

[timeouts]
statement = "30s"
lock = "5s"

[[check]]
name = "old app lists posts"
sql = 'SELECT id, title, body FROM "Post"'
after = ["forward", "undo"]
migration = "20260202113000_rename_post_body_to_content"
expect = "fail"

[[check]]
name = "users"
sql = 'SELECT 1 FROM "User"'
"#;
        let env = |var: &str| (var == "SHADOW_DATABASE_URL").then(|| "postgres://x/y".into());
        let script = DrillScript::parse(Path::new("/repo/drills/demo.toml"), text, env).unwrap();
        assert_eq!(
            script,
            DrillScript {
                path: "/repo/drills/demo.toml".into(),
                migrations: "/repo/drills/demo/migrations".into(),
                undo_dir: Some("/repo/drills/demo/undo".into()),
                apply_mode: Some(ApplyMode::Split),
                trace: true,
                probe: false,
                scope: Scope::Last(3),
                database_url: Some("postgres://x/y".into()),
                timeouts: Timeouts {
                    statement: Some("30s".into()),
                    lock: Some("5s".into()),
                },
                seed: Some(Seed { rows: 50 }),
                checks: vec![
                    Check {
                        name: "old app lists posts".into(),
                        sql: r#"SELECT id, title, body FROM "Post""#.into(),
                        after: vec![Phase::Forward, Phase::Undo],
                        migration: Some("20260202113000_rename_post_body_to_content".into()),
                        expect: Expectation::Fail,
                    },
                    Check {
                        name: "users".into(),
                        sql: r#"SELECT 1 FROM "User""#.into(),
                        after: Phase::ALL.to_vec(),
                        migration: None,
                        expect: Expectation::Succeed,
                    },
                ],
            }
        );
    }

    #[test]
    fn defaults() {
        let script = parse("migrations = \"/abs/migrations\"\n").unwrap();
        assert_eq!(script.migrations, Path::new("/abs/migrations"));
        assert_eq!(script.undo_dir, None);
        assert_eq!(script.apply_mode, None);
        assert!(!script.trace);
        assert_eq!(script.scope, Scope::All);
        assert_eq!(script.database_url, None);
        assert_eq!(script.timeouts, Timeouts::default());
        assert_eq!(script.seed, None);
        assert!(script.checks.is_empty());
    }

    #[test]
    fn scope_forms() {
        assert_eq!(scope("all = true"), Scope::All);
        assert_eq!(scope("last = 2"), Scope::Last(2));
        assert_eq!(
            scope("from = \"2024\""),
            Scope::Range {
                from: Some("2024".into()),
                to: None
            }
        );
        assert_eq!(
            scope("to = \"2024\""),
            Scope::Range {
                from: None,
                to: Some("2024".into())
            }
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_script_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let script_path = tmp.path().join("demo.toml");
        fs::write(&script_path, "migrations = \"demo/migrations\"\n").unwrap();
        let script = DrillScript::load(&script_path).unwrap();
        assert_eq!(script.migrations, tmp.path().join("demo/migrations"));

        let bare = parse_in(Path::new("demo.toml"), "migrations = \"m\"\n");
        assert_eq!(bare.migrations, Path::new("m"));
    }

    fn parse_in(path: &Path, text: &str) -> DrillScript {
        DrillScript::parse(path, text, |_| None).unwrap()
    }

    #[test]
    fn unreadable_file_names_it() {
        let err = DrillScript::load(Path::new("/nonexistent/drill.toml")).unwrap_err();
        assert!(matches!(err, ScriptError::Read { .. }));
        assert!(err.to_string().contains("/nonexistent/drill.toml"), "{err}");
    }

    #[test]
    fn unknown_key_reports_file_line_and_column() {
        let err = parse_err("migrations = \"m\"\n\n[scope]\nlats = 3\n");
        assert!(err.starts_with("/repo/drills/demo.toml:4:1: "), "{err}");
        assert!(err.contains("unknown field `lats`"), "{err}");
        assert!(err.contains("`last`"), "lists the keys it expected: {err}");

        let err =
            parse_err("migrations = \"m\"\n[[check]]\nname = \"a\"\nsql = \"x\"\nafterr = []\n");
        assert!(err.starts_with("/repo/drills/demo.toml:5:1: "), "{err}");
    }

    #[test]
    fn malformed_toml_and_bad_values_report_lines() {
        let err = parse_err("migrations = \"m\"\napply_mode = \"batched\"\n");
        assert!(err.starts_with("/repo/drills/demo.toml:2:"), "{err}");
        assert!(err.contains("split"), "{err}");

        let err = parse_err("migrations = \"m\"\n[scope\n");
        assert!(err.starts_with("/repo/drills/demo.toml:2:"), "{err}");

        let err = parse_err(
            "migrations = \"m\"\n[[check]]\nname = \"a\"\nsql = \"x\"\nafter = [\"backward\"]\n",
        );
        assert!(err.starts_with("/repo/drills/demo.toml:5:"), "{err}");
    }

    #[test]
    fn missing_or_empty_migrations() {
        let err = parse("undo_dir = \"u\"\n").unwrap_err();
        assert!(
            matches!(err, ScriptError::MissingMigrations { .. }),
            "{err}"
        );
        let err = parse_err("migrations = \"\"\n");
        assert!(err.contains(":1:") && err.contains("empty path"), "{err}");
    }

    #[test]
    fn seed_needs_rows() {
        let err = parse_err("migrations = \"m\"\nseed = { rows = 0 }\n");
        assert!(err.contains("rows = 0 seeds nothing"), "{err}");
        let err = parse_err("migrations = \"m\"\nseed = {}\n");
        assert!(err.contains("seed = { rows = N }"), "{err}");
        let err = parse_err("migrations = \"m\"\nseed = { row = 3 }\n");
        assert!(err.contains("unknown field `row`"), "{err}");
    }

    #[test]
    fn two_scope_forms_are_an_error() {
        let err = parse_err("migrations = \"m\"\n[scope]\nlast = 3\nfrom = \"2024\"\n");
        assert!(err.contains("mixes last and from/to"), "{err}");
        assert!(err.contains("write exactly one of"), "{err}");
        assert!(err.starts_with("/repo/drills/demo.toml:"), "{err}");
        let err = parse_err("migrations = \"m\"\n[scope]\nall = true\nlast = 1\n");
        assert!(err.contains("mixes all and last"), "{err}");
    }

    #[test]
    fn empty_or_pointless_scope_is_an_error() {
        let err = parse_err("migrations = \"m\"\n[scope]\nlast = 0\n");
        assert!(err.contains("last = 0 selects nothing"), "{err}");
        let err = parse_err("migrations = \"m\"\n[scope]\nall = false\n");
        assert!(err.contains("all = false"), "{err}");
        let err = parse_err("migrations = \"m\"\n[scope]\n");
        assert!(err.contains("[scope] is empty"), "{err}");
        let err = parse_err("migrations = \"m\"\n[scope]\nfrom = \"\"\n");
        assert!(err.contains("empty migration name"), "{err}");
        let err = parse_err("migrations = \"m\"\n[scope]\nlast = -1\n");
        assert!(err.starts_with("/repo/drills/demo.toml:3:"), "{err}");
    }

    #[test]
    fn resolve_counts_forward_migrations_only() {
        let (_tmp, h) = demo_history();
        assert_eq!(forward_migrations(&h).len(), 4);
        assert_eq!(Scope::All.resolve(&h).unwrap(), 0..4);
        assert_eq!(Scope::Last(2).resolve(&h).unwrap(), 2..4);
        assert_eq!(Scope::Last(10).resolve(&h).unwrap(), 0..4, "clamped");
        let range = |from: Option<&str>, to: Option<&str>| Scope::Range {
            from: from.map(Into::into),
            to: to.map(Into::into),
        };
        assert_eq!(
            range(Some("20240101000001"), None).resolve(&h).unwrap(),
            1..4
        );
        assert_eq!(
            range(None, Some("20240101000001_b")).resolve(&h).unwrap(),
            0..2
        );
        assert_eq!(
            range(Some("20240101000002"), Some("2024020"))
                .resolve(&h)
                .unwrap(),
            2..4,
            "prefixes; the undo folder between them is not counted"
        );
        assert_eq!(
            range(Some("20240101000001_b"), Some("20240101000001_b"))
                .resolve(&h)
                .unwrap(),
            1..2
        );
    }

    #[test]
    fn exact_name_wins_over_prefix() {
        let (_tmp, h) = history(&["20240101000000_x", "20240101000000_x copy"]);
        let forward = forward_migrations(&h);
        assert_eq!(
            resolve_migration_name(&forward, "20240101000000_x").unwrap(),
            0
        );
        assert_eq!(
            resolve_migration_name(&forward, "20240101000000_x c").unwrap(),
            1
        );
    }

    #[test]
    fn unknown_migration_name() {
        let (tmp, h) = demo_history();
        let forward = forward_migrations(&h);
        let err = resolve_migration_name(&forward, "2099").unwrap_err();
        assert!(matches!(err, ScriptError::UnknownMigration { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("\"2099\"") && msg.contains(&tmp.path().display().to_string()),
            "{msg}"
        );
        assert!(msg.contains("14-digit timestamp"), "{msg}");

        // An undo folder is not a forward migration.
        let err = resolve_migration_name(&forward, "20240101000003_undo").unwrap_err();
        assert!(matches!(err, ScriptError::UnknownMigration { .. }), "{err}");

        let (_tmp, empty) = history(&[]);
        let err = resolve_migration_name(&forward_migrations(&empty), "2024").unwrap_err();
        assert!(
            matches!(err, ScriptError::NoForwardMigrations { .. }),
            "{err}"
        );
    }

    #[test]
    fn ambiguous_prefix() {
        let (_tmp, h) = demo_history();
        let err = resolve_migration_name(&forward_migrations(&h), "20240101").unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ScriptError::AmbiguousMigration { ref matches, .. } if matches.len() == 3),
            "{msg}"
        );
        assert!(
            msg.contains("20240101000000_a, 20240101000001_b, 20240101000002_c"),
            "{msg}"
        );
        assert!(msg.contains("write more of the name"), "{msg}");
    }

    #[test]
    fn from_after_to() {
        let (_tmp, h) = demo_history();
        let scope = Scope::Range {
            from: Some("20240201".into()),
            to: Some("20240101000001".into()),
        };
        let err = scope.resolve(&h).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ScriptError::FromAfterTo { .. }), "{msg}");
        assert!(
            msg.contains("20240201000000_d") && msg.contains("20240101000001_b"),
            "{msg}"
        );
        assert!(msg.contains("swap"), "{msg}");
    }

    #[test]
    fn scope_errors_in_a_script_name_the_script() {
        let (_tmp, h) = demo_history();
        let script = parse("migrations = \"m\"\n[scope]\nfrom = \"2099\"\n").unwrap();
        let err = script.resolve_scope(&h).unwrap_err().to_string();
        assert!(
            err.starts_with("/repo/drills/demo.toml: [scope]: no forward migration"),
            "{err}"
        );
    }

    #[test]
    fn database_url_and_env() {
        let script = parse("migrations = \"m\"\n[database]\nurl = \"postgres://h/d\"\n").unwrap();
        assert_eq!(script.database_url.as_deref(), Some("postgres://h/d"));

        let err = parse_err(
            "migrations = \"m\"\n[database]\nurl = \"postgres://h/d\"\nurl_env = \"X\"\n",
        );
        assert!(err.contains("both url and url_env"), "{err}");
        let err = parse_err("migrations = \"m\"\n[database]\n");
        assert!(err.contains("[database] is empty"), "{err}");
    }

    #[test]
    fn unset_url_env_names_the_variable() {
        let text = "migrations = \"m\"\n[database]\nurl_env = \"DRILL_DB_URL\"\n";
        let err = parse(text).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(
                err,
                ScriptError::DatabaseEnv {
                    problem: "is not set",
                    ..
                }
            ),
            "{msg}"
        );
        assert!(msg.contains("DRILL_DB_URL, which is not set"), "{msg}");
        assert!(msg.starts_with("/repo/drills/demo.toml: "), "{msg}");

        let err = DrillScript::parse(Path::new("d.toml"), text, |_| Some("".into())).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
    }

    #[test]
    fn timeouts_must_be_postgres_time_settings() {
        for ok in ["30s", "1.5min", "100", "0", "250 ms", "2h", "1d", "500us"] {
            assert!(is_time_setting(ok), "{ok}");
        }
        for bad in [
            "",
            "30 seconds",
            "-1s",
            "1 minute",
            "5S",
            "1s'; DROP TABLE x; --",
            ".",
        ] {
            assert!(!is_time_setting(bad), "{bad:?}");
        }
        let err = parse_err("migrations = \"m\"\n[timeouts]\nlock = \"5 seconds\"\n");
        assert!(
            err.contains("lock = \"5 seconds\" is not a PostgreSQL time setting"),
            "{err}"
        );
        let err = parse_err("migrations = \"m\"\n[timeouts]\nstatment = \"5s\"\n");
        assert!(err.contains("unknown field `statment`"), "{err}");
    }

    #[test]
    fn check_errors() {
        let check = |body: &str| parse_err(&format!("migrations = \"m\"\n[[check]]\n{body}"));
        let err = check("name = \"a\"\nsql = \"SELECT 1\"\nafter = []\n");
        assert!(
            err.contains("check \"a\" has after = [], so it never runs"),
            "{err}"
        );
        assert!(err.starts_with("/repo/drills/demo.toml:"), "{err}");
        let err = check("name = \"a\"\nsql = \"  \"\n");
        assert!(err.contains("check \"a\" has empty sql"), "{err}");
        let err = check("name = \"\"\nsql = \"SELECT 1\"\n");
        assert!(err.contains("empty name"), "{err}");
        let err = check("sql = \"SELECT 1\"\n");
        assert!(err.contains("missing field `name`"), "{err}");
        let err = check("name = \"a\"\nsql = \"SELECT 1\"\nexpect = \"pass\"\n");
        assert!(err.contains("succeed"), "{err}");

        let two = "migrations = \"m\"\n[[check]]\nname = \"a\"\nsql = \"SELECT 1\"\n\
                   [[check]]\nname = \"a\"\nsql = \"SELECT 2\"\n";
        let err = parse(two).unwrap_err();
        assert!(matches!(err, ScriptError::DuplicateCheck { .. }), "{err}");
    }

    #[test]
    fn repeated_phases_run_once() {
        let script = parse(
            "migrations = \"m\"\n[[check]]\nname = \"a\"\nsql = \"SELECT 1\"\n\
             after = [\"undo\", \"forward\", \"undo\"]\n",
        )
        .unwrap();
        assert_eq!(script.checks[0].after, [Phase::Undo, Phase::Forward]);
    }

    #[test]
    fn check_migrations_must_be_in_scope() {
        let (_tmp, h) = demo_history();
        let script = |scope: &str, migration: &str| {
            parse(&format!(
                "migrations = \"m\"\n[scope]\n{scope}\n[[check]]\nname = \"c\"\n\
                 sql = \"SELECT 1\"\nmigration = \"{migration}\"\n"
            ))
            .unwrap()
        };
        assert!(script("last = 2", "20240201").validate_checks(&h).is_ok());
        assert!(script("last = 2", "20240101000002_c")
            .validate_checks(&h)
            .is_ok());

        let err = script("last = 2", "20240101000001")
            .validate_checks(&h)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ScriptError::CheckOutsideScope { .. }),
            "{msg}"
        );
        assert!(msg.contains("20240101000001_b, which is outside"), "{msg}");
        assert!(
            msg.contains("(20240101000002_c … 20240201000000_d)"),
            "{msg}"
        );

        let err = script("all = true", "2099")
            .validate_checks(&h)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("/repo/drills/demo.toml: check \"c\" migration: no forward migration"),
            "{msg}"
        );
    }

    /// The example script in `drills/` parses and fits the demo history it names.
    #[test]
    fn demo_script_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("drills/demo.toml");
        let script = DrillScript::load(&path).unwrap();
        let history = read_history(&script.migrations).unwrap();
        assert_eq!(script.resolve_scope(&history).unwrap(), 0..7);
        script.validate_checks(&history).unwrap();
        assert!(script.checks.len() >= 2);
    }
}
