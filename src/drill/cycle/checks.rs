//! Drill-script checks: the application's SQL, run after a phase in a transaction that is
//! rolled back.

use postgres::Client;

use super::phases::Cycle;
use crate::drill::outcome::{CheckReport, Expectation, MigrationDrill, Phase};
use crate::migrations::Migration;

impl Cycle<'_, '_> {
    /// Runs the checks due after this phase, each in a transaction that is rolled back so a
    /// check cannot change what the drill compares.
    pub(super) fn run_checks(&mut self, m: &Migration, after: Phase, report: &mut MigrationDrill) {
        for check in self.checks {
            let due = check.after.contains(&after)
                && check.migration.as_ref().is_none_or(|name| *name == m.name);
            if !due {
                continue;
            }
            let limits = self.session.limits().map(str::to_string);
            let outcome =
                run_in_rolled_back_transaction(self.session.client(), &limits, &check.sql);
            let (passed, detail) = match (check.expect, outcome) {
                (Expectation::Succeed, Ok(())) => (true, None),
                (Expectation::Succeed, Err(e)) => (false, Some(e)),
                (Expectation::Fail, Err(e)) => (true, Some(e)),
                (Expectation::Fail, Ok(())) => (false, Some("succeeded, but it must fail".into())),
            };
            report.checks.push(CheckReport {
                name: check.name.clone(),
                after,
                expect: check.expect,
                passed,
                detail,
            });
        }
    }
}

/// SQL the drill runs for the user (a check, a migration tried again) runs under the
/// migrations' own limits ([`ToolSession::limits`]), for this transaction only.
pub(super) fn limit(
    transaction: &mut postgres::Transaction<'_>,
    limits: &[String; 2],
) -> Result<(), postgres::Error> {
    transaction
        .execute(
            "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
            &[&limits[0], &limits[1]],
        )
        .map(drop)
}

pub(super) fn run_in_rolled_back_transaction(
    client: &mut Client,
    limits: &[String; 2],
    sql: &str,
) -> Result<(), String> {
    let mut transaction = client.transaction().map_err(|e| e.to_string())?;
    limit(&mut transaction, limits).map_err(|e| e.to_string())?;
    let outcome = transaction
        .batch_execute(sql)
        .map_err(|e| match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        });
    let _ = transaction.rollback();
    outcome
}
