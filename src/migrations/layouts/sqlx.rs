//! sqlx histories (being built).

use std::path::Path;

use super::Layout;
use crate::migrations::{Migration, MigrationsError};

/// Every migration of the history in `dir`, in the order sqlx applies them.
pub(super) fn read(dir: &Path, layout: Layout) -> Result<Vec<Migration>, MigrationsError> {
    Err(MigrationsError::LayoutNotRead {
        layout: layout.name(),
        dir: dir.to_path_buf(),
    })
}
