//! How each tool names a migration in its bookkeeping table: the version (and description)
//! it writes in its row, taken from the migration's name as the tool's own reader takes it.
//! The drill writes these rows, so a database it leaves looks to the tool like one the tool
//! migrated itself.

use super::{dbmate, diesel, flyway, Layout};

/// A migration as its tool's bookkeeping row names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRecord {
    /// The version as the tool stores it (diesel's digits without `-`, sqlx's and
    /// golang-migrate's integer as text, Flyway's `2.1`); `None` for Flyway's repeatable
    /// migrations, whose row has no version, and for Prisma, which records names.
    pub version: Option<String>,
    /// The name after the version, as the tool writes it (`_` read as a space by sqlx and
    /// Flyway).
    pub description: String,
}

impl Layout {
    /// How this layout's tool records the migration named `name` (a migration's
    /// [`Migration::name`](crate::migrations::Migration::name)).
    pub fn record(self, name: &str) -> ToolRecord {
        let after_version = |name: &str| {
            name.split_once('_')
                .map_or(String::new(), |(_, rest)| rest.to_string())
        };
        let leading_digits = |name: &str| {
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            // Leading zeros are not part of an integer version (`0001_init` is version 1).
            digits
                .parse::<u64>()
                .map_or(digits.clone(), |v| v.to_string())
        };
        match self {
            Layout::Prisma => ToolRecord {
                version: None,
                description: name.to_string(),
            },
            Layout::Diesel => ToolRecord {
                version: Some(diesel::version(name)),
                description: after_version(name),
            },
            Layout::GolangMigrate => ToolRecord {
                version: Some(leading_digits(name)),
                description: after_version(name),
            },
            Layout::SqlxSimple | Layout::SqlxReversible => ToolRecord {
                version: Some(leading_digits(name)),
                description: after_version(name).replace('_', " "),
            },
            Layout::Dbmate => ToolRecord {
                version: Some(dbmate::version(name).to_string()),
                description: after_version(name),
            },
            Layout::Flyway => match flyway::version_and_description(name) {
                Some((version, description)) => ToolRecord {
                    version,
                    description,
                },
                None => ToolRecord {
                    version: None,
                    description: name.to_string(),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(layout: Layout, name: &str) -> (Option<String>, String) {
        let r = layout.record(name);
        (r.version, r.description)
    }

    fn row(version: Option<&str>, description: &str) -> (Option<String>, String) {
        (version.map(str::to_string), description.to_string())
    }

    #[test]
    fn each_tool_records_its_own_version() {
        assert_eq!(
            record(Layout::Diesel, "2017-09-23-182408_add_crate_owners"),
            row(Some("20170923182408"), "add_crate_owners")
        );
        assert_eq!(
            record(Layout::GolangMigrate, "0007_entitlements"),
            row(Some("7"), "entitlements")
        );
        assert_eq!(
            record(Layout::SqlxReversible, "20220101000000_add_owner_kind"),
            row(Some("20220101000000"), "add owner kind")
        );
        assert_eq!(
            record(Layout::Dbmate, "20240101120000_create_narinfos"),
            row(Some("20240101120000"), "create_narinfos")
        );
        assert_eq!(
            record(Layout::Flyway, "V2_1__add_run_args"),
            row(Some("2.1"), "add run args")
        );
        assert_eq!(
            record(Layout::Flyway, "R__views_for_lineage"),
            row(None, "views for lineage")
        );
    }
}
