//! Snapshot tests of the undo rules. Each case is `tests/cases/<family>/<case>.sql`: the
//! earlier schema, a `-- forward` line, then the forward migration. The generated undo
//! migration(s) are snapshotted into the top-level `snapshots/` as `<family>__<case>.snap`.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use unmigrate::generate::{plan, Selection};
use unmigrate::migrations::{read_history, Timestamp};

mod common;
use common::write_history;

const FORWARD_MARKER: &str = "-- forward";

/// Builds a two-migration Prisma history from a case and returns the rendered undo folders.
fn undo_of_case(case: &str) -> String {
    let (earlier, forward) = case
        .split_once(&format!("{FORWARD_MARKER}\n"))
        .expect("a case needs a `-- forward` line");
    let dir = tempfile::tempdir().expect("temp dir");
    write_history(
        dir.path(),
        &[
            ("20240101000000_earlier", earlier),
            ("20240102000000_forward", forward),
        ],
    );
    let history = read_history(dir.path()).expect("history");
    let ts = Timestamp::parse("20990101000000").expect("timestamp");
    let plan = plan(&history, &Selection::Last(1), Some(ts), ts, false).expect("plan");
    unmigrate::generate::verify(&plan).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for folder in plan.folders() {
        if let Err(e) = unmigrate::sql::reparse(&folder.sql) {
            panic!("generated SQL does not parse ({e}):\n{}", folder.sql);
        }
        out.push_str(&format!(
            "==> {}/migration.sql\n{}\n",
            folder.name,
            without_checksum(&folder.sql)
        ));
    }
    out
}

/// The file with its content checksum redacted: it covers the version line, which snapshots
/// leave out too (the checksum itself is tested in `migrations::naming`).
fn without_checksum(sql: &str) -> String {
    const PREFIX: &str = "-- content checksum (sha256, of this file without this line): ";
    sql.lines()
        .map(|line| match line.strip_prefix(PREFIX) {
            Some(hash) if hash.len() == 64 => format!("{PREFIX}[checksum]\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}

/// Every case file, sorted: `tests/cases/<family>/<case>.sql`.
fn case_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files = Vec::new();
    for family in std::fs::read_dir(&root).expect("tests/cases") {
        for case in std::fs::read_dir(family.expect("family").path()).expect("family dir") {
            let path = case.expect("case").path();
            if path.extension().is_some_and(|e| e == "sql") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn undo_rules() {
    let cases = case_files();
    assert!(
        cases.len() >= 20,
        "expected the rule cases under tests/cases, found {}",
        cases.len()
    );
    for path in &cases {
        let path = path.as_path();
        let case = std::fs::read_to_string(path).expect("read case");
        let family = path
            .parent()
            .and_then(Path::file_name)
            .expect("family")
            .to_string_lossy();
        let name = path.file_stem().expect("case name").to_string_lossy();
        // The tool version is in every header; keep it out of snapshots.
        let output = undo_of_case(&case).replace(
            &format!("unmigrate {};", env!("CARGO_PKG_VERSION")),
            "unmigrate [version];",
        );
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            input_file => path,
            description => case.clone(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("{family}__{name}"), output);
        });
    }
}

/// Every snapshot belongs to a case, so deleting a case cannot leave a stale snapshot behind.
/// Report snapshots have no SQL case: each belongs to a test in `tests/report.rs` that names it.
#[test]
fn no_orphaned_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report_tests =
        std::fs::read_to_string(root.join("tests/report.rs")).expect("tests/report.rs");
    for entry in std::fs::read_dir(root.join("snapshots")).expect("snapshots dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(stem) = name.strip_suffix(".snap") else {
            continue;
        };
        let (family, case) = stem
            .split_once("__")
            .expect("snapshot named <family>__<case>");
        if family == "report" {
            assert!(
                report_tests.contains(&format!("\"{stem}\"")),
                "snapshot {name} is not named in tests/report.rs"
            );
            continue;
        }
        let fixture = root
            .join("tests/cases")
            .join(family)
            .join(format!("{case}.sql"));
        assert!(
            fixture.exists(),
            "snapshot {name} has no case {}",
            fixture.display()
        );
    }
}
