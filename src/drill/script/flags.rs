//! A drill's plan from its script, if there is one, and the command line's flags: a flag given
//! wins over the script's key, which wins over the default. The command line only reads the
//! flags; what they mean for a drill is decided here, beside the script model.

use std::path::PathBuf;

use super::{DrillScript, Scope, ScriptError, Seed};
use crate::config::DrillDefaults;
use crate::drill::apply::Timeouts;
use crate::drill::{DrillPlan, UndoChoice, DEFAULT_TIME_ZONE};
use crate::migrations::{ApplyMode, Layout};
use crate::scratch::{GivenUrl, Origin, ScratchOptions, ScratchSource};
use crate::snapshot::Tracking;

/// Default session limits: long enough for any migration on an empty scratch database, short
/// enough that a lock wait or runaway statement ends the drill instead of hanging CI.
const DEFAULT_STATEMENT_TIMEOUT: &str = "10min";
const DEFAULT_LOCK_TIMEOUT: &str = "1min";

/// What the command line says about one drill. `None` (or `false`) leaves the script's value,
/// else the default.
#[derive(Debug, Clone)]
pub struct Flags {
    /// A drill script (a file), or a Prisma migrations folder.
    pub target: PathBuf,
    /// `--database-url`: a server to create the scratch database on.
    pub database_url: Option<String>,
    /// `--shadow-database-url`: a disposable database, reset and drilled inside when its role
    /// may not create databases.
    pub shadow_database_url: Option<String>,
    pub allow_server_changes: bool,
    pub apply_mode: Option<ApplyMode>,
    pub scope: Option<Scope>,
    /// `--layout`, else `unmigrate.toml`'s `layout`; `None`: detected.
    pub layout: Option<Layout>,
    pub undo_dir: Option<PathBuf>,
    /// `--undo`: which undo each migration is drilled with.
    pub undo: UndoChoice,
    pub timeouts: Timeouts,
    pub seed: Option<Seed>,
    /// The session `TimeZone` of the drill.
    pub time_zone: Option<String>,
    pub tracking: Tracking,
    pub trace: bool,
    pub probe: bool,
    pub jobs: Option<usize>,
    /// Where the embedded server's binaries are.
    pub pg_bin: Option<PathBuf>,
    /// `unmigrate.toml`'s `[drill]`: below the flags and the script, above the defaults.
    pub defaults: DrillDefaults,
    /// `unmigrate.toml`'s `apply_mode`, likewise.
    pub default_apply_mode: Option<ApplyMode>,
}

/// The drill as the script (if `flags.target` is one) describes it, with the flags taking
/// precedence.
pub fn plan(flags: Flags) -> Result<DrillPlan, ScriptError> {
    let given = flags
        .database_url
        .clone()
        .map(|text| GivenUrl {
            text,
            origin: Origin::Server("--database-url".into()),
        })
        .or_else(|| {
            flags.shadow_database_url.clone().map(|text| GivenUrl {
                text,
                origin: Origin::Shadow("--shadow-database-url".into()),
            })
        });
    let script = if flags.target.is_file() {
        Some(DrillScript::load(&flags.target)?)
    } else {
        None
    };
    let script_traces = script.as_ref().is_some_and(|s| s.trace);
    let script_probes = script.as_ref().is_some_and(|s| s.probe);
    let defaults = &flags.defaults;
    let time_zone = flags
        .time_zone
        .or_else(|| script.as_ref().and_then(|s| s.time_zone.clone()))
        .or_else(|| defaults.time_zone.clone())
        .unwrap_or_else(|| DEFAULT_TIME_ZONE.to_string());
    let (migrations_dir, mut undo_dir, scope, apply_mode, url, timeouts, checks, seed) =
        match script {
            Some(s) => (
                s.migrations,
                s.undo_dir,
                flags.scope.unwrap_or(s.scope),
                flags.apply_mode.or(s.apply_mode),
                given.or(s.database_url),
                Timeouts {
                    statement: flags.timeouts.statement.or(s.timeouts.statement),
                    lock: flags.timeouts.lock.or(s.timeouts.lock),
                },
                s.checks,
                flags.seed.or(s.seed),
            ),
            None => (
                flags.target.clone(),
                None,
                flags.scope.unwrap_or(Scope::All),
                flags.apply_mode,
                given,
                flags.timeouts,
                Vec::new(),
                flags.seed,
            ),
        };
    if flags.undo_dir.is_some() {
        undo_dir = flags.undo_dir;
    }
    let options = ScratchOptions {
        bin_dir: flags.pg_bin,
        ..ScratchOptions::default()
    };
    // Prisma's `.env` beside `schema.prisma`: the migrations folder's parent.
    let schema_dir = migrations_dir.parent().map(PathBuf::from);
    let source = ScratchSource::resolve(url, options, schema_dir.as_deref())?;
    Ok(DrillPlan {
        script: flags.target.is_file().then(|| flags.target.clone()),
        migrations_dir,
        layout: flags.layout,
        undo_dir,
        undo: flags.undo,
        scope,
        apply_mode: apply_mode.or(flags.default_apply_mode).unwrap_or_default(),
        timeouts: Timeouts {
            statement: timeouts
                .statement
                .or_else(|| defaults.statement_timeout.clone())
                .or_else(|| Some(DEFAULT_STATEMENT_TIMEOUT.into())),
            lock: timeouts
                .lock
                .or_else(|| defaults.lock_timeout.clone())
                .or_else(|| Some(DEFAULT_LOCK_TIMEOUT.into())),
        },
        checks,
        seed: seed.or(defaults.seed_rows.map(|rows| Seed { rows })),
        time_zone,
        source,
        tracking: flags.tracking,
        trace: flags.trace || script_traces || flags.probe || script_probes,
        probe: flags.probe || script_probes,
        jobs: flags.jobs,
        allow_server_changes: flags.allow_server_changes,
    })
}
