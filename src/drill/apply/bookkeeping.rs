//! Each migration tool's bookkeeping, as the drill writes it: the table the tool records
//! migrations in (created with the tool's own statement, so its columns, types and order are
//! the tool's), and the rows the tool writes when it applies or reverts a migration. A database
//! a drill leaves therefore looks to the tool like one it migrated itself.
//!
//! | tool | table | apply | revert |
//! |---|---|---|---|
//! | Prisma | `_prisma_migrations` | a row per attempt, failed ones too | `rolled_back_at` set (`migrate resolve --rolled-back`) |
//! | diesel | `__diesel_schema_migrations` | `version` inserted, in the migration's transaction | deleted |
//! | golang-migrate | `schema_migrations` | one row: `(version, dirty)`, dirty while the file runs and left dirty when it fails | the version before it, the same way |
//! | sqlx | `_sqlx_migrations` | version, description, SHA-384 checksum, time in ns | deleted |
//! | dbmate | `schema_migrations` | `version` inserted | deleted |
//! | Flyway | `flyway_schema_history` | a `SQL` row with the next rank, CRC-32 checksum, time in ms | an `UNDO_SQL` row (`flyway undo`) |
//!
//! Only Prisma's advisory lock is taken: the others' locks keep two deploys apart, and a
//! scratch database has one.

use std::path::Path;
use std::time::Duration;

use postgres::Client;
use sha2::{Digest, Sha384};

use super::Runner;
use crate::migrations::{Layout, ToolRecord};

/// The table exactly as Prisma's schema engine creates it.
const PRISMA_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)"#;

/// diesel's `setup_migration_table.sql`.
const DIESEL_TABLE: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

/// golang-migrate's postgres driver (`ensureVersionTable`), in the session's schema.
const GOLANG_MIGRATE_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null)"#;

/// sqlx-postgres's `ensure_migrations_table`.
const SQLX_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// dbmate's postgres driver (`CreateMigrationsTable`).
const DBMATE_TABLE: &str =
    r#"create table if not exists "schema_migrations" (version varchar(128) primary key)"#;

/// Flyway's `createMetaDataTable.sql` for PostgreSQL (run only when the table is missing, as
/// Flyway checks first).
const FLYWAY_TABLE: &str = r#"CREATE TABLE "flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE "flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");"#;

/// Prisma's advisory lock key: `migrate deploy` holds it for the whole run.
const PRISMA_ADVISORY_LOCK: i64 = 72707369;

/// The row Prisma leaves for an applied file: started and finished times, one applied step on
/// success, the error in `logs` on failure. Written in one round trip after the file ran (Prisma
/// inserts it before and updates it after; the row that remains is the same).
const PRISMA_RECORD: &str = "INSERT INTO _prisma_migrations \
    (id, checksum, migration_name, started_at, finished_at, applied_steps_count, logs) \
    VALUES (gen_random_uuid()::text, $1, $2, clock_timestamp() - make_interval(secs => $3), \
            CASE WHEN $4 THEN clock_timestamp() END, CASE WHEN $4 THEN 1 ELSE 0 END, $5)";

/// What `prisma migrate resolve --rolled-back` writes: the migration's rows are marked rolled
/// back, and `migrate deploy` applies it again.
const PRISMA_ROLLED_BACK: &str = "UPDATE _prisma_migrations SET rolled_back_at = now() \
    WHERE migration_name = $1 AND rolled_back_at IS NULL";

const FLYWAY_RECORD: &str = r#"INSERT INTO "flyway_schema_history" (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES ((SELECT coalesce(max(installed_rank), 0) + 1 FROM "flyway_schema_history"), $1, left($2, 200), $3, $4, $5, left(current_user, 100), $6, true)"#;

/// One file the session applied, as its tool records it.
pub(super) struct Recorded<'a> {
    pub migration_name: &'a str,
    pub path: &'a Path,
    pub sql: &'a str,
    pub runner: Runner,
    pub duration: Duration,
    /// `None` on success; PostgreSQL's message on failure.
    pub failure: Option<&'a str>,
}

/// The bookkeeping of the history's tool, for the drill's one session.
pub(super) struct Bookkeeping {
    layout: Layout,
    /// golang-migrate keeps one row, the newest version applied: reverting one sets the
    /// version before it, so the versions applied are remembered here, oldest first.
    applied: Vec<i64>,
}

impl Bookkeeping {
    /// Takes the tool's lock and creates its table, as the tool does before its first file.
    pub(super) fn start(client: &mut Client, layout: Layout) -> Result<Self, postgres::Error> {
        if layout == Layout::Prisma {
            client.execute("SELECT pg_advisory_lock($1)", &[&PRISMA_ADVISORY_LOCK])?;
        }
        let create = match layout {
            Layout::Prisma => PRISMA_TABLE,
            Layout::Diesel => DIESEL_TABLE,
            Layout::GolangMigrate => GOLANG_MIGRATE_TABLE,
            Layout::SqlxSimple | Layout::SqlxReversible => SQLX_TABLE,
            Layout::Dbmate => DBMATE_TABLE,
            Layout::Flyway => {
                let missing: bool = client
                    .query_one("SELECT to_regclass('flyway_schema_history') IS NULL", &[])?
                    .get(0);
                if !missing {
                    return Ok(Self::new(layout));
                }
                FLYWAY_TABLE
            }
        };
        client.batch_execute(create)?;
        Ok(Self::new(layout))
    }

    fn new(layout: Layout) -> Self {
        Bookkeeping {
            layout,
            applied: Vec::new(),
        }
    }

    /// What the tool writes before it sends a file, outside the file's transaction:
    /// golang-migrate marks the version it moves to dirty.
    pub(super) fn before(
        &mut self,
        client: &mut Client,
        migration_name: &str,
        runner: Runner,
    ) -> Result<(), postgres::Error> {
        if self.layout == Layout::GolangMigrate {
            let target = self.golang_target(migration_name, runner);
            golang_set_version(client, target, true)?;
        }
        Ok(())
    }

    /// What the tool writes after a file: inside the file's transaction when the tool wraps
    /// it (the caller commits), after it otherwise. Prisma records failed files too; the
    /// others record nothing for a file that failed (golang-migrate's row stays dirty).
    pub(super) fn after(
        &mut self,
        client: &mut Client,
        file: &Recorded<'_>,
    ) -> Result<(), postgres::Error> {
        let record = self.layout.record(file.migration_name);
        let version = record.version.clone().unwrap_or_default();
        let integer = || version.parse::<i64>().unwrap_or_default();
        match (self.layout, file.runner) {
            (Layout::Prisma, Runner::Deploy) => {
                let checksum = format!("{:x}", sha2::Sha256::digest(file.sql.as_bytes()));
                client.execute(
                    PRISMA_RECORD,
                    &[
                        &checksum,
                        &file.migration_name,
                        &file.duration.as_secs_f64(),
                        &file.failure.is_none(),
                        &file.failure,
                    ],
                )?;
                return Ok(());
            }
            _ if file.failure.is_some() => return Ok(()),
            (Layout::Prisma, Runner::Revert) => {
                client.execute(PRISMA_ROLLED_BACK, &[&file.migration_name])?;
            }
            (Layout::Diesel, Runner::Deploy) => {
                client.execute(
                    "INSERT INTO __diesel_schema_migrations (version) VALUES ($1)",
                    &[&version],
                )?;
            }
            (Layout::Diesel, Runner::Revert) => {
                client.execute(
                    "DELETE FROM __diesel_schema_migrations WHERE version = $1",
                    &[&version],
                )?;
            }
            (Layout::GolangMigrate, runner) => {
                let target = self.golang_target(file.migration_name, runner);
                golang_set_version(client, target, false)?;
                match runner {
                    Runner::Deploy => self.applied.push(integer()),
                    Runner::Revert => self.applied.retain(|&v| v != integer()),
                }
            }
            (Layout::SqlxSimple | Layout::SqlxReversible, Runner::Deploy) => {
                let checksum = Sha384::digest(file.sql.as_bytes()).to_vec();
                let nanos = i64::try_from(file.duration.as_nanos()).unwrap_or(i64::MAX);
                // sqlx's own statement, except where the version has a row already: the drill
                // applies a migration again after an undo sqlx records as a migration of its
                // own (sqlx's simple layout), which sqlx itself would never do.
                client.execute(
                    "INSERT INTO _sqlx_migrations ( version, description, success, checksum, \
                     execution_time ) VALUES ( $1, $2, TRUE, $3, $4 ) \
                     ON CONFLICT (version) DO NOTHING",
                    &[&integer(), &record.description, &checksum, &nanos],
                )?;
            }
            (Layout::SqlxSimple | Layout::SqlxReversible, Runner::Revert) => {
                client.execute(
                    "DELETE FROM _sqlx_migrations WHERE version = $1",
                    &[&integer()],
                )?;
            }
            (Layout::Dbmate, Runner::Deploy) => {
                client.execute(
                    "insert into schema_migrations (version) values ($1)",
                    &[&version],
                )?;
            }
            (Layout::Dbmate, Runner::Revert) => {
                client.execute(
                    "delete from schema_migrations where version = $1",
                    &[&version],
                )?;
            }
            (Layout::Flyway, runner) => {
                let kind = match runner {
                    Runner::Deploy => "SQL",
                    Runner::Revert => "UNDO_SQL",
                };
                let millis = i32::try_from(file.duration.as_millis()).unwrap_or(i32::MAX);
                let script = flyway_script(file, runner);
                client.execute(
                    FLYWAY_RECORD,
                    &[
                        &record.version,
                        &record.description,
                        &kind,
                        &script,
                        &flyway_checksum(file.sql),
                        &millis,
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// The version golang-migrate's row names while `migration_name` is applied (its own) or
    /// reverted (the one applied before it; -1, golang-migrate's nil version, when none).
    fn golang_target(&self, migration_name: &str, runner: Runner) -> i64 {
        let ToolRecord { version, .. } = self.layout.record(migration_name);
        let version = version.and_then(|v| v.parse().ok()).unwrap_or_default();
        match runner {
            Runner::Deploy => version,
            Runner::Revert => self
                .applied
                .iter()
                .copied()
                .filter(|&v| v < version)
                .max()
                .unwrap_or(-1),
        }
    }
}

/// golang-migrate's `SetVersion`: the table emptied and its one row written, in a transaction
/// of its own; no row for the nil version unless it is dirty.
fn golang_set_version(
    client: &mut Client,
    version: i64,
    dirty: bool,
) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.batch_execute(r#"TRUNCATE "schema_migrations""#)?;
    if version >= 0 || dirty {
        tx.execute(
            r#"INSERT INTO "schema_migrations" (version, dirty) VALUES ($1, $2)"#,
            &[&version, &dirty],
        )?;
    }
    tx.commit()
}

/// The script Flyway records: the file's name; for an undo not read from a `U` file (a
/// generated one), the `U` file it would be.
fn flyway_script(file: &Recorded<'_>, runner: Runner) -> String {
    let name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match runner {
        Runner::Revert if !name.starts_with('U') => {
            let stem = file.migration_name;
            format!("U{}.sql", stem.strip_prefix('V').unwrap_or(stem))
        }
        _ => name,
    }
}

/// Flyway's checksum of a script: CRC-32 over its lines without their line breaks (Java's
/// `readLine` ends a line at `\n`, `\r` or `\r\n`), as a signed 32-bit integer.
fn flyway_checksum(sql: &str) -> i32 {
    let mut crc = crc32fast::Hasher::new();
    for line in sql.split(['\n', '\r']) {
        crc.update(line.as_bytes());
    }
    crc.finalize() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_checksums_ignore_line_endings() {
        let unix = flyway_checksum("CREATE TABLE a (id int);\nDROP TABLE a;\n");
        assert_eq!(
            unix,
            flyway_checksum("CREATE TABLE a (id int);\r\nDROP TABLE a;\r\n")
        );
        assert_eq!(
            unix,
            crc32fast::hash(b"CREATE TABLE a (id int);DROP TABLE a;") as i32
        );
        assert_ne!(
            unix,
            flyway_checksum("CREATE TABLE a (id int);\nDROP TABLE b;\n")
        );
    }
}
