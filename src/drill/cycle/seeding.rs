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
use crate::rows::live::LiveTable;
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
            // Inserts: they cascade nowhere, but a trigger on a table may write elsewhere.
            let seeded = DataReach::Tables {
                named: outcome.seeded.iter().map(|s| &s.table).collect(),
                written: BTreeSet::new(),
            };
            self.reach(&seeded, &[])?
        };
        let before = self.refresh_rows(&reach)?;
        Ok(DataWatch {
            last: before.clone(),
            before,
            touched: touched.clone(),
            undo_touched: undo_touched.clone(),
            loses: crate::drill::survival::announced_losses(undo),
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

    /// Forgets what is known of the data, and of the code the server may run: SQL ran that
    /// no phase observed (a second run on emptied tables, an undo folder at its place).
    pub(super) fn forget_rows(&mut self) {
        self.rows_now = None;
        if let Some(widen) = &mut self.widen {
            widen.forget_code();
        }
    }

    /// The tables whose data SQL may have changed that names and writes `named` and reads
    /// `texts` (see [`rows::reach`]).
    fn reach(&mut self, named: &DataReach<'_>, texts: &[&str]) -> Result<Reach, DrillError> {
        let client = self.session.client();
        let widen = match &mut self.widen {
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
        let reach = self.reach(&named.data_reach(), texts)?;
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
        self.forget_rows();
        self.seeded_once = false;
        self.seed_tried.clear();
        Ok(())
    }

    /// After the forward migration failed on seeded rows: whether it applies once tables are
    /// emptied, tried in a transaction that is rolled back (so nothing changes), and which
    /// tables that took: first only the tables it names (and, through `TRUNCATE … CASCADE`,
    /// those whose foreign keys point at them), else every table. Only in batch mode, when
    /// the failed file left nothing behind (`left_nothing`), and for files that can run in
    /// one transaction (their own `BEGIN` and `COMMIT` left out).
    pub(super) fn fails_only_with_data(
        &mut self,
        forward_file: &ForwardFile,
        left_nothing: bool,
    ) -> Result<(DataFailure, Option<Emptied>), DrillError> {
        let retry = match &forward_file.in_one_transaction {
            Some(text) if self.session.mode() == ApplyMode::Batch && left_nothing => text,
            _ => return Ok((DataFailure::Unknown, None)),
        };
        let limits = self.session.limits().map(str::to_string);
        let client = self.session.client();
        let tables = rows::live::user_tables(client).map_err(DrillError::Data)?;
        let named = forward_file
            .touched
            .as_ref()
            .and_then(|t| match t.data_reach() {
                DataReach::Tables { named, .. } => {
                    let names: BTreeSet<&str> = named.iter().map(|q| q.name.as_str()).collect();
                    let these: Vec<LiveTable> = (tables.iter())
                        .filter(|t| names.contains(t.name.name.as_str()))
                        .cloned()
                        .collect();
                    (!these.is_empty()).then_some(Emptied::These(these))
                }
                DataReach::Any(_) => None,
            });
        for emptied in named.into_iter().chain([Emptied::All]) {
            let emptying = match &emptied {
                Emptied::All => &tables,
                Emptied::These(these) => these,
            };
            let mut transaction = client.transaction().map_err(DrillError::Data)?;
            limit(&mut transaction, &limits).map_err(DrillError::Data)?;
            if let Some(truncate) = rows::live::truncate_sql(emptying) {
                transaction
                    .batch_execute(&truncate)
                    .map_err(DrillError::Data)?;
            }
            let applies = transaction.batch_execute(retry).is_ok();
            transaction.rollback().map_err(DrillError::Data)?;
            if applies {
                return Ok((DataFailure::OnlyWithData, Some(emptied)));
            }
        }
        Ok((DataFailure::AlsoWithoutData, None))
    }

    /// Empties `tables` and the tables whose foreign keys point at them (the schema stays),
    /// and has the next migration seed again the tables that lost their rows.
    pub(super) fn empty_tables(&mut self, emptied: &Emptied) -> Result<(), DrillError> {
        let Emptied::These(tables) = emptied else {
            return self.empty_every_table();
        };
        let before = self.refresh_rows(&Reach::Tables {
            found: Vec::new(),
            named: BTreeSet::new(),
        })?;
        let client = self.session.client();
        if let Some(truncate) = rows::live::truncate_sql(tables) {
            client.batch_execute(&truncate).map_err(DrillError::Data)?;
        }
        let after = rows::fingerprint::take(client).map_err(DrillError::Data)?;
        for (name, was) in &before.tables {
            if was.rows > 0 && after.tables.get(name).is_some_and(|now| now.rows == 0) {
                self.seed_tried.forget(was.oid);
            }
        }
        self.rows_now = Some(after);
        Ok(())
    }
}

/// Which tables a forward that failed only with data was retried on, emptied.
pub(super) enum Emptied {
    All,
    /// These, and the tables whose foreign keys point at them.
    These(Vec<LiveTable>),
}
