//! Seeded drills: synthetic rows before a migration, and after each phase, which of them
//! survived (compared with what the undo announced it loses).

use std::collections::BTreeSet;
use std::time::Instant;

use super::checks::limit;
use super::phases::Cycle;
use super::prepare::ForwardFile;
use super::DrillError;
use crate::drill::outcome::{DataFailure, DataReport, Phase};
use crate::drill::script::Seed;
use crate::drill::survival;
use crate::migrations::ApplyMode;
use crate::rows::reach::{Reach, Widen};
use crate::rows::{self, Fill, Fingerprint};
use crate::sql::touches::{DataReach, Touches};
use crate::sql::QName;
use crate::undo::{DataLoss, MigrationUndo};

/// A seeded drill's view of one migration's data: the fingerprint before its forward
/// phase, what may change, and the findings so far.
pub(super) struct DataWatch {
    pub(super) before: Fingerprint,
    /// After the latest phase: what the re-apply is compared with.
    pub(super) last: Fingerprint,
    /// What the forward file names.
    pub(super) touched: Touches,
    /// What the undo's files name.
    pub(super) undo_touched: Touches,
    pub(super) loses: Vec<DataLoss>,
    pub(super) report: DataReport,
}

impl Cycle<'_, '_> {
    pub(super) fn seed_and_fingerprint(
        &mut self,
        seed: Seed,
        touched: &Touches,
        undo: &MigrationUndo,
        undo_touched: &Touches,
    ) -> Result<DataWatch, DrillError> {
        // Which tables to fill: every table at first; then the empty ones not tried yet,
        // known from the fingerprint when there is one (no query per table).
        let known_empty: Option<BTreeSet<QName>> = match &self.rows_now {
            Some(now) if self.seeded_once => Some(
                now.tables
                    .iter()
                    .filter(|(_, t)| t.rows == 0 && !self.seed_tried.contains(t.oid))
                    .map(|(name, _)| name.clone())
                    .collect(),
            ),
            _ => None,
        };
        let fill = match (&known_empty, self.seeded_once) {
            (_, false) => Fill::All,
            (Some(empty), true) => Fill::These(empty),
            (None, true) => Fill::Empty {
                tried: &self.seed_tried,
            },
        };
        let client = self.session.client();
        let outcome =
            rows::seed(client, seed.rows, fill, &self.seed_hints).map_err(DrillError::Data)?;
        let filled_all = fill == Fill::All;
        self.seeded_once = true;
        self.seed_tried.record(&outcome);
        let started = Instant::now();
        let reach = if filled_all {
            Reach::All
        } else {
            let seeded = outcome.seeded.iter().map(|s| &s.table);
            self.reach(Some(seeded), &[])?
        };
        let before = self.refresh_rows(&reach)?;
        Ok(DataWatch {
            last: before.clone(),
            before,
            touched: touched.clone(),
            undo_touched: undo_touched.clone(),
            loses: undo
                .statements
                .iter()
                .flat_map(|s| s.undo.loses.iter().cloned())
                .collect(),
            report: DataReport {
                rows_per_table: seed.rows,
                seeded: outcome.seeded,
                not_seeded: outcome.failed,
                seed_time: outcome.duration,
                fingerprint_time: started.elapsed(),
                ..DataReport::default()
            },
        })
    }

    /// The tables whose data SQL may have changed that names `named` (`None`: any table)
    /// and reads `texts` (see [`rows::reach`]).
    fn reach<'a>(
        &mut self,
        named: Option<impl IntoIterator<Item = &'a QName>>,
        texts: &[&str],
    ) -> Result<Reach, DrillError> {
        let client = self.session.client();
        let widen = match &self.widen {
            Some(widen) => widen,
            None => self
                .widen
                .insert(Widen::prepare(client).map_err(DrillError::Data)?),
        };
        widen.reach(client, named, texts).map_err(DrillError::Data)
    }

    /// The data as it is now, read again only where `reach` says it may have changed since
    /// the last reading (everything when there is none). Debug builds read every table too
    /// and check that nothing outside `reach` changed: a miss there would hide data changes.
    fn refresh_rows(&mut self, reach: &Reach) -> Result<Fingerprint, DrillError> {
        let client = self.session.client();
        let now = match &mut self.rows_now {
            Some(now) => {
                now.refresh(client, reach).map_err(DrillError::Data)?;
                now
            }
            None => self
                .rows_now
                .insert(rows::fingerprint::take(client).map_err(DrillError::Data)?),
        };
        #[cfg(debug_assertions)]
        {
            let full = rows::fingerprint::take(client).map_err(DrillError::Data)?;
            assert!(
                full == *now,
                "data changed outside the reach {reach:?}: {:?}",
                now.changes(&full)
            );
        }
        Ok(now.clone())
    }

    /// Compares the data after `phase`, which applied `texts`, with the data before the
    /// forward phase.
    pub(super) fn observe(
        &mut self,
        data: &mut Option<DataWatch>,
        phase: Phase,
        texts: &[&str],
    ) -> Result<(), DrillError> {
        let Some(watch) = data else {
            return Ok(());
        };
        let started = Instant::now();
        let named = match phase {
            Phase::Undo => &watch.undo_touched,
            Phase::Forward | Phase::Reapply => &watch.touched,
        };
        let named = match named.data_reach() {
            DataReach::Any(_) => None,
            DataReach::Tables(tables) => Some(tables),
        };
        let reach = self.reach(named, texts)?;
        let now = self.refresh_rows(&reach)?;
        let baseline = match phase {
            Phase::Forward | Phase::Undo => &watch.before,
            Phase::Reapply => &watch.last,
        };
        let (unannounced, announced) =
            survival::judge(baseline, &now, phase, &watch.touched, &watch.loses);
        watch.last = now;
        watch.report.unannounced.extend(unannounced);
        watch.report.announced.extend(announced);
        watch.report.fingerprint_time += started.elapsed();
        Ok(())
    }

    /// Empties every user table (the schema stays), and has the next migration seed every
    /// table again, as at the start of the drill.
    pub(super) fn empty_every_table(&mut self) -> Result<(), DrillError> {
        let client = self.session.client();
        let tables = rows::live::user_tables(client).map_err(DrillError::Data)?;
        if let Some(truncate) = rows::live::truncate_sql(&tables) {
            client.batch_execute(&truncate).map_err(DrillError::Data)?;
        }
        self.rows_now = None;
        self.seeded_once = false;
        self.seed_tried.clear();
        Ok(())
    }

    /// After the forward migration failed on seeded rows: whether it applies once the tables
    /// are emptied, tried in a transaction that is rolled back (so nothing changes). Only in
    /// batch mode, when the failed file left nothing behind (`left_nothing`), and for files
    /// that can run in one transaction (their own `BEGIN` and `COMMIT` left out).
    pub(super) fn fails_only_with_data(
        &mut self,
        forward_file: &ForwardFile,
        left_nothing: bool,
    ) -> Result<DataFailure, DrillError> {
        let retry = match &forward_file.in_one_transaction {
            Some(text) if self.session.mode() == ApplyMode::Batch && left_nothing => text,
            _ => return Ok(DataFailure::Unknown),
        };
        let limits = self.session.limits().map(str::to_string);
        let client = self.session.client();
        let tables = rows::live::user_tables(client).map_err(DrillError::Data)?;
        let mut transaction = client.transaction().map_err(DrillError::Data)?;
        limit(&mut transaction, &limits).map_err(DrillError::Data)?;
        if let Some(truncate) = rows::live::truncate_sql(&tables) {
            transaction
                .batch_execute(&truncate)
                .map_err(DrillError::Data)?;
        }
        let applies = transaction.batch_execute(retry).is_ok();
        transaction.rollback().map_err(DrillError::Data)?;
        Ok(if applies {
            DataFailure::OnlyWithData
        } else {
            DataFailure::AlsoWithoutData
        })
    }
}
