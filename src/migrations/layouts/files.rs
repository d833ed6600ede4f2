//! What every layout's reader does with files: listing a folder, reading one SQL file
//! (UTF-8 checked, byte-order mark removed, checksum of the raw bytes) and making the
//! [`Migration`] of an up file and its down.

use std::fs;
use std::path::{Path, PathBuf};

use crate::migrations::history::{decode_utf8, read_regular};
use crate::migrations::{Checksum, DownSql, Migration, MigrationsError, Transaction};

/// One SQL file of a migration, read.
pub(super) struct SqlFile {
    pub path: PathBuf,
    /// The raw bytes: tools look at them (sqlx's `-- no-transaction`, diesel's emptiness)
    /// before any byte-order mark is removed.
    pub bytes: Vec<u8>,
    /// The text, checked to be UTF-8, without a leading byte-order mark.
    pub sql: String,
}

impl SqlFile {
    /// The file at `path`, or `None` if there is none.
    pub fn read(path: PathBuf) -> Result<Option<Self>, MigrationsError> {
        let Some(bytes) = read_regular(&path)? else {
            return Ok(None);
        };
        let sql = decode_utf8(&path, &bytes)?;
        Ok(Some(SqlFile { path, bytes, sql }))
    }

    /// The file at `path`, which its caller saw listed.
    pub fn read_listed(path: PathBuf) -> Result<Self, MigrationsError> {
        match Self::read(path.clone())? {
            Some(file) => Ok(file),
            None => Err(MigrationsError::io(path)(
                std::io::ErrorKind::NotFound.into(),
            )),
        }
    }

    /// This file as the down of a migration, sent as `transaction` says.
    pub fn into_down(self, transaction: Transaction) -> Box<DownSql> {
        Box::new(DownSql {
            path: self.path.into_boxed_path(),
            sql: self.sql,
            transaction,
        })
    }

    /// The migration `name` whose up file this is.
    pub fn into_migration(
        self,
        name: String,
        transaction: Transaction,
        down: Option<Box<DownSql>>,
    ) -> Migration {
        Migration {
            name,
            checksum: Checksum::of(&self.bytes),
            sql_path: self.path.into_boxed_path(),
            sql: self.sql,
            undo_of: None,
            down,
            transaction,
        }
    }
}

/// The entries of `dir`, in no particular order.
pub(super) fn entries(dir: &Path) -> Result<Vec<fs::DirEntry>, MigrationsError> {
    fs::read_dir(dir)
        .map_err(MigrationsError::io(dir))?
        .map(|entry| entry.map_err(MigrationsError::io(dir)))
        .collect()
}

/// The name of `entry` as text, when it is UTF-8 (tools record names as text).
pub(super) fn utf8_name(entry: &fs::DirEntry) -> Result<String, MigrationsError> {
    entry
        .file_name()
        .into_string()
        .map_err(|_| MigrationsError::NonUtf8Name { path: entry.path() })
}
