//! The TOML layer of drill scripts: the file as written, and the checks that need no history,
//! made in `TryFrom`s during deserialisation so that TOML reports the line of a bad value.

use crate::scratch::{GivenUrl, Origin, SHADOW_ENV};
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use super::{Check, DrillScript, Scope, ScriptError, Seed, Timeouts};
use crate::drill::outcome::{Expectation, Phase};
use crate::migrations::ApplyMode;
use crate::migrations::NameError;
use crate::sql::duration;

impl DrillScript {
    /// [`DrillScript::load`] on text already read, with `env` standing in for the
    /// environment (so tests need not set variables of the whole process).
    pub(super) fn parse(
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
            Some(DatabaseSource::Url(url)) => Some(GivenUrl {
                text: url,
                origin: Origin::Server(format!("[database] url of {}", path.display())),
            }),
            Some(DatabaseSource::Env(var)) => Some(GivenUrl {
                text: url_from_env(path, &var, env)?,
                // The variable's name says what it is: Prisma's shadow database is disposable.
                origin: match var == SHADOW_ENV {
                    true => Origin::Shadow(var),
                    false => Origin::Server(var),
                },
            }),
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
            time_zone: file.time_zone,
            seed: file.seed,
            checks: file.checks,
        })
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
    #[serde(default, deserialize_with = "zone")]
    time_zone: Option<String>,
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

/// A time zone name that is not empty (PostgreSQL judges the rest when the drill starts).
fn zone<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let zone = String::deserialize(d)?;
    if zone.trim().is_empty() {
        return Err(D::Error::custom(
            "empty time zone; write a zone name such as \"Europe/Berlin\" or \"UTC\"",
        ));
    }
    Ok(Some(zone))
}

/// A migration name that is not empty (an empty prefix would match every folder).
fn migration_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    if name.is_empty() {
        return Err(D::Error::custom(NameError::Empty));
    }
    Ok(Some(name))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScopeTable {
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
        let check = |key: &str, value: Option<String>| {
            value
                .map(|v| duration::parse(&v, true).map_err(|e| format!("[timeouts] {key}: {e}")))
                .transpose()
        };
        Ok(Timeouts {
            statement: check("statement", t.statement)?,
            lock: check("lock", t.lock)?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SeedTable {
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
pub(super) struct CheckTable {
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
