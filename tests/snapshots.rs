//! Snapshot tests of the undo rules. Each case is `tests/cases/<family>/<case>.sql`: the
//! earlier schema, a `-- forward` line, then the forward migration. The generated undo
//! migration(s) are snapshotted into the top-level `snapshots/` as `<family>__<case>.snap`.
//! A snapshot no test wrote fails CI (`cargo insta test --unreferenced=reject` in `.ci/run`).

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use unmigrate::generate::Selection;

mod common;
use common::cases;

/// Builds a two-migration Prisma history from a case and returns the rendered undo folders.
fn undo_of_case(case: &str) -> String {
    let (_dir, history) = cases::history(case);
    let plan = common::fixed_plan(&history, &Selection::Last(1));
    unmigrate::generate::verify(&plan).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for folder in plan.folders() {
        let folder = folder.expect("the file reads back");
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

/// Every case, `tests/cases/<family>/<case>.sql`, snapshotted as `<family>__<case>.snap`.
/// `insta::glob!` runs them all and then reports every mismatch, not only the first.
#[test]
fn undo_rules() {
    let mut cases = 0;
    insta::glob!("cases", "*/*.sql", |path| {
        cases += 1;
        let case = std::fs::read_to_string(path).expect("read case");
        let family = cases::folder(path);
        let name = path.file_stem().expect("case name").to_string_lossy();
        // The tool version is in every header; keep it out of snapshots.
        let output = undo_of_case(&case).replace(
            &format!("unmigrate {};", env!("CARGO_PKG_VERSION")),
            "unmigrate [version];",
        );
        // Named after the family and case.
        cases::snapshot_settings("../snapshots", &case)
            .bind(|| insta::assert_snapshot!(format!("{family}__{name}"), output));
    });
    assert!(
        cases >= 20,
        "expected the rule cases under tests/cases, found {cases}"
    );
}
