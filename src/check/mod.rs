//! `unmigrate check`: judges the forward migrations a pull request adds. Each must have an
//! undo that is current (derived from the forward file as it is now), or be declared
//! irreversible with a reason in `unmigrate.toml`; the new migrations' undos must drill
//! (forward, undo, re-apply on a scratch PostgreSQL), unless the drill is turned off; and
//! `explain` of each new migration and of its undo must raise no hazard of the rules the
//! configuration fails on (`[check] fail_on`).
//! A hand edit of a generated undo is reported, not a finding: reviewers should know, and a
//! team finishing a manual block edits it on purpose.
//!
//! Data flows one way: history → [`select`] (which migrations are new) → undo state per
//! migration → hazards → drill → [`CheckReport`] → `render`.

pub mod ignore;
pub mod render;
pub mod select;

use std::path::PathBuf;

use serde::Serialize;

use crate::config::Config;
use crate::drill::outcome::{DrillReport, DrillResult, MigrationDrill, Phase, PhaseStatus};
use crate::drill::script::Scope;
use crate::drill::DrillPlan;
use crate::explain::Target;
use crate::migrations::ApplyMode;
use crate::migrations::{seal_state, History, Migration, NameError, SealState};
use crate::undo::Claims;
pub use select::Since;

/// The version of the JSON report's shape (`format_version`). It goes up when a field is
/// renamed or removed, or comes to mean something else; never when one is added, so a script
/// should ignore keys it does not know.
pub const FORMAT_VERSION: u32 = 1;

/// What `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub format_version: u32,
    pub migrations_dir: PathBuf,
    /// What the new migrations are new since, in words.
    pub since: String,
    pub migrations: Vec<CheckedMigration>,
    /// Why the drill did not run, or stopped before the end, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill_note: Option<String>,
}

impl CheckReport {
    /// Every finding, with its migration.
    pub fn findings(&self) -> impl Iterator<Item = (&CheckedMigration, &Finding)> {
        self.migrations
            .iter()
            .flat_map(|m| m.findings.iter().map(move |f| (m, f)))
    }

    pub fn passed(&self) -> bool {
        self.findings().next().is_none()
    }
}

/// One new forward migration.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedMigration {
    pub name: String,
    /// Its `migration.sql`, for annotations.
    pub path: PathBuf,
    pub undo: UndoState,
    /// How its undo drilled (`None`: not drilled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<DrillResult>,
    /// What must change before the pull request merges.
    pub findings: Vec<Finding>,
    /// What reviewers should know.
    pub notes: Vec<String>,
}

/// Whether a migration has an undo, and whether it still fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UndoState {
    /// No undo folder, and not declared irreversible.
    Missing,
    /// Undo folders derived from the forward file as it is now.
    Current { folders: Vec<String>, edited: bool },
    /// Undo folders derived from another version of the forward file.
    Stale { folders: Vec<String> },
    /// Declared irreversible in the configuration.
    Irreversible { reason: String },
    /// A `down.sql` unmigrate did not write (Prisma's guide on down migrations): drilled as
    /// the undo, its data effects not judged.
    HandWritten { file: String },
}

/// Something that must change before the pull request merges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A stable id: `missing-undo`, `stale-undo`, `drill-failed`, `forward-failed`,
    /// `drill-stopped`, `unmigrate-ignore` (an ignore comment naming no rule), or the id of
    /// the explain rule whose hazard it is.
    pub id: &'static str,
    pub message: String,
}

/// Why `check` could not judge.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Git(String),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("unmigrate.toml: [irreversible] {0}")]
    Irreversible(NameError),
    #[error(transparent)]
    Drill(#[from] crate::drill::DrillError),
    #[error(transparent)]
    Explain(#[from] crate::explain::ExplainError),
}

/// What to check, and how.
pub struct CheckPlan<'a> {
    pub history: &'a History,
    pub since: Since,
    pub config: &'a Config,
    /// How the runner sends each file: explain's transaction rules depend on it.
    pub apply_mode: ApplyMode,
    /// The drill of the new migrations (its scope is set here); `None`: no drill.
    pub drill: Option<DrillPlan>,
}

/// Runs the check.
pub fn run(mut plan: CheckPlan<'_>) -> Result<CheckReport, CheckError> {
    let history = plan.history;
    let (new, since) = select::new_migrations(history, &plan.since)?;
    let irreversible = irreversible(history, plan.config)?;
    let mut migrations: Vec<CheckedMigration> = new
        .iter()
        .map(|m| judge(history, m, irreversible.iter().find(|(n, _)| *n == m.name)))
        .collect();
    if !plan.config.fail_on.is_empty() && !new.is_empty() {
        add_hazards(&mut migrations, &plan)?;
    }
    let mut drill_note = None;
    match (plan.drill.take(), new.first(), new.last()) {
        (Some(mut drill), Some(first), Some(last)) => {
            drill.scope = Scope::Range {
                from: Some(first.name.clone()),
                to: Some(last.name.clone()),
            };
            let report = crate::drill::run(&drill, &mut |_| {})?;
            drill_note = report.stopped.clone();
            add_drill(&mut migrations, &report);
        }
        (None, Some(_), _) => {
            drill_note =
                Some("the drill was turned off (--no-drill, or drill = false under [check])".into())
        }
        _ => {}
    }
    Ok(CheckReport {
        format_version: FORMAT_VERSION,
        migrations_dir: history.dir.clone(),
        since,
        migrations,
        drill_note,
    })
}

/// The new migrations with no undo folder that the configuration does not declare
/// irreversible (what `check` reports as `missing-undo` and `generate --missing` writes), by
/// folder name, and what they are new since, in words.
pub fn missing(
    history: &History,
    since: &Since,
    config: &Config,
) -> Result<(Vec<String>, String), CheckError> {
    let (new, since) = select::new_migrations(history, since)?;
    let irreversible = irreversible(history, config)?;
    let missing = new
        .iter()
        .filter(|m| history.undos_of(&m.name).next().is_none())
        .filter(|m| m.down.as_deref().is_none_or(|d| is_blank(&d.sql)))
        .filter(|m| !irreversible.iter().any(|(name, _)| *name == m.name))
        .map(|m| m.name.clone())
        .collect();
    Ok((missing, since))
}

/// A file of nothing but white space and comments: a `down.sql` that undoes nothing.
fn is_blank(sql: &str) -> bool {
    crate::sql::statements(std::path::Path::new("down.sql"), sql)
        .next()
        .is_none()
}

/// The migrations the configuration declares irreversible, by folder name, with the reason.
fn irreversible<'c>(
    history: &History,
    config: &'c Config,
) -> Result<Vec<(String, &'c str)>, CheckError> {
    config
        .irreversible
        .iter()
        .map(|(name, reason)| {
            let index = history
                .resolve_forward(name)
                .map_err(CheckError::Irreversible)?;
            Ok((history.forward()[index].name.clone(), reason.as_str()))
        })
        .collect()
}

/// The undo state of one new migration, and the findings and notes that follow from it.
fn judge(
    history: &History,
    m: &Migration,
    irreversible: Option<&(String, &str)>,
) -> CheckedMigration {
    let folders: Vec<&Migration> = history.undos_of(&m.name).collect();
    // Without undo folders, the migration's own down.sql is its undo, when it has one.
    let down = m.down.as_deref().filter(|_| folders.is_empty());
    let down_name = || match down {
        Some(d) => d
            .path
            .strip_prefix(&history.dir)
            .unwrap_or(&d.path)
            .display()
            .to_string(),
        None => format!("{}/{}", m.name, crate::migrations::DOWN_SQL),
    };
    let names = || match down {
        Some(_) => vec![down_name()],
        None => folders.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
    };
    let texts: Vec<&str> = match down {
        Some(down) => vec![down.sql.as_str()],
        None => folders.iter().map(|f| f.sql.as_str()).collect(),
    };
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let undo = if let Some((_, reason)) = irreversible {
        if !folders.is_empty() {
            notes.push(format!(
                "declared irreversible, yet undo folders exist ({}): the declaration wins",
                names().join(", ")
            ));
        }
        UndoState::Irreversible {
            reason: reason.to_string(),
        }
    } else if down.is_some_and(|d| is_blank(&d.sql)) {
        findings.push(Finding {
            id: "missing-undo",
            message: format!(
                "the down.sql of {} is empty: write the undo there (`unmigrate generate \
                 --migration {} --down-sql --force --discard-edits`), or declare it irreversible \
                 with a reason under [irreversible] in unmigrate.toml",
                m.name, m.name
            ),
        });
        UndoState::Missing
    } else if down.is_some_and(|d| Claims::read([d.sql.as_str()]).source_checksum.is_none()) {
        notes.push(format!(
            "its undo is the hand-written {}: drilled as written; unmigrate does not judge what \
             it does to data (a seeded drill shows the rows)",
            down_name()
        ));
        UndoState::HandWritten { file: down_name() }
    } else if folders.is_empty() && down.is_none() {
        findings.push(Finding {
            id: "missing-undo",
            message: format!(
                "{} has no undo: write one with `unmigrate generate --migration {}`, or declare \
                 it irreversible with a reason under [irreversible] in unmigrate.toml",
                m.name, m.name
            ),
        });
        UndoState::Missing
    } else {
        let claims = Claims::read(texts.iter().copied());
        let now = m.checksum.to_string();
        if claims.source_checksum.as_deref() != Some(now.as_str()) {
            let folders = names().join(", ");
            let why = match claims.source_checksum {
                Some(_) => format!(
                    "is stale: the forward changed after its undo ({folders}) was generated"
                ),
                None => format!(
                    "may be stale: the header of its undo ({folders}) names no source checksum, \
                     so nothing shows it was generated from the forward as it is"
                ),
            };
            findings.push(Finding {
                id: "stale-undo",
                message: format!(
                    "the undo of {} {why}; generate it again with `unmigrate generate \
                     --migration {}{} --force`",
                    m.name,
                    m.name,
                    if down.is_some() { " --down-sql" } else { "" }
                ),
            });
            UndoState::Stale { folders: names() }
        } else {
            let edited = texts.iter().any(|sql| seal_state(sql) == SealState::Edited);
            if edited {
                notes.push(format!(
                    "its undo ({}) was edited by hand after it was generated: review the edit",
                    names().join(", ")
                ));
            }
            UndoState::Current {
                folders: names(),
                edited,
            }
        }
    };
    CheckedMigration {
        name: m.name.clone(),
        path: m.sql_path.to_path_buf(),
        undo,
        drill: None,
        findings,
        notes,
    }
}

/// A finding for each hazard of a `fail_on` rule that `explain` raises in a new migration or
/// in one of its undo folders (explained over the whole history, as deployed).
fn add_hazards(
    migrations: &mut [CheckedMigration],
    plan: &CheckPlan<'_>,
) -> Result<(), CheckError> {
    let target = Target::History(plan.history.clone());
    let explained = crate::explain::explain(&target, plan.apply_mode)?;
    for m in migrations.iter_mut() {
        let undos: Vec<String> = plan
            .history
            .undos_of(&m.name)
            .map(|u| u.name.clone())
            .collect();
        let files = explained
            .migrations
            .iter()
            .filter(|e| e.name == m.name || undos.contains(&e.name));
        for file in files {
            // The migration's own file, for its inline ignores (the same text explain read).
            let text = std::fs::read_to_string(&file.path).unwrap_or_default();
            let what = if file.name == m.name { "" } else { "its undo " };
            for statement in &file.statements {
                let line = statement.location.line;
                let ignores = ignore::above(&text, line);
                for unknown in ignores
                    .iter()
                    .filter(|i| crate::explain::Rule::from_id(&i.rule).is_none())
                {
                    m.findings.push(Finding {
                        id: "unmigrate-ignore",
                        message: format!(
                            "{what}{} line {line}: unmigrate-ignore {}",
                            file.name,
                            crate::explain::Rule::unknown_id(&unknown.rule)
                        ),
                    });
                }
                for hazard in statement.hazards.iter().filter(|h| {
                    plan.config.fail_on.contains(&h.rule) && !plan.config.ignore.contains(&h.rule)
                }) {
                    let id = hazard.rule.id();
                    let at = format!("{} line {line}: {}", file.name, hazard.message);
                    let ignored = ignores.iter().find(|i| i.rule == id);
                    if let Some(reason) = ignored.and_then(|i| i.reason.as_deref()) {
                        m.notes.push(format!(
                            "{what}{at}: ignored by unmigrate-ignore ({reason})"
                        ));
                        continue;
                    }
                    let unexplained = match ignored {
                        Some(_) => {
                            "; the unmigrate-ignore comment above it gives no reason \
                                    (write `-- unmigrate-ignore RULE: reason`), so it silences \
                                    nothing"
                        }
                        None => "",
                    };
                    // An undo keeps some hazards by design (it drops what the forward added);
                    // its header says why, and so does the note.
                    let kept = (file.name != m.name)
                        .then(|| crate::undo::kept_by_design(id))
                        .flatten();
                    match kept {
                        Some(why) if unexplained.is_empty() => {
                            m.notes.push(format!("its undo keeps {id}: {at} ({why})"))
                        }
                        _ => m.findings.push(Finding {
                            id,
                            message: format!(
                                "{what}{at} ({}; see {}){unexplained}",
                                hazard.help,
                                hazard.doc()
                            ),
                        }),
                    }
                }
            }
        }
    }
    Ok(())
}

/// Puts each migration's drill result in, and a finding where an undo the team will deploy
/// (a current or stale one) failed it. A migration without an undo of its own was drilled
/// with a fresh one, which says nothing about what the team deploys; but its forward failing
/// on the scratch database is a finding whatever its undo. A drill that stopped without any
/// such finding (an undo folder that fails where it is deployed) is one too.
fn add_drill(migrations: &mut [CheckedMigration], report: &DrillReport) {
    for m in migrations.iter_mut() {
        let Some(drilled) = report.migrations.iter().find(|d| d.name == m.name) else {
            continue;
        };
        let own_undo = matches!(
            m.undo,
            UndoState::Current { .. } | UndoState::Stale { .. } | UndoState::HandWritten { .. }
        );
        let problem = crate::report::failure_headline(drilled);
        if own_undo {
            m.drill = Some(drilled.result);
            if let Some(problem) = problem {
                m.findings.push(Finding {
                    id: "drill-failed",
                    message: format!(
                        "the undo of {} failed its drill: {problem} (run `unmigrate drill --from \
                         {} --to {}` for the whole report)",
                        m.name, m.name, m.name
                    ),
                });
            }
        } else if forward_failed(drilled) {
            m.findings.push(Finding {
                id: "forward-failed",
                message: format!(
                    "{} fails on a scratch database: {} (run `unmigrate drill --from {} --to {}` \
                     for the whole report)",
                    m.name,
                    problem.unwrap_or_default(),
                    m.name,
                    m.name
                ),
            });
        }
    }
    let drill_findings = migrations
        .iter()
        .flat_map(|m| &m.findings)
        .any(|f| matches!(f.id, "drill-failed" | "forward-failed"));
    if let (Some(reason), false, Some(last)) =
        (&report.stopped, drill_findings, migrations.last_mut())
    {
        last.findings.push(Finding {
            id: "drill-stopped",
            message: format!("the drill of the new migrations stopped: {reason}"),
        });
    }
}

/// Whether the forward migration itself failed in the drill.
fn forward_failed(drilled: &MigrationDrill) -> bool {
    drilled
        .phases
        .iter()
        .any(|p| p.phase == Phase::Forward && matches!(p.status, PhaseStatus::Error(_)))
}
