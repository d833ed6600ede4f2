//! Dbmate histories (being built).

use std::path::Path;

use super::Layout;
use crate::migrations::{Migration, MigrationsError};

/// Every migration of the history in `dir`, in the order the tool applies them.
pub(super) fn read(dir: &Path) -> Result<Vec<Migration>, MigrationsError> {
    Err(MigrationsError::LayoutNotRead {
        layout: Layout::Dbmate.name(),
        dir: dir.to_path_buf(),
    })
}
