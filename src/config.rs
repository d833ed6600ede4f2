//! `unmigrate.toml`: a project's settings, found from the working directory upwards (or named
//! with `--config`). Unknown keys are errors with their line and column, so a typo never
//! turns a setting off in silence.
//!
//! ```toml
//! migrations = "prisma/migrations"   # the migrations folder, relative to this file
//! layout = "prisma"                  # prisma, diesel, golang-migrate, sqlx-simple,
//!                                     # sqlx-reversible, dbmate, flyway (default: detected)
//! apply_mode = "split"                # how Prisma sends each file: batch (≤ 7.3) or split (≥ 7.4)
//! lock_timeout = "5s"                 # what each generated undo sets (0 or off: none)
//! docs_url = "https://example.com/unmigrate/rules/{id}"   # where hazard help links to
//!
//! [irreversible]                      # forward migrations that have no undo, and why
//! "20240301000000_drop_legacy_audit" = "the table was archived to S3; restore from there"
//!
//! [check]
//! fail_on = ["drop-column", "missing-lock-timeout"]   # explain rules that are findings
//! drill = true                        # drill the new migrations' undos (the default)
//!
//! [explain]
//! fail_on = ["drop-table"]            # explain exits 1 on these (as --fail-on)
//! ignore = ["rename-column"]          # rules never reported by explain nor check
//!
//! [drill]                             # defaults; a flag or a drill script wins
//! seed_rows = 20
//! time_zone = "Europe/Berlin"
//! statement_timeout = "10min"
//! lock_timeout = "1min"
//! ```
//!
//! Irreversible migrations are declared here, never by editing an applied migration (its
//! checksum is in `_prisma_migrations`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::explain::Rule;
use crate::migrations::{ApplyMode, Layout};
use crate::sql::duration;
use crate::undo::LockTimeout;

/// The file's name.
pub const FILE_NAME: &str = "unmigrate.toml";

/// A project's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The file they were read from (`None`: no file, the defaults).
    pub path: Option<PathBuf>,
    /// The migrations folder, resolved against the file's folder.
    pub migrations: Option<PathBuf>,
    /// Forward migrations with no undo, by the name written in the file, with the reason.
    pub irreversible: BTreeMap<String, String>,
    /// `[check] fail_on`: the explain rules whose hazards in a new migration, or its undo, are
    /// findings of `unmigrate check` (`"all"` for every rule).
    pub fail_on: Vec<Rule>,
    /// `[check] drill`: whether `check` drills the new migrations' undos (`None`: yes).
    pub drill: Option<bool>,
    /// How Prisma sends each file, for drill, explain and check (`None`: batch, or the flag).
    pub apply_mode: Option<ApplyMode>,
    /// Which tool's layout the migrations folder has (`None`: detected).
    pub layout: Option<Layout>,
    /// What each generated undo sets as its `lock_timeout` (`None` inside: none; outer
    /// `None`: the default).
    pub lock_timeout: Option<Option<LockTimeout>>,
    /// A URL with `{id}` where each rule's page is (hazard help links there); `None`: help
    /// names `unmigrate rule <id>`.
    pub docs_url: Option<String>,
    /// `[explain] fail_on`: the rules `explain` exits 1 on, without `--fail-on`.
    pub explain_fail_on: Vec<Rule>,
    /// `[explain] ignore`: rules whose hazards explain and check never report.
    pub ignore: Vec<Rule>,
    /// `[drill]`: defaults for drills (a flag or a drill script wins).
    pub drill_defaults: DrillDefaults,
}

/// `[drill]`: what a drill uses when neither a flag nor its script says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillDefaults {
    /// Synthetic rows per table.
    pub seed_rows: Option<u64>,
    /// The session `TimeZone` of every drill session.
    pub time_zone: Option<String>,
    /// `statement_timeout` while migrations run (a duration with its unit).
    pub statement_timeout: Option<String>,
    /// `lock_timeout` while migrations run (a duration with its unit).
    pub lock_timeout: Option<String>,
}

/// What is wrong with a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The TOML error names the line and column.
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    migrations: Option<PathBuf>,
    layout: Option<Layout>,
    apply_mode: Option<ApplyMode>,
    lock_timeout: Option<String>,
    docs_url: Option<String>,
    #[serde(default)]
    irreversible: BTreeMap<String, String>,
    #[serde(default)]
    check: CheckTable,
    #[serde(default)]
    explain: ExplainTable,
    #[serde(default)]
    drill: DrillDefaults,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ExplainTable {
    #[serde(default)]
    fail_on: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CheckTable {
    #[serde(default)]
    fail_on: Vec<String>,
    drill: Option<bool>,
}

impl Config {
    /// The configuration `--config` names, else the first `unmigrate.toml` in `start` or a
    /// folder above it, else the defaults.
    pub fn find(explicit: Option<&Path>, start: &Path) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            return Config::load(path);
        }
        for folder in start.ancestors() {
            let candidate = folder.join(FILE_NAME);
            if candidate.is_file() {
                return Config::load(&candidate);
            }
        }
        Ok(Config::default())
    }

    /// Reads and checks one file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        for (name, reason) in &file.irreversible {
            if reason.trim().is_empty() {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "[irreversible] \"{name}\" gives no reason; say why it has no undo (what \
                         a rollback must do instead), so the pull request's reviewers can judge it"
                    ),
                });
            }
        }
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let rules = |key: &str, ids: &[String]| -> Result<Vec<Rule>, ConfigError> {
            let mut rules = Vec::new();
            for id in ids {
                if id == "all" {
                    rules.extend_from_slice(Rule::ALL);
                    continue;
                }
                let rule = Rule::from_id(id)
                    .ok_or_else(|| invalid(format!("{key}: {}", Rule::unknown_id(id))))?;
                rules.push(rule);
            }
            Ok(rules)
        };
        let fail_on = rules("[check] fail_on", &file.check.fail_on)?;
        let explain_fail_on = rules("[explain] fail_on", &file.explain.fail_on)?;
        let ignore = rules("[explain] ignore", &file.explain.ignore)?;
        let lock_timeout = file
            .lock_timeout
            .as_deref()
            .map(|text| LockTimeout::parse(text).map_err(|e| invalid(format!("lock_timeout: {e}"))))
            .transpose()?;
        for (key, value) in [
            ("statement_timeout", &file.drill.statement_timeout),
            ("lock_timeout", &file.drill.lock_timeout),
        ] {
            if let Some(value) = value {
                duration::parse(value, true).map_err(|e| invalid(format!("[drill] {key}: {e}")))?;
            }
        }
        if file.drill.seed_rows == Some(0) {
            return Err(invalid(
                "[drill] seed_rows = 0 seeds nothing; write 1 or more, or remove the key".into(),
            ));
        }
        if let Some(url) = &file.docs_url {
            if !url.contains("{id}") {
                return Err(invalid(format!(
                    "docs_url = \"{url}\" has no {{id}}; write where the rule's id goes, as \
                     \"https://example.com/rules/{{id}}\""
                )));
            }
        }
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(Config {
            path: Some(path.to_path_buf()),
            migrations: file.migrations.map(|m| base.join(m)),
            irreversible: file.irreversible,
            fail_on,
            drill: file.check.drill,
            apply_mode: file.apply_mode,
            layout: file.layout,
            lock_timeout,
            docs_url: file.docs_url,
            explain_fail_on,
            ignore,
            drill_defaults: file.drill,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_their_line_and_column() {
        let text = "migrations = \"prisma/migrations\"\nirreversable = {}\n";
        let err = Config::parse(Path::new("/p/unmigrate.toml"), text).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("line 2, column 1"), "{message}");
        assert!(message.contains("irreversable"), "{message}");
    }

    #[test]
    fn the_migrations_folder_is_relative_to_the_file_and_reasons_are_required() {
        let text = "migrations = \"db/migrations\"\n[irreversible]\n\"2024_a\" = \"archived\"\n";
        let config = Config::parse(Path::new("/p/unmigrate.toml"), text).unwrap();
        assert_eq!(config.migrations, Some(PathBuf::from("/p/db/migrations")));
        assert_eq!(config.irreversible["2024_a"], "archived");
        let text = "[irreversible]\n\"2024_a\" = \" \"\n";
        let err = Config::parse(Path::new("/p/unmigrate.toml"), text).unwrap_err();
        assert!(err.to_string().contains("gives no reason"), "{err}");
    }

    #[test]
    fn fail_on_names_explain_rules_and_a_typo_gets_the_near_one() {
        let text = "[check]\nfail_on = [\"drop-column\"]\ndrill = false\n";
        let config = Config::parse(Path::new("/p/unmigrate.toml"), text).unwrap();
        assert_eq!(config.fail_on, [Rule::from_id("drop-column").unwrap()]);
        assert_eq!(config.drill, Some(false));
        let text = "[check]\nfail_on = [\"drop-colum\"]\n";
        let err = Config::parse(Path::new("/p/unmigrate.toml"), text).unwrap_err();
        assert!(
            err.to_string().contains("did you mean drop-column?"),
            "{err}"
        );
    }

    #[test]
    fn defaults_for_every_command_are_checked_where_they_are_read() {
        let text = "apply_mode = \"split\"\nlock_timeout = \"3s\"\n\
            docs_url = \"https://docs.example/{id}\"\n\
            [explain]\nfail_on = [\"drop-table\"]\nignore = [\"rename-column\"]\n\
            [drill]\nseed_rows = 5\ntime_zone = \"UTC\"\nstatement_timeout = \"2min\"\n";
        let config = Config::parse(Path::new("/p/unmigrate.toml"), text).unwrap();
        assert_eq!(config.apply_mode, Some(ApplyMode::Split));
        assert_eq!(config.lock_timeout, Some(LockTimeout::parse("3s").unwrap()));
        assert_eq!(
            config.explain_fail_on,
            [Rule::from_id("drop-table").unwrap()]
        );
        assert_eq!(config.ignore, [Rule::from_id("rename-column").unwrap()]);
        assert_eq!(config.drill_defaults.seed_rows, Some(5));
        assert_eq!(
            config.drill_defaults.statement_timeout.as_deref(),
            Some("2min")
        );

        for (text, expected) in [
            ("[drill]\nlock_timeout = \"5\"\n", "[drill] lock_timeout"),
            ("lock_timeout = \"5\"\n", "lock_timeout: "),
            ("apply_mode = \"splitt\"\n", "line 1"),
            ("docs_url = \"https://x\"\n", "has no {id}"),
            ("[drill]\nseed_rows = 0\n", "seeds nothing"),
            ("[drill]\nseed = 3\n", "line 2"),
            (
                "[explain]\nignore = [\"rename-colum\"]\n",
                "did you mean rename-column?",
            ),
        ] {
            let err = Config::parse(Path::new("/p/unmigrate.toml"), text).unwrap_err();
            assert!(err.to_string().contains(expected), "{text}: {err}");
        }
    }
}
