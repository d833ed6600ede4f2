//! The SQL cases under `tests/cases/`: each is the earlier schema, a `-- forward` line, then
//! the forward migration; the snapshot tests build a Prisma history of two migrations from one.

use std::path::Path;

use tempfile::TempDir;
use unmigrate::migrations::{read_history, History};

use super::write_history;

const FORWARD_MARKER: &str = "-- forward";

/// The name of a case's forward migration in the history [`history`] builds.
pub const FORWARD: &str = "20240102000000_forward";

/// A case as a Prisma history (the earlier schema, then the forward migration) in a temp dir,
/// read back.
pub fn history(case: &str) -> (TempDir, History) {
    let (earlier, forward) = case
        .split_once(&format!("{FORWARD_MARKER}\n"))
        .expect("a case needs a `-- forward` line");
    let dir = tempfile::tempdir().expect("temp dir");
    write_history(
        dir.path(),
        &[("20240101000000_earlier", earlier), (FORWARD, forward)],
    );
    let history = read_history(dir.path()).expect("history");
    (dir, history)
}

/// The name of the folder a case is in: its family, or for `explain`, its rule.
pub fn folder(case: &Path) -> String {
    case.parent()
        .and_then(|folder| folder.file_name())
        .expect("a case folder")
        .to_string_lossy()
        .into_owned()
}

/// Settings for a case's snapshot, `<path>/<name>.snap` (relative to the test file): named by
/// the caller, not `insta::glob!`'s `@<file>` suffix, and described by the whole case.
pub fn snapshot_settings(path: &str, case: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.remove_snapshot_suffix();
    settings.set_snapshot_path(path);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(case);
    settings.set_omit_expression(true);
    settings
}
