//! `drill --rollback-all`: every up, then every down newest first, as the team's tool would
//! run them in an incident, each down compared with the schema the history had before its
//! migration (see [`crate::drill::rollback`]).

use std::time::Instant;

use super::phases::sql_file;
use super::prepare::{database_label, open_scratch, start_session, Opened};
use super::{DrillError, DrillPlan};
use crate::drill::apply::{Runner, SqlFile, ToolSession};
use crate::drill::rollback::{RollbackReport, RollbackStep, StepResult};
use crate::migrations::{self, History, Layout};
use crate::snapshot::Snapshot;
use crate::sql;

/// Applies every forward migration of the history in `plan.migrations_dir`, then every down
/// newest first, and reports each step. Stops at the first down that fails or is missing.
pub fn rollback_all(plan: &DrillPlan) -> Result<RollbackReport, DrillError> {
    let started = Instant::now();
    let (history, _) = migrations::layouts::read(&plan.migrations_dir, plan.layout)?;
    let forward = history.forward();
    if forward.is_empty() {
        return Err(super::nothing_to_drill(&history));
    }
    let Opened {
        scratch,
        mut client,
        server_version,
        mut watcher,
    } = open_scratch(plan, history.layout)?;
    let database = database_label(&scratch, plan, &server_version);
    let mut session = start_session(&mut client, plan, history.layout)?;
    let mut report = RollbackReport {
        migrations_dir: plan.migrations_dir.clone(),
        layout: history.layout,
        database,
        applied: 0,
        steps: Vec::new(),
        not_started: None,
        left_at_end: None,
        total: Default::default(),
    };

    // Forward: the schema before each migration, and after the last.
    let mut schemas: Vec<Snapshot> = vec![watcher.refresh(session.client())?.clone()];
    for m in &forward {
        let applied = session.apply(sql_file(m))?;
        watcher.note_applied(&m.sql);
        if let Some(failure) = applied.failure {
            report.not_started = Some(format!(
                "{} failed going forward, so the rollback cannot begin: {}",
                m.name, failure.message
            ));
            report.total = started.elapsed();
            return Ok(report);
        }
        report.applied += 1;
        schemas.push(watcher.refresh(session.client())?.clone());
    }

    // Back, newest first.
    let mut stopped = false;
    for (i, m) in forward.iter().enumerate().rev() {
        let migration = (&schemas[i + 1], &schemas[i]);
        let step = down_step(&history, m, migration, &mut session, &mut watcher)?;
        stopped = matches!(step.result, StepResult::Fails | StepResult::NoDown);
        report.steps.push(step);
        if stopped {
            break;
        }
    }
    if !stopped {
        let now = watcher.refresh(session.client())?;
        report.left_at_end = schemas[0].diff(now, "before the history", "after every down");
    }
    report.total = started.elapsed();
    Ok(report)
}

/// Runs `m`'s down as its tool reverts it and compares the schema with the one before `m`
/// (`migration`: the schemas after and before it, going forward).
fn down_step(
    history: &History,
    m: &migrations::Migration,
    migration: (&Snapshot, &Snapshot),
    session: &mut ToolSession<'_>,
    watcher: &mut crate::snapshot::SchemaWatcher,
) -> Result<RollbackStep, DrillError> {
    let step = |result, diff, failure| RollbackStep {
        migration: m.name.clone(),
        result,
        diff,
        failure,
    };
    let Some(down) = m.down.as_deref() else {
        return Ok(step(StepResult::NoDown, None, None));
    };
    let (after_up, before) = migration;
    let empty = sql::parse_file(&down.path, &down.sql).is_ok_and(|s| s.is_empty());
    let before_down = watcher.refresh(session.client())?.clone();
    let labels = (
        format!("before {}", m.name),
        format!("after the down of {}", m.name),
    );
    // diesel refuses a file with nothing in it; the others send it, and nothing happens.
    if history.layout == Layout::Diesel && down.sql.is_empty() {
        let failure = crate::drill::outcome::ApplyFailure {
            file: down.path.display().to_string(),
            code: None,
            constraint: None,
            message: "diesel refuses an empty down.sql (\"Received an empty query\")".into(),
            line: None,
            effect: "nothing ran".into(),
        };
        let diff = before.diff(watcher.refresh(session.client())?, labels.0, labels.1);
        return Ok(step(StepResult::Fails, diff, Some(failure)));
    }
    let applied = session.apply(SqlFile {
        migration_name: &m.name,
        path: &down.path,
        sql: &down.sql,
        runner: Runner::Revert,
        sent: down.transaction,
    })?;
    watcher.note_applied(&down.sql);
    let now = watcher.refresh(session.client())?;
    let diff = before.diff(now, labels.0, labels.1);
    if let Some(failure) = applied.failure {
        return Ok(step(StepResult::Fails, diff, Some(failure)));
    }
    let result = match (&diff, empty) {
        (_, true) => StepResult::Empty,
        (None, false) => StepResult::Restores,
        (Some(d), false) if d.column_order_only() => StepResult::ColumnOrderOnly,
        (Some(_), false) if before_down.repeats_change(now, after_up, before) => {
            StepResult::UndoesItsMigration
        }
        (Some(_), false) => StepResult::LeavesDifferences,
    };
    Ok(step(result, diff, None))
}
