//! Reading a Prisma Migrate history (`prisma/migrations/`) the way `prisma migrate deploy` does.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::naming::undo_source;
use super::order::prisma_sort_key;
use super::timestamp::folder_timestamp;
use super::{Layout, MigrationsError, Timestamp};

/// The file Prisma applies in each migration folder.
pub const MIGRATION_SQL: &str = "migration.sql";
/// The hand-written undo Prisma's guide on down migrations keeps beside `migration.sql`
/// (made with `prisma migrate diff … --script > down.sql`, run with `prisma db execute`).
pub const DOWN_SQL: &str = "down.sql";
/// The file in which Prisma records the database provider of a history.
pub const LOCK_FILE: &str = "migration_lock.toml";

/// Providers the lock file may name for a PostgreSQL history. Prisma's schema accepts both
/// spellings (prisma-engines, psl `PostgresDatamodelConnector::is_provider`).
const POSTGRES_PROVIDERS: [&str; 2] = ["postgresql", "postgres"];

/// A migration history: every migration folder, in the order Prisma applies them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub dir: PathBuf,
    pub migrations: Vec<Migration>,
    /// Whose layout the folder has (which tool applies it).
    pub layout: Layout,
}

/// One migration folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Folder name, e.g. `20240126184148_new_models copy`; Prisma's migration name.
    pub name: String,
    /// `<folder>/migration.sql`; boxed, so it takes no spare capacity (a history keeps one
    /// per migration).
    pub sql_path: Box<Path>,
    /// The file's text, checked to be UTF-8, with a leading byte-order mark removed.
    pub sql: String,
    /// SHA-256 of the raw file bytes, as Prisma stores it in `_prisma_migrations.checksum`.
    pub checksum: Checksum,
    /// `Some(source name)` when this folder is an undo written by unmigrate.
    pub undo_of: Option<String>,
    /// The folder's `down.sql`, when it has one (boxed: most folders have none); in other
    /// tools' layouts, the migration's down file or section.
    pub down: Option<Box<DownSql>>,
    /// How the migration's tool sends its file.
    pub transaction: Transaction,
}

/// How a migration's own tool sends one of its files to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transaction {
    /// Prisma: as the apply mode says (batch: the whole file in one query, one implicit
    /// transaction; split: statement by statement).
    #[default]
    ApplyMode,
    /// Inside `BEGIN` … `COMMIT` the tool opens (diesel, sqlx, dbmate and Flyway, by default).
    Wrapped,
    /// As it is, in one query: one implicit transaction, unless the file has its own
    /// `BEGIN`/`COMMIT` (golang-migrate always; the others where the migration opts out).
    AsIs,
    /// Statement by statement, each committing on its own: Flyway's way with a migration
    /// holding a statement no transaction may hold (`CREATE INDEX CONCURRENTLY`, …).
    EachStatement,
}

/// A `down.sql` beside a `migration.sql`: the team's own undo of that migration (in other
/// tools' layouts, its down file or section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownSql {
    pub path: Box<Path>,
    /// The file's text, checked to be UTF-8, with a leading byte-order mark removed.
    pub sql: String,
    /// How the tool sends it (Prisma's `db execute`: as it is).
    pub transaction: Transaction,
}

impl History {
    /// The migration with this folder name.
    pub fn find(&self, name: &str) -> Option<&Migration> {
        self.migrations.iter().find(|m| m.name == name)
    }

    /// The latest moment any folder's leading timestamp stands for (a partial prefix such as
    /// `20250625_` counts as the end of that day); folders with no leading digits are skipped.
    pub fn last_timestamp(&self) -> Option<Timestamp> {
        self.migrations
            .iter()
            .filter_map(|m| folder_timestamp(&m.name).flatten())
            .max()
    }

    /// The undo folders unmigrate wrote for `source`, in history order.
    pub fn undos_of<'a>(&'a self, source: &'a str) -> impl Iterator<Item = &'a Migration> + 'a {
        self.migrations
            .iter()
            .filter(move |m| m.undo_of.as_deref() == Some(source))
    }

    /// Whether older Prisma (byte order) would apply these folders in a different order than
    /// current Prisma (`localeCompare`); worth a warning, since the two then disagree.
    pub fn byte_order_differs(&self) -> bool {
        self.migrations.windows(2).any(|w| w[0].name > w[1].name)
    }
}

/// Reads every migration folder under `dir`, sorted as Prisma applies them.
///
/// Prisma treats every subdirectory as a migration (hidden ones too) and `migrate deploy`
/// fails on one without `migration.sql`, so such a folder is an error here rather than being
/// skipped. Plain files (`migration_lock.toml`, `README.md`, `.DS_Store`) and symbolic links
/// are ignored, as Prisma ignores them (it lists entries with `Dirent.isDirectory()`, which
/// does not follow links). A lock file naming another provider than PostgreSQL is refused.
pub fn read_history(dir: &Path) -> Result<History, MigrationsError> {
    check_is_dir(dir)?;
    check_lock_file(&dir.join(LOCK_FILE))?;
    let mut migrations = Vec::new();
    for entry in fs::read_dir(dir).map_err(MigrationsError::io(dir))? {
        let entry = entry.map_err(MigrationsError::io(dir))?;
        let file_type = entry
            .file_type()
            .map_err(MigrationsError::io(entry.path()))?;
        if file_type.is_dir() {
            match read_migration(&entry.path()) {
                // Another tool's folder is said to be one, not a Prisma folder gone wrong.
                Err(error @ MigrationsError::MissingMigrationSql { .. }) => {
                    return Err(other_layout(dir).unwrap_or(error))
                }
                read => migrations.push(read?),
            }
        }
    }
    if migrations.is_empty() {
        if let Some(error) = other_layout(dir) {
            return Err(error);
        }
    }
    migrations.sort_by_cached_key(|m| prisma_sort_key(&m.name));
    Ok(History {
        dir: dir.to_path_buf(),
        migrations,
        layout: Layout::Prisma,
    })
}

/// Another tool's layout, when `dir` has one: asked only where Prisma's reading found no
/// migration or a folder without `migration.sql`, so a Prisma history is listed once.
fn other_layout(dir: &Path) -> Option<MigrationsError> {
    let other = super::layouts::detect(dir).ok()?;
    (other.layout != Layout::Prisma).then(|| MigrationsError::OtherLayout {
        dir: dir.to_path_buf(),
        layout: other.layout.name(),
        why: other.why,
    })
}

fn check_is_dir(dir: &Path) -> Result<(), MigrationsError> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(MigrationsError::NotADirectory { dir: dir.into() }),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            Err(MigrationsError::DirNotFound { dir: dir.into() })
        }
        Err(e) => Err(MigrationsError::io(dir)(e)),
    }
}

/// Reads one migration folder; its name must be UTF-8 because Prisma records it as text.
fn read_migration(dir: &Path) -> Result<Migration, MigrationsError> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| MigrationsError::NonUtf8Name { path: dir.into() })?
        .to_string();
    let sql_path = dir.join(MIGRATION_SQL);
    let Some(bytes) = read_regular(&sql_path)? else {
        return Err(MigrationsError::MissingMigrationSql { folder: dir.into() });
    };
    let sql = decode_utf8(&sql_path, &bytes)?;
    let down_path = dir.join(DOWN_SQL);
    let down = match read_regular(&down_path)? {
        Some(bytes) => Some(Box::new(DownSql {
            sql: decode_utf8(&down_path, &bytes)?,
            path: down_path.into_boxed_path(),
            transaction: Transaction::AsIs,
        })),
        None => None,
    };
    Ok(Migration {
        name,
        undo_of: undo_source(&sql),
        checksum: Checksum::of(&bytes),
        sql,
        sql_path: sql_path.into_boxed_path(),
        down,
        transaction: Transaction::ApplyMode,
    })
}

/// The bytes of a file that must be a regular file, or `None` if there is none. Anything
/// else is refused before it is read: a named pipe would block forever, a device never end.
pub(crate) fn read_regular(path: &Path) -> Result<Option<Vec<u8>>, MigrationsError> {
    let not_regular = |file_type: fs::FileType| MigrationsError::NotARegularFile {
        path: path.into(),
        kind: file_kind(file_type),
    };
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(not_regular(meta.file_type())),
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(MigrationsError::io(path)(e)),
    }
    // Opened without blocking and checked again, in case it was swapped for a pipe meanwhile.
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let mut file = options.open(path).map_err(MigrationsError::io(path))?;
    let meta = file.metadata().map_err(MigrationsError::io(path))?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(MigrationsError::io(path))?;
    Ok(Some(bytes))
}

/// What a file that is not a regular file is, for the error message.
fn file_kind(file_type: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Lowercase hex SHA-256, as Prisma writes `_prisma_migrations.checksum` (zero-padded).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Checksum::of(bytes).to_string()
}

/// A SHA-256 digest, kept as its 32 bytes (a history keeps one per migration) and shown as
/// Prisma writes `_prisma_migrations.checksum`: lowercase hex, zero-padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checksum([u8; 32]);

impl Checksum {
    pub fn of(bytes: &[u8]) -> Self {
        Checksum(Sha256::digest(bytes).into())
    }
}

impl From<Sha256> for Checksum {
    fn from(hasher: Sha256) -> Self {
        Checksum(hasher.finalize().into())
    }
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl serde::Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The text of a file without its UTF-8 byte-order mark, or an error pointing at the
/// line and column (1-based, columns counted in characters) of the first invalid byte.
pub(crate) fn decode_utf8(path: &Path, bytes: &[u8]) -> Result<String, MigrationsError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            // The prefix up to `valid_up_to` is valid UTF-8 by definition.
            let valid = String::from_utf8_lossy(&body[..e.valid_up_to()]);
            let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
            Err(MigrationsError::NotUtf8 {
                path: path.into(),
                line: valid.matches('\n').count() + 1,
                column: valid[line_start..].chars().count() + 1,
            })
        }
    }
}

/// Refuses a history whose lock file names a provider other than PostgreSQL; a missing lock
/// file is accepted (old histories and hand-made ones have none).
fn check_lock_file(lock_file: &Path) -> Result<(), MigrationsError> {
    let Some(bytes) = read_regular(lock_file)? else {
        return Ok(());
    };
    let text = decode_utf8(lock_file, &bytes)?;
    let provider =
        lock_file_provider(&text).map_err(|reason| MigrationsError::LockFileMalformed {
            lock_file: lock_file.into(),
            reason,
        })?;
    if POSTGRES_PROVIDERS.contains(&provider.as_str()) {
        Ok(())
    } else {
        Err(MigrationsError::ProviderNotPostgres {
            lock_file: lock_file.into(),
            provider,
        })
    }
}

/// The `provider` value of a lock file. Only the subset of TOML Prisma writes is understood:
/// `#` comments, blank lines, and top-level `key = "string"` pairs.
fn lock_file_provider(text: &str) -> Result<String, String> {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {} is not `key = \"value\"`", i + 1));
        };
        if key.trim().trim_matches('"') == "provider" {
            return toml_string(value.trim())
                .ok_or_else(|| format!("line {}: provider is not a quoted string", i + 1));
        }
    }
    Err("no provider line".to_string())
}

/// A TOML basic (`"…"`) or literal (`'…'`) string without escapes, optionally followed by a
/// `#` comment.
fn toml_string(value: &str) -> Option<String> {
    let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let body = &value[1..];
    let end = body.find(quote)?;
    let rest = body[end + 1..].trim();
    let content = &body[..end];
    let well_formed = (rest.is_empty() || rest.starts_with('#')) && !content.contains('\\');
    well_formed.then(|| content.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::UNDO_MARKER;
    use std::fs;

    fn folder(root: &Path, name: &str, sql: &[u8]) {
        fs::create_dir(root.join(name)).unwrap();
        fs::write(root.join(name).join(MIGRATION_SQL), sql).unwrap();
    }

    fn names(h: &History) -> Vec<&str> {
        h.migrations.iter().map(|m| m.name.as_str()).collect()
    }

    #[test]
    fn reads_and_sorts_like_prisma_ignoring_plain_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for name in [
            "20250704170658_add_automations",
            "20250625123456_same_day",
            "20250625_add_pivot_table_charttype",
            "20240718011733_dataset_runs_add_unique_dataset_id_project_id_name copy",
            "20240718011733_dataset_runs_add_unique_dataset_id_project_id_name",
        ] {
            folder(root, name, b"SELECT 1;\n");
        }
        fs::write(root.join(LOCK_FILE), "provider = \"postgresql\"\n").unwrap();
        fs::write(root.join("README.md"), "hi").unwrap();
        fs::write(root.join(".DS_Store"), [0u8, 0xff]).unwrap();
        let h = read_history(root).unwrap();
        assert_eq!(
            names(&h),
            [
                "20240718011733_dataset_runs_add_unique_dataset_id_project_id_name",
                "20240718011733_dataset_runs_add_unique_dataset_id_project_id_name copy",
                "20250625_add_pivot_table_charttype",
                "20250625123456_same_day",
                "20250704170658_add_automations",
            ]
        );
        assert!(h.byte_order_differs());
        assert_eq!(h.dir, root);
        let m = h.find("20250625123456_same_day").unwrap();
        assert_eq!(
            *m.sql_path,
            *root.join("20250625123456_same_day").join(MIGRATION_SQL)
        );
        assert_eq!(m.sql, "SELECT 1;\n");
        assert_eq!(m.undo_of, None);
        assert_eq!(
            h.last_timestamp(),
            Some(Timestamp::parse("20250704170658").unwrap())
        );
    }

    /// Known digest, from `printf 'SELECT 1;\n' | sha256sum`.
    #[test]
    fn checksum_is_sha256_of_raw_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        folder(tmp.path(), "20240101000000_a", b"SELECT 1;\n");
        folder(tmp.path(), "20240101000001_bom", b"\xEF\xBB\xBFSELECT 1;\n");
        let h = read_history(tmp.path()).unwrap();
        assert_eq!(
            h.migrations[0].checksum.to_string(),
            "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd"
        );
        let bom = &h.migrations[1];
        assert_eq!(bom.sql, "SELECT 1;\n", "BOM stripped from the text");
        assert_ne!(
            bom.checksum, h.migrations[0].checksum,
            "but not from the checksum"
        );
        assert_eq!(
            bom.checksum.to_string(),
            sha256_hex(b"\xEF\xBB\xBFSELECT 1;\n")
        );
    }

    #[test]
    fn provider_postgresql_ok_mysql_refused_missing_ok() {
        let tmp = tempfile::tempdir().unwrap();
        folder(tmp.path(), "20240101000000_a", b"SELECT 1;\n");
        assert!(read_history(tmp.path()).is_ok(), "missing lock file");

        let lock = tmp.path().join(LOCK_FILE);
        let prisma_default = "# Please do not edit this file manually\n\
                              # It should be added in your version-control system (e.g., Git)\n\
                              provider = \"postgresql\"";
        fs::write(&lock, prisma_default).unwrap();
        assert!(read_history(tmp.path()).is_ok());
        fs::write(&lock, "provider='postgres' # alias\r\n").unwrap();
        assert!(read_history(tmp.path()).is_ok());

        fs::write(&lock, "# provider = \"postgresql\"\nprovider = \"mysql\"\n").unwrap();
        let err = read_history(tmp.path()).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, MigrationsError::ProviderNotPostgres { ref provider, .. } if provider == "mysql")
        );
        assert!(
            msg.contains(LOCK_FILE) && msg.contains("\"mysql\""),
            "{msg}"
        );

        fs::write(&lock, "# nothing here\n").unwrap();
        let err = read_history(tmp.path()).unwrap_err();
        assert!(
            matches!(err, MigrationsError::LockFileMalformed { .. }),
            "{err}"
        );
    }

    #[test]
    fn folder_without_migration_sql_is_an_error_even_when_hidden() {
        for name in ["20240101000001_empty", ".git"] {
            let tmp = tempfile::tempdir().unwrap();
            folder(tmp.path(), "20240101000000_a", b"SELECT 1;\n");
            fs::create_dir(tmp.path().join(name)).unwrap();
            let err = read_history(tmp.path()).unwrap_err();
            assert!(
                matches!(err, MigrationsError::MissingMigrationSql { .. }),
                "{err}"
            );
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn hidden_folder_with_migration_sql_is_a_migration() {
        let tmp = tempfile::tempdir().unwrap();
        folder(tmp.path(), ".hidden", b"SELECT 1;\n");
        assert_eq!(names(&read_history(tmp.path()).unwrap()), [".hidden"]);
    }

    #[test]
    fn non_utf8_reports_line_and_column() {
        let tmp = tempfile::tempdir().unwrap();
        folder(
            tmp.path(),
            "20240101000000_a",
            b"SELECT 1;\n-- caf\xC3\xA9 \xFF\n",
        );
        let err = read_history(tmp.path()).unwrap_err();
        match &err {
            MigrationsError::NotUtf8 { path, line, column } => {
                assert!(path.ends_with("20240101000000_a/migration.sql"));
                assert_eq!((*line, *column), (2, 9));
            }
            other => panic!("unexpected {other}"),
        }
        assert!(err.to_string().contains("migration.sql:2:9"), "{err}");
    }

    #[test]
    fn detects_unmigrate_undo_folders() {
        let tmp = tempfile::tempdir().unwrap();
        folder(tmp.path(), "20240101000000_a b", b"CREATE TABLE a();\n");
        let undo = format!("{UNDO_MARKER}20240101000000_a b \r\nDROP TABLE a;\n");
        folder(tmp.path(), "20240101000001_undo_a_b", undo.as_bytes());
        let h = read_history(tmp.path()).unwrap();
        assert_eq!(h.migrations[0].undo_of, None);
        assert_eq!(
            h.migrations[1].undo_of.as_deref(),
            Some("20240101000000_a b")
        );
        assert_eq!(h.undos_of("20240101000000_a b").count(), 1);
    }

    #[test]
    fn a_named_pipe_is_refused_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("20240101000000_a")).unwrap();
        let fifo = tmp.path().join("20240101000000_a").join(MIGRATION_SQL);
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let err = read_history(tmp.path()).unwrap_err();
        assert!(
            matches!(err, MigrationsError::NotARegularFile { .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&fifo.display().to_string()), "{msg}");
        assert!(msg.contains("a named pipe"), "{msg}");

        fs::remove_file(&fifo).unwrap();
        fs::create_dir(&fifo).unwrap();
        let err = read_history(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
    }

    #[test]
    fn missing_dir_and_file_instead_of_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        let err = read_history(&missing).unwrap_err();
        assert!(matches!(err, MigrationsError::DirNotFound { .. }));
        assert!(err.to_string().contains("prisma/migrations"), "{err}");
        let file = tmp.path().join("file");
        fs::write(&file, "").unwrap();
        assert!(matches!(
            read_history(&file),
            Err(MigrationsError::NotADirectory { .. })
        ));
    }

    #[test]
    fn empty_history_is_fine() {
        let tmp = tempfile::tempdir().unwrap();
        let h = read_history(tmp.path()).unwrap();
        assert!(h.migrations.is_empty());
        assert_eq!(h.last_timestamp(), None);
    }
}
