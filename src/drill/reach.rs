//! A drill on a server given by URL changes nothing but the database it creates. Before
//! anything runs, every file the drill would apply is read for statements whose effect reaches
//! beyond that database ([`crate::sql::reach`]): the drill refuses them, with their list,
//! unless the plan allows server changes, and then reports them. `DO` blocks, whose statements
//! cannot be seen, are reported as warnings. The embedded cluster is thrown away after the
//! drill, so it runs everything without looking.

use std::path::Path;

use crate::drill::cycle::{DrillError, DrillPlan};
use crate::drill::outcome::ServerChange;
use crate::migrations::{self, History, Migration};
use crate::scratch::ScratchSource;
use crate::sql::{self, reach};

/// What the files of a drill on a server given by URL reach beyond its database.
#[derive(Debug, Default)]
pub struct Reach {
    pub changes: Vec<ServerChange>,
    /// `DO` blocks: their statements cannot be seen.
    pub unseen: Vec<ServerChange>,
}

/// Reads the files the drill applies, in URL mode only, and refuses statements that change
/// the server beyond the drill's database unless the plan allows them.
pub fn before_drill(plan: &DrillPlan, history: &History) -> Result<Reach, DrillError> {
    if matches!(plan.source, ScratchSource::Embedded(_)) {
        return Ok(Reach::default());
    }
    let undo_dir = match &plan.undo_dir {
        Some(dir) => Some(migrations::read_history(dir)?),
        None => None,
    };
    let mut found = Reach::default();
    for m in applied_files(plan, history, undo_dir.as_ref())? {
        found.read(&m.sql_path, &m.sql)?;
    }
    if !found.changes.is_empty() && !plan.allow_server_changes {
        return Err(DrillError::ServerChanges {
            list: found
                .changes
                .iter()
                .map(|c| format!("\n  {}", c.line()))
                .collect(),
        });
    }
    Ok(found)
}

/// The folders a drill applies: the history up to the last migration in scope, and the
/// committed undos of the migrations in scope (in the history or the undo directory).
/// Generated undos are left out: they are built from the forward migrations' own objects.
fn applied_files<'h>(
    plan: &DrillPlan,
    history: &'h History,
    undo_dir: Option<&'h History>,
) -> Result<Vec<&'h Migration>, DrillError> {
    let forward = history.forward();
    let scope = plan.scope.resolve(history)?;
    let in_scope = &forward[scope];
    let Some(last) = in_scope.last() else {
        return Ok(Vec::new());
    };
    let end = history
        .migrations
        .iter()
        .position(|m| m.name == last.name)
        .map_or(history.migrations.len(), |i| i + 1);
    let mut files: Vec<&Migration> = history.migrations[..end].iter().collect();
    for m in in_scope {
        let committed = history
            .undos_of(&m.name)
            .chain(undo_dir.into_iter().flat_map(|h| h.undos_of(&m.name)));
        for undo in committed {
            if !files.iter().any(|f| f.sql_path == undo.sql_path) {
                files.push(undo);
            }
        }
    }
    Ok(files)
}

impl Reach {
    fn read(&mut self, path: &Path, text: &str) -> Result<(), DrillError> {
        for statement in sql::parse_file(path, text)? {
            let at = |what: String, kind: &'static str, changes: &'static str| ServerChange {
                file: path.display().to_string(),
                line: statement.location.line,
                what,
                kind,
                changes,
            };
            if let Some(found) = reach::beyond_database(&statement.node) {
                self.changes
                    .push(at(found.what, found.kind.id, found.kind.changes));
            } else if reach::hides_statements(&statement.node) {
                self.unseen.push(at(
                    "DO".into(),
                    "unseen",
                    "cannot be known: a DO block's statements are not read, and may change \
                     the server beyond the drill's database",
                ));
            }
        }
        Ok(())
    }
}
