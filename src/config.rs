//! `unmigrate.toml`: a project's settings, found from the working directory upwards (or named
//! with `--config`). Unknown keys are errors with their line and column, so a typo never
//! turns a setting off in silence.
//!
//! ```toml
//! migrations = "prisma/migrations"   # the migrations folder, relative to this file
//!
//! [irreversible]                      # forward migrations that have no undo, and why
//! "20240301000000_drop_legacy_audit" = "the table was archived to S3; restore from there"
//!
//! [check]
//! fail_on = ["drop-column", "missing-lock-timeout"]   # explain rules that are findings
//! drill = true                        # drill the new migrations' undos (the default)
//! ```
//!
//! Irreversible migrations are declared here, never by editing an applied migration (its
//! checksum is in `_prisma_migrations`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::explain::Rule;

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
    #[serde(default)]
    irreversible: BTreeMap<String, String>,
    #[serde(default)]
    check: CheckTable,
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
        let mut fail_on = Vec::new();
        for id in &file.check.fail_on {
            if id == "all" {
                fail_on.extend_from_slice(Rule::ALL);
                continue;
            }
            let rule = Rule::from_id(id).ok_or_else(|| ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!("[check] fail_on: {}", Rule::unknown_id(id)),
            })?;
            fail_on.push(rule);
        }
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(Config {
            path: Some(path.to_path_buf()),
            migrations: file.migrations.map(|m| base.join(m)),
            irreversible: file.irreversible,
            fail_on,
            drill: file.check.drill,
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
}
