//! Seeded drills' data lines: the same sentences in every format (what was seeded, what could
//! not be, data changed without being announced, losses announced, failures on rows).

use crate::drill::outcome::{
    DataFailure, DataFix, DataReport, DrillReport, Phase, PhaseDataChange,
};

/// "seeded 1000 rows into "User", "Post"", when this migration's round of seeding filled any.
pub(super) fn seeded_line(data: &DataReport) -> Option<String> {
    if data.seeded.is_empty() {
        return None;
    }
    let tables: Vec<String> = data
        .seeded
        .iter()
        .map(|s| match s.rows == data.rows_per_table {
            true => s.table.to_string(),
            false => format!("{} ({} rows)", s.table, s.rows),
        })
        .collect();
    Some(format!(
        "seeded {} rows into {}",
        data.rows_per_table,
        tables.join(", ")
    ))
}

/// One line per table seeding could not fill, with the constraint or shape that defeated the
/// seeder and PostgreSQL's error.
pub(super) fn not_seeded_lines(data: &DataReport) -> Vec<String> {
    data.not_seeded
        .iter()
        .map(|u| match &u.code {
            Some(code) => format!(
                "could not seed {} (it stays empty): ERROR {code}: {}",
                u.table, u.message
            ),
            None => format!("could not seed {} (it stays empty): {}", u.table, u.message),
        })
        .collect()
}

/// A data difference nobody announced: what fails the migration.
pub(super) fn unannounced_headline(change: &PhaseDataChange) -> String {
    match change.after {
        Phase::Undo => format!("undo lost data it did not announce: {}", change.change),
        phase => format!(
            "{phase} changed data the migration does not touch: {}",
            change.change
        ),
    }
}

/// A loss the verdict announced, as the drill observed it.
pub(super) fn announced_line(change: &PhaseDataChange) -> String {
    format!(
        "lost as announced, after {}: {}",
        change.after, change.change
    )
}

/// Why a phase failed on seeded rows, for the phase's failure.
pub(super) fn data_failure_note(phase: Phase, failure: DataFailure) -> &'static str {
    match (phase, failure) {
        (Phase::Undo, DataFailure::OnlyWithData) => {
            "fails only with data: on the emptied tables the rest of the undo (from where it \
             stopped) applies, so an empty shadow database would not show this; on a populated \
             database it stops there, so the rows its error names need fixing (or the undo a \
             backfill) before it can deploy. The drill went on: the rest of the undo and the \
             re-apply ran on emptied tables, and every table is seeded afresh before the next \
             migration"
        }
        (_, DataFailure::OnlyWithData) => {
            "fails only with data: the same file applies once tables are emptied (the tables it \
             names, else every table), so an empty shadow database would not show this. The \
             drill went on: the migration was drilled again on those emptied tables (the second \
             forward, the undo and the re-apply), and they are seeded afresh before the next one"
        }
        (_, DataFailure::AlsoWithoutData) => {
            "fails on the emptied tables too, so not (only) because of the seeded rows"
        }
        (Phase::Undo, DataFailure::Unknown) => {
            "failed on seeded rows; not retried without them (its file could not be read back \
             to find where the rest begins)"
        }
        (_, DataFailure::Unknown) => {
            "failed on seeded rows; not retried without them (split mode, or the file cannot \
             run in one transaction)"
        }
    }
}

/// "1000 rows per table" and the tables seeded over the whole drill, for headers.
pub(super) fn seed_summary(report: &DrillReport) -> Option<String> {
    let rows = report
        .migrations
        .iter()
        .find_map(|m| m.data.as_ref())?
        .rows_per_table;
    let (mut seeded, mut failed, mut unannounced, mut announced) = (0, 0, 0, 0);
    let (mut forward_only_data, mut synthetic, mut undo_on_rows) = (0, 0, 0);
    for data in report.migrations.iter().filter_map(|m| m.data.as_ref()) {
        seeded += data.seeded.len();
        failed += data.not_seeded.len();
        unannounced += data.unannounced.len();
        announced += data.announced.len();
        forward_only_data += usize::from(data.forward_failure == Some(DataFailure::OnlyWithData));
        synthetic += usize::from(data.forward_fix == Some(DataFix::SyntheticValues));
        undo_on_rows += usize::from(data.undo_failure.is_some());
    }
    Some(format!(
        "Seeded data: {rows} rows per table, {seeded} tables seeded, {failed} could not be \
         seeded; {forward_only_data} forward migrations fail only with data ({synthetic} of \
         them on the seeder's own values), {undo_on_rows} undos fail on seeded rows; {unannounced} unannounced data changes, {announced} \
         announced losses observed"
    ))
}
