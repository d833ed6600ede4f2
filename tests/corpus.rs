//! The real histories (`../shared/corpus`, or `$UNMIGRATE_CORPUS`: see [`unmigrate::corpus`]) are the ground truth: generating the undo of every
//! migration must succeed, every generated file must parse as PostgreSQL, and a drill of each
//! whole history on a real PostgreSQL server must confirm every undo claimed exact or lossy,
//! over seeded rows too.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use unmigrate::corpus;
use unmigrate::drill::outcome::DrillReport;
use unmigrate::drill::script::Seed;
use unmigrate::drill::{self, DrillPlan, UndoChoice};
use unmigrate::generate::Selection;
use unmigrate::migrations::read_history;
use unmigrate::scratch::{ScratchOptions, ScratchSource};
use unmigrate::undo::Verdict;

fn generate_all(name: &str, expected_migrations: usize) {
    let Some(dir) = corpus::for_test(name) else {
        return;
    };
    let history = read_history(&dir).expect("corpus history reads");
    assert_eq!(history.migrations.len(), expected_migrations);
    let plan = common::fixed_plan(&history, &Selection::All);
    assert_eq!(plan.undos.len(), expected_migrations);
    let counts = plan.counts();
    let statements: usize = plan
        .undos
        .iter()
        .map(|u| plan.statements(u).unwrap().as_array().unwrap().len())
        .sum();
    assert_eq!(counts.exact + counts.lossy + counts.manual, statements);
    // Every file parses back to exactly the statements built (the guard `generate` runs).
    unmigrate::generate::verify(&plan).unwrap_or_else(|e| panic!("{e}"));
    for folder in plan.folders() {
        let folder = folder.unwrap();
        assert!(folder.sql.starts_with(unmigrate::migrations::UNDO_MARKER));
        if let Err(e) = unmigrate::sql::reparse(&folder.sql) {
            panic!(
                "{}: generated SQL does not parse: {e}\n{}",
                folder.name, folder.sql
            );
        }
    }
    // Every manual undo says why, in its file.
    for undo in &plan.undos {
        let files: Vec<String> = undo.folders.iter().map(|f| plan.file(f).unwrap()).collect();
        for note in plan.notes(undo).unwrap() {
            if note.verdict != Verdict::Manual {
                continue;
            }
            assert!(
                !note.reason.is_empty(),
                "{}: manual undo without a reason",
                undo.source
            );
            assert!(files.iter().any(|sql| sql.contains(&note.reason)));
        }
    }
}

#[test]
fn langfuse_every_migration_has_a_parseable_undo() {
    generate_all("langfuse", 434);
}

#[test]
fn triggerdev_every_migration_has_a_parseable_undo() {
    generate_all("triggerdev", 820);
}

/// The drill of a whole corpus's generated undos (`--undo generated`) on the embedded server,
/// seeded as `seed` says; `None` when the corpus is missing and not required.
fn drill_generated(name: &str, seed: Option<Seed>) -> Option<DrillReport> {
    let dir = corpus::for_test(name)?;
    let plan = DrillPlan {
        undo: UndoChoice::Generated,
        seed,
        ..DrillPlan::whole_history(dir, ScratchSource::Embedded(ScratchOptions::default()))
    };
    Some(drill::run(&plan, &mut |_| {}).unwrap_or_else(|e| {
        panic!("{name}: the drill could not run (is PostgreSQL installed?): {e}")
    }))
}

/// Drills a whole corpus's generated undos (`--undo generated`) on the embedded server: no
/// false claim (an exact or lossy undo whose drill failed), nothing left unrun, and the final
/// full snapshot agrees with the tracked one. Returns the report, `None` when the corpus is
/// missing and not required.
fn drill_all(name: &str) -> Option<DrillReport> {
    let report = drill_generated(name, None)?;
    assert_eq!(
        report.false_claims(),
        Vec::<&str>::new(),
        "{name}: false claims"
    );
    assert_eq!(report.stopped, None, "{name}: the drill stopped early");
    let counts = report.counts();
    assert_eq!(counts.not_run, 0, "{name}");
    assert_eq!(counts.failed, 0, "{name}");
    let check = report
        .final_check
        .as_ref()
        .expect("the final full check ran");
    assert!(check.passed, "{name}: final check: {:#?}", check.diff);
    // Manual undos are reported, not drilled (or drilled and passed, when they only need a
    // backfill); everything else was confirmed.
    let manual = report
        .migrations
        .iter()
        .filter(|m| m.claimed == Verdict::Manual)
        .count();
    assert_eq!(
        report.confirmed() + manual,
        report.migrations.len(),
        "{name}"
    );
    Some(report)
}

/// Issue 4's bar: at least 97% of the migrations get an exact or lossy undo the drill confirms.
fn assert_97_percent_confirmed(name: &str, report: &DrillReport) {
    let (confirmed, total) = (report.confirmed(), report.migrations.len());
    assert!(
        confirmed * 100 >= total * 97,
        "{name}: the drill confirms only {confirmed} of {total} undos (below 97%)"
    );
}

fn drill_all_to_the_bar(name: &str) {
    if let Some(report) = drill_all(name) {
        assert_97_percent_confirmed(name, &report);
    }
}

#[test]
fn langfuse_drill_confirms_every_exact_or_lossy_undo() {
    drill_all_to_the_bar("langfuse");
}

#[test]
fn triggerdev_drill_confirms_every_exact_or_lossy_undo() {
    drill_all_to_the_bar("triggerdev");
}

#[test]
fn cratesio_drill_confirms_every_exact_or_lossy_undo() {
    drill_all_to_the_bar("diesel-cratesio/migrations");
}

#[test]
fn docsrs_drill_confirms_every_exact_or_lossy_undo() {
    drill_all_to_the_bar("sqlx-docsrs/migrations");
}

#[test]
fn atuin_drill_confirms_every_exact_or_lossy_undo() {
    drill_all_to_the_bar("sqlx-atuin/migrations");
}

#[test]
fn ncps_drill_confirms_every_exact_or_lossy_undo() {
    drill_all_to_the_bar("dbmate-ncps/migrations");
}

#[test]
fn marquez_drill_confirms_every_exact_or_lossy_undo() {
    drill_all_to_the_bar("flyway-marquez/migrations");
}

/// openmeter stays below the 97% bar (95.2%): the undos of 13 of its 269 migrations are manual
/// by the verdict rules (README, "Verdicts"): rows an `INSERT … SELECT`, `ON CONFLICT`, a
/// data-changing `WITH` or a function added, and dropped NOT NULL key columns that need a
/// backfill. This pins that no manual undo of another kind appears here.
#[test]
fn openmeter_drill_confirms_every_exact_or_lossy_undo_and_its_manual_ones_are_data() {
    let name = "golang-migrate-openmeter/migrations";
    let Some(report) = drill_all(name) else {
        return;
    };
    // Rows only known at run time (INSERT … SELECT, ON CONFLICT, a data-changing WITH, a
    // function that inserts), or a re-added NOT NULL key column that needs a backfill.
    let data_kinds = [
        "which rows it added",
        "a data-changing",
        "changes data too",
        "runs for the side effects of the functions it calls",
        "needs a backfill",
    ];
    for m in report
        .migrations
        .iter()
        .filter(|m| m.claimed == Verdict::Manual)
    {
        for reason in m.reasons.iter().filter(|r| r.verdict == Verdict::Manual) {
            assert!(
                data_kinds.iter().any(|kind| reason.text.contains(kind)),
                "{}: a manual undo that is not about data: {reason}",
                m.name
            );
        }
    }
    assert!(
        report.confirmed() * 100 >= report.migrations.len() * 95,
        "{name}"
    );
}

/// A seeded drill (5 rows per table) of a corpus's generated undos: no exact or lossy undo
/// fails on the rows other than as its verdict allows (see [`DrillReport::false_claims`]: a
/// forward that fails only with data, an undo stopped in a preflight check its note
/// announces), and none changes data it did not announce.
fn seeded_drill_contradicts_no_claim(name: &str) {
    let Some(report) = drill_generated(name, Some(Seed { rows: 5 })) else {
        return;
    };
    assert_eq!(report.stopped, None, "{name}: the drill stopped early");
    assert_eq!(
        report.false_claims(),
        Vec::<&str>::new(),
        "{name}: claims the seeded rows contradict"
    );
    let unannounced: Vec<&str> = report
        .migrations
        .iter()
        .filter(|m| m.claimed != Verdict::Manual)
        .filter(|m| m.data.as_ref().is_some_and(|d| !d.unannounced.is_empty()))
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        unannounced,
        Vec::<&str>::new(),
        "{name}: unannounced data changes"
    );
    let seeded = report.migrations.iter().filter_map(|m| m.data.as_ref());
    assert!(
        seeded.map(|d| d.seeded.len()).sum::<usize>() > 0,
        "{name}: nothing was seeded"
    );
}

#[test]
fn langfuse_seeded_drill_contradicts_no_claim() {
    seeded_drill_contradicts_no_claim("langfuse");
}

#[test]
fn triggerdev_seeded_drill_contradicts_no_claim() {
    seeded_drill_contradicts_no_claim("triggerdev");
}

#[test]
fn cratesio_seeded_drill_contradicts_no_claim() {
    seeded_drill_contradicts_no_claim("diesel-cratesio/migrations");
}

#[test]
fn openmeter_seeded_drill_contradicts_no_claim() {
    seeded_drill_contradicts_no_claim("golang-migrate-openmeter/migrations");
}

#[test]
fn docsrs_seeded_drill_contradicts_no_claim() {
    seeded_drill_contradicts_no_claim("sqlx-docsrs/migrations");
}

#[test]
fn atuin_seeded_drill_contradicts_no_claim() {
    seeded_drill_contradicts_no_claim("sqlx-atuin/migrations");
}

#[test]
fn ncps_seeded_drill_contradicts_no_claim() {
    seeded_drill_contradicts_no_claim("dbmate-ncps/migrations");
}

#[test]
fn marquez_seeded_drill_contradicts_no_claim() {
    seeded_drill_contradicts_no_claim("flyway-marquez/migrations");
}
