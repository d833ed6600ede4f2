//! Undoing an older migration alone: its undo is deployed after every existing folder, so
//! after the later migrations that stay deployed. When one of them depends on what the undo
//! drops, renames back or changes (a foreign key into a table the undo drops, an index over a
//! column it drops, a column added to a table it drops, a name it takes back), the undo would
//! fail there, or leave those migrations' objects broken: `generate` refuses, and says to
//! undo from the newest migration down instead.
//!
//! Both sides are read from parse trees ([`crate::sql::mentions`]): what the undo reaches
//! comes from the source's statements (what it creates, the undo drops; what it drops, the
//! undo recreates; …) and from the undo's own statements (which also recreate what the
//! source's drops took with them); what a later migration reaches, from its statements.
//!
//! When nothing depends, the undo derived right after the source is the one to deploy: every
//! object it drops, changes or needs is, at the end of the history, as the source left it
//! (only a statement naming it could have changed it), so the model at the end would give the
//! same statements.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::migrations::{History, Migration};
use crate::sql::mentions::{mentions, Act, Mention, Object};
use crate::sql::{self, NodeEnum, SqlError};
use crate::undo::MigrationUndo;

/// An object the undo of a migration reaches, and what the undo does to it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reached {
    object: Object,
    /// What the undo does to the object (the reverse of what the source did).
    act: Act,
    /// For an object used: only its drop or rename breaks the undo, not a change in place
    /// (the source's index over a column whose type changes later is still there to drop).
    only_its_name: bool,
}

/// What the undo of one migration reaches.
#[derive(Debug, Default)]
pub(super) struct Reach {
    source: String,
    reached: Vec<Reached>,
}

impl Reach {
    /// What `undo` reaches, from its source's statements and its own.
    pub(super) fn of(undo: &MigrationUndo) -> Reach {
        let mut reach = Reach {
            source: undo.source.clone(),
            reached: Vec::new(),
        };
        let path = Path::new(&undo.source);
        for statement in &undo.statements {
            for (data, m) in parsed_mentions(path, &statement.forward) {
                // What a data statement reads, its undo need not: the undo's own
                // statements say what they need.
                if m.act == Act::Use && data {
                    continue;
                }
                reach.add(m.object, reverse(m.act), true);
            }
        }
        for statement in &undo.statements {
            for built in &statement.undo.statements {
                for (_, m) in parsed_mentions(path, &built.sql) {
                    reach.add(m.object, m.act, false);
                }
            }
        }
        reach
    }

    fn add(&mut self, object: Object, act: Act, only_its_name: bool) {
        // A manual undo is written by a person, against the history as it is by then.
        if object == Object::Anything {
            return;
        }
        let reached = Reached {
            object,
            act,
            only_its_name: only_its_name && act == Act::Use,
        };
        if !self.reached.contains(&reached) {
            self.reached.push(reached);
        }
    }
}

/// The mentions of every statement of `sql`; text that does not parse names nothing (the
/// guard rejects a generated file that does not parse back).
/// Each mention comes with whether its statement is a data statement.
fn parsed_mentions(path: &Path, sql: &str) -> Vec<(bool, Mention)> {
    let statements = sql::parse_file(path, sql).unwrap_or_default();
    statements
        .iter()
        .flat_map(|s| {
            let data = is_data(&s.node);
            mentions(&s.node).into_iter().map(move |m| (data, m))
        })
        .collect()
}

/// Whether the statement only reads or writes rows.
fn is_data(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::SelectStmt(_)
            | NodeEnum::MergeStmt(_)
            | NodeEnum::CopyStmt(_)
    )
}

/// What the undo does to an object its source did `act` to.
fn reverse(act: Act) -> Act {
    match act {
        Act::Create => Act::Drop,
        Act::RenameTo => Act::RenameFrom,
        Act::Drop => Act::Create,
        Act::RenameFrom => Act::RenameTo,
        Act::Alter => Act::Alter,
        Act::Use => Act::Use,
    }
}

/// How a message says what the undo does.
fn verb(act: Act) -> &'static str {
    match act {
        Act::Create => "recreates",
        Act::RenameTo => "renames an object back to",
        Act::Drop => "drops",
        Act::RenameFrom => "renames back",
        Act::Alter => "changes back",
        Act::Use => "needs",
    }
}

/// Whether a later statement's mention `later` breaks an undo that does `undo.act` to
/// `undo.object`, or is broken by it.
fn conflicts(undo: &Reached, later: &Mention) -> bool {
    let (u, l) = (&undo.object, &later.object);
    if *l == Object::Anything {
        return true;
    }
    if undo.only_its_name && later.act == Act::Alter {
        return false;
    }
    if u.same(l) {
        return undo.act.changes() || later.act.changes();
    }
    match (u, l) {
        // The undo drops, recreates or renames a table: anything of it a later one names.
        (Object::Relation { name, .. }, _) if undo.act.changes() => l.table() == Some(name),
        // A later one drops or renames a table the undo reaches into.
        (_, Object::Relation { name, .. }) if later.act.changes() => u.table() == Some(name),
        // A view over the table of a column the undo drops or changes may read it (`*`).
        (Object::Column(t, _), Object::AllColumns(v)) => t == v && undo.act.changes(),
        (Object::AllColumns(v), Object::Column(t, _)) => t == v && later.act.changes(),
        _ => false,
    }
}

/// A later statement that depends on what an undo reaches.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The selected migration whose undo it depends on.
    pub source: String,
    pub later: String,
    pub line: usize,
    /// What the later statement does and what the undo does, in a sentence.
    pub why: String,
}

/// The later migrations' statements, each with its line and mentions, parsed once.
type Parsed = HashMap<String, Vec<(usize, Vec<Mention>)>>;

/// Checks each selected migration's undo against the later forward migrations that stay
/// deployed (not selected, not already undone); returns every dependency found, and the
/// `--last N` that undoes from the newest migration down to the oldest refused one.
pub(super) fn check(
    history: &History,
    selected: &[&Migration],
    reaches: &[Reach],
) -> Result<Option<(Vec<Dependency>, usize)>, SqlError> {
    let forward = history.forward();
    let chosen: HashSet<&str> = selected.iter().map(|m| m.name.as_str()).collect();
    let mut parsed = Parsed::new();
    let mut found = Vec::new();
    let mut oldest: Option<usize> = None;
    for reach in reaches {
        let Some(at) = forward.iter().position(|m| m.name == reach.source) else {
            continue;
        };
        let before = found.len();
        for later in &forward[at + 1..] {
            if chosen.contains(later.name.as_str())
                || history.undos_of(&later.name).next().is_some()
            {
                continue;
            }
            if !parsed.contains_key(&later.name) {
                parsed.insert(later.name.clone(), statements(later)?);
            }
            found.extend(dependencies(reach, later, &parsed[&later.name]));
        }
        if found.len() > before {
            oldest = Some(oldest.map_or(at, |o| o.min(at)));
        }
    }
    Ok(oldest.map(|at| (found, forward.len() - at)))
}

fn statements(m: &Migration) -> Result<Vec<(usize, Vec<Mention>)>, SqlError> {
    Ok(sql::parse_file(&m.sql_path, &m.sql)?
        .iter()
        .map(|s| (s.location.line, mentions(&s.node)))
        .collect())
}

/// The first dependency of each statement of `later` on what `reach` reaches.
fn dependencies(
    reach: &Reach,
    later: &Migration,
    statements: &[(usize, Vec<Mention>)],
) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (line, mentions) in statements {
        let hit = mentions.iter().find_map(|l| {
            let u = reach.reached.iter().find(|u| conflicts(u, l))?;
            Some((u, l))
        });
        let Some((u, l)) = hit else { continue };
        let undo = format!("the undo of {}", reach.source);
        let why = if l.object == Object::Anything {
            format!(
                "{}: it may name {}, which {undo} {}",
                l.what,
                u.object,
                verb(u.act)
            )
        } else if u.object.same(&l.object) {
            format!("{}, which {undo} {}", l.what, verb(u.act))
        } else {
            format!("{}; {undo} {} {}", l.what, verb(u.act), u.object)
        };
        out.push(Dependency {
            source: reach.source.clone(),
            later: later.name.clone(),
            line: *line,
            why,
        });
    }
    out
}

/// How many dependencies a message lists before it counts the rest.
const LISTED: usize = 20;

/// The message of a refusal: each dependency, then what to run instead.
pub fn message(
    dependencies: &[Dependency],
    dir: &Path,
    last: usize,
    never_undone: Option<&str>,
) -> String {
    let mut sources: Vec<&str> = Vec::new();
    for d in dependencies {
        if !sources.contains(&d.source.as_str()) {
            sources.push(&d.source);
        }
    }
    let mut text = format!(
        "the undo of {} would run after later migrations that stay deployed, and they \
         depend on what it drops, renames back or changes:",
        sources.join(", ")
    );
    for d in dependencies.iter().take(LISTED) {
        text.push_str(&format!("\n  {} (line {}): {}", d.later, d.line, d.why));
    }
    if dependencies.len() > LISTED {
        text.push_str(&format!("\n  … and {} more", dependencies.len() - LISTED));
    }
    match never_undone {
        // Flyway applies its repeatable migrations after every versioned one and never
        // undoes them: no `--last` reaches past them.
        Some(repeatable) => text.push_str(&format!(
            "\nnothing was written; {repeatable} is a repeatable migration, which Flyway never \
             undoes: write this undo by hand, first dropping what the repeatable migrations \
             build on it (and change their files, so that Flyway builds it again after the \
             undo)"
        )),
        None => text.push_str(&format!(
            "\nnothing was written; undo from the newest migration down instead: unmigrate \
             generate {} --last {last}",
            dir.display()
        )),
    }
    text
}

#[cfg(test)]
mod tests;
