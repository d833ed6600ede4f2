//! Every hazard rule of `unmigrate explain`, shown to be real on a real PostgreSQL.
//!
//! For each rule, a test (named after its id, in the file of its family) takes a tiny Prisma
//! history under `histories/` where the rule fires, asserts that `unmigrate explain DIR
//! --format json` reports it on the expected statement, and then reads what `unmigrate drill`
//! measured on an embedded PostgreSQL for the same statement: the error it fails with, the
//! locks it took, the tables it rewrote or read in full (`--trace`), or an application query
//! (`[[check]]` in the history's `drill.toml`) that stops working. Where a safe form exists, a
//! quiet counterpart shows explain staying silent and the trace measuring the weaker effect.
//!
//! Drills are slow (an embedded cluster each), so a history serves several rules: it is
//! explained and drilled once, on first use, and the tests read the shared reports
//! ([`outcome`]). Nothing is mocked or skipped: without PostgreSQL every test fails with the
//! binary's install hint.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;
mod outcome;

mod columns;
mod compat;
mod constraints;
mod indexes;
mod maintenance;
mod timeouts;
mod transactions;

use std::fs;

use common::manifest_dir;
use unmigrate::explain::Rule;

/// Each test of a family file is the proof of one rule of that family, named after its id,
/// so a renamed or removed rule cannot leave a stale proof behind. A new rule starts without
/// one (its examples and fixtures are explained by the other suites); add it here once its
/// effect can be measured. The rules without a proof are printed
/// (`cargo test --test hazards -- --nocapture every`).
#[test]
fn every_test_proves_a_rule_of_its_family() {
    let dir = manifest_dir().join("tests/hazards");
    let mut proved = Vec::new();
    for entry in fs::read_dir(&dir).expect("tests/hazards") {
        let path = entry.expect("entry").path();
        let family = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if path.extension().is_none_or(|e| e != "rs")
            || ["main", "outcome"].contains(&family.as_str())
        {
            continue;
        }
        let source = fs::read_to_string(&path).expect("read");
        for test in source.split("#[test]\nfn ").skip(1) {
            let name = test.split('(').next().expect("a name").replace('_', "-");
            let rule = Rule::from_id(&name)
                .unwrap_or_else(|| panic!("{}: test {name} names no rule", path.display()));
            assert_eq!(
                rule.about().family,
                family,
                "{rule} is tested in the wrong file"
            );
            proved.push(rule);
        }
    }
    for rule in Rule::ALL.iter().filter(|r| !proved.contains(r)) {
        println!("no drill proof yet: {rule}");
    }
}
