//! What can be wrong with a drill script, each message saying where and what to do about it.

use std::io;
use std::path::{Path, PathBuf};

use crate::migrations::NameError;

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
        "{} is not a drill script: `drill` takes a drill script (a .toml file, as under drills/) \
         or a migrations folder (Prisma's, holding the <timestamp>_<name> folders, or another \
         tool's: see --layout)",
        path.display()
    )]
    NotAScript { path: PathBuf },

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

    /// A `from`, `to` or check `migration` that names no forward migration, or several.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The server URL given (or found in Prisma's `.env`) cannot be used.
    #[error(transparent)]
    Url(#[from] crate::scratch::ScratchError),

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
        "{}check \"{check}\" runs only at {migration}, which is outside the drill's scope \
         ({scope}); widen the scope ([scope] in the script, or --last, --from, --to or --all) \
         or name a migration inside it",
        in_script(script)
    )]
    CheckOutsideScope {
        /// The script the check comes from (`None`: a plan built without one).
        script: Option<PathBuf>,
        check: String,
        migration: String,
        /// The scope's first and last migration, or "empty".
        scope: String,
    },

    #[error("{}check \"{check}\" migration: {source}", in_script(script))]
    CheckMigration {
        script: Option<PathBuf>,
        check: String,
        #[source]
        source: Box<NameError>,
    },

    /// An error in the script's `[scope]`, naming the script.
    #[error("{}: {context}: {source}", path.display())]
    InScript {
        path: PathBuf,
        /// Where in the script: `[scope]`.
        context: String,
        #[source]
        source: Box<ScriptError>,
    },
}

/// `"<script>: "`, or nothing for a plan built without a script.
fn in_script(script: &Option<PathBuf>) -> String {
    script
        .as_ref()
        .map(|path| format!("{}: ", path.display()))
        .unwrap_or_default()
}

impl ScriptError {
    /// A TOML error, at the line and column TOML reported.
    pub(super) fn invalid(path: &Path, text: &str, error: &toml::de::Error) -> ScriptError {
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
