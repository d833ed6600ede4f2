//! Other migration tools' folder layouts, read into the same [`History`] as Prisma's: which
//! files are migrations, the order the tool applies them in, how it sends each file
//! ([`Transaction`](super::Transaction)), the hand-written down of each migration, and the
//! table the tool keeps its bookkeeping in. Each layout is one file; [`detect`] tells them
//! apart.
//!
//! | layout | migration | order | sent | down |
//! |---|---|---|---|---|
//! | Prisma | `<folder>/migration.sql` | ICU collation of folder names | apply mode | `down.sql` beside it |
//! | diesel | `<version>_<name>/up.sql` | version (up to `_`, `-` removed), as text | wrapped, unless `metadata.toml` says `run_in_transaction = false` (or parses without it) | `down.sql` |
//! | golang-migrate | `<version>_<name>.up.sql` | version, as an unsigned integer | as it is | `.down.sql` |
//! | sqlx | `<version>_<name>.sql` or `.up.sql` | version, as a signed integer | wrapped, unless the file starts with `-- no-transaction` | `.down.sql` (reversible) |
//! | dbmate | `<version>_<name>.sql`, `-- migrate:up` section | file name, bytewise | wrapped, unless `transaction:false` | `-- migrate:down` section |
//! | Flyway | `V<version>__<desc>.sql`, then `R__<desc>.sql` | version parts numerically, then repeatables by description | wrapped, unless a statement cannot run in a transaction | `U<version>__<desc>.sql` (a paid feature, rare) |

pub(crate) mod dbmate;
mod detect;
mod diesel;
mod files;
pub(crate) mod flyway;
mod golang_migrate;
mod record;
pub(crate) mod sqlx;

use std::path::{Path, PathBuf};

pub use detect::{detect, Detected};
pub use record::ToolRecord;

use super::{History, Migration, MigrationsError};

/// Which tool's layout a migrations folder has.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `prisma migrate deploy`: a folder per migration with its `migration.sql`.
    #[default]
    Prisma,
    /// diesel: a folder per migration with `up.sql` and `down.sql`.
    Diesel,
    /// golang-migrate: `.up.sql` and `.down.sql` files.
    GolangMigrate,
    /// sqlx, simple: one `.sql` file per migration, no down.
    SqlxSimple,
    /// sqlx, reversible: `.up.sql` and `.down.sql` files.
    SqlxReversible,
    /// dbmate: one file per migration with `-- migrate:up` and `-- migrate:down` sections.
    Dbmate,
    /// Flyway: `V<version>__<description>.sql` and repeatable `R__<description>.sql` files.
    Flyway,
}

impl Layout {
    /// The tool's name, as messages and reports say it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Prisma => "Prisma Migrate",
            Layout::Diesel => "diesel",
            Layout::GolangMigrate => "golang-migrate",
            Layout::SqlxSimple => "sqlx (simple)",
            Layout::SqlxReversible => "sqlx (reversible)",
            Layout::Dbmate => "dbmate",
            Layout::Flyway => "Flyway",
        }
    }

    /// The table the tool records applied migrations in.
    pub fn bookkeeping_table(self) -> &'static str {
        match self {
            Layout::Prisma => "_prisma_migrations",
            Layout::Diesel => "__diesel_schema_migrations",
            Layout::GolangMigrate | Layout::Dbmate => "schema_migrations",
            Layout::SqlxSimple | Layout::SqlxReversible => "_sqlx_migrations",
            Layout::Flyway => "flyway_schema_history",
        }
    }
}

impl Layout {
    /// Where the tool keeps `m`'s hand-written down as a file of its own: where `generate`
    /// writes the undo in this layout. `None` where downs are not files of their own (dbmate's
    /// `-- migrate:down` section, sqlx's simple layout, which has none, a Flyway repeatable
    /// migration, which Flyway cannot undo).
    pub fn down_path(self, dir: &Path, m: &Migration) -> Option<PathBuf> {
        if let Some(down) = &m.down {
            if matches!(
                self,
                Layout::Prisma
                    | Layout::Diesel
                    | Layout::GolangMigrate
                    | Layout::SqlxReversible
                    | Layout::Flyway
            ) {
                return Some(down.path.to_path_buf());
            }
        }
        match self {
            Layout::Prisma | Layout::Diesel => Some(dir.join(&m.name).join(super::DOWN_SQL)),
            Layout::GolangMigrate | Layout::SqlxReversible => {
                Some(dir.join(format!("{}.down.sql", m.name)))
            }
            // Beside its V file, wherever among the sub-folders that is.
            Layout::Flyway => Some(m.sql_path.with_file_name(flyway::undo_file_name(&m.name)?)),
            Layout::SqlxSimple | Layout::Dbmate => None,
        }
    }

    /// Whether the tool has no undo for `m` at all: a Flyway repeatable migration, which
    /// Flyway applies again whenever its file changes (so it is undone by editing the file).
    pub fn never_undone(self, m: &Migration) -> bool {
        self == Layout::Flyway && flyway::is_repeatable(&m.name)
    }

    /// How a migration's down runs outside the tool's transaction: what to change when an
    /// undo needs that (said after "let the tool run it outside one:").
    pub fn transaction_opt_out(self) -> &'static str {
        match self {
            Layout::Diesel => "set run_in_transaction = false in the migration's metadata.toml",
            Layout::SqlxSimple | Layout::SqlxReversible => {
                "start its down file with the line -- no-transaction"
            }
            Layout::Dbmate => "add transaction:false to its -- migrate:down line",
            Layout::Prisma | Layout::GolangMigrate | Layout::Flyway => {
                "run the down without a transaction"
            }
        }
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads the history in `dir` in `layout` (`None`: the layout [`detect`] finds), in the order
/// its tool applies it.
pub fn read(dir: &Path, layout: Option<Layout>) -> Result<(History, Detected), MigrationsError> {
    let detected = match layout {
        Some(layout) => Detected {
            layout,
            why: "as asked".to_string(),
        },
        // Nothing any tool would apply (an empty folder, a new project): Prisma's reader
        // says what is missing, in Prisma's words.
        None => detect(dir).unwrap_or_else(|_| Detected {
            layout: Layout::Prisma,
            why: "no other tool's files".to_string(),
        }),
    };
    let migrations = match detected.layout {
        Layout::Prisma => return Ok((super::read_history(dir)?, detected)),
        Layout::Diesel => diesel::read(dir)?,
        Layout::GolangMigrate => golang_migrate::read(dir)?,
        Layout::SqlxSimple | Layout::SqlxReversible => sqlx::read(dir, detected.layout)?,
        Layout::Dbmate => dbmate::read(dir)?,
        Layout::Flyway => flyway::read(dir)?,
    };
    let history = History {
        dir: dir.to_path_buf(),
        migrations,
        layout: detected.layout,
    };
    Ok((history, detected))
}
