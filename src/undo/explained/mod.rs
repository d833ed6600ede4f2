//! `explain` run over the undo's own files as they are generated: each file's header lists the
//! hazards still in it, and why the undo keeps them.
//!
//! Each file's statements (as built: the `SET`/`RESET lock_timeout`, guards and a carried-over
//! transaction block included) are parsed back and judged by the hazard rules in batch mode,
//! the mode the files are cut for, as `unmigrate explain` judges the written files: each
//! statement against the model as the forward migration and the undo's statements before it
//! leave it. Only the objects the undo names are copied for that fold
//! ([`Catalog::around`]), so the cost follows the undo, not the schema. The trees are those
//! the undo was deparsed from where it kept them ([`super::kept`]) and guards read off their
//! text; the rest is parsed, in one call per file.

mod header;
mod lines;
mod trees;

use std::collections::BTreeSet;

use super::file::Files;
use super::MigrationUndo;
use crate::catalog::{self, Catalog};
use crate::explain;
use crate::migrations::ApplyMode;
use crate::sql::NodeEnum;
pub use header::{header_lines, kept_by_design};
use header::{header_lines_for, why_kept};
use lines::statement_lines;
use trees::{parse_back, read, FileTrees, Trees};

/// One hazard `explain` finds in a generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundHazard {
    /// The line its statement starts on, in the written file.
    pub line: usize,
    /// The rule's stable id.
    pub rule: &'static str,
    /// What the rule says of the statement, on one line.
    pub message: String,
    /// Why the undo keeps it.
    pub kept: &'static str,
}

/// What `explain` finds in one file: the first hazards in full, the rest counted by rule (a
/// migration that adds thousands of columns has an undo that drops each; its header lists a
/// few).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileHazards {
    pub listed: Vec<FoundHazard>,
    /// Hazards beyond the first few listed, by rule, in order of first appearance.
    pub more: Vec<(&'static str, usize)>,
    /// Set when the file was too large to explain (over 1 MB of statements): how many.
    pub too_large: Option<usize>,
}

/// How many hazards a header lists in full.
const LISTED: usize = 12;

impl FileHazards {
    fn push(&mut self, found: FoundHazard) {
        if self.listed.len() < LISTED {
            return self.listed.push(found);
        }
        match self.more.iter_mut().find(|(rule, _)| *rule == found.rule) {
            Some((_, n)) => *n += 1,
            None => self.more.push((found.rule, 1)),
        }
    }

    /// The rule of every hazard, listed or counted.
    fn rules(&self) -> impl Iterator<Item = &'static str> + '_ {
        let listed = self.listed.iter().map(|h| h.rule);
        listed.chain(self.more.iter().map(|(rule, _)| *rule))
    }

    /// How many hazards, listed or counted.
    pub fn len(&self) -> usize {
        self.listed.len() + self.more.iter().map(|(_, n)| n).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }
}

/// What `explain` finds in each file of an undo, in file order; `None` for a file that does
/// not parse back (the written-file check refuses it before it is written).
pub type Explained = Vec<Option<FileHazards>>;

/// An undo ready to be explained away from the fold: its files' statements, and the part of
/// the model they are judged against ([`Catalog::around`]). [`prepare`] needs the model,
/// which the fold goes on changing; [`Prepared::explain`] does not, so `derive_each` runs it
/// on another thread while the fold goes on.
pub struct Prepared {
    undo: MigrationUndo,
    parts: Vec<Option<FileTrees>>,
    model: Catalog,
    /// The same again, for files whose header must be numbered twice (see
    /// [`Prepared::explain`]): kept only when a statement may get a hazard that cites a line.
    spare: Option<(Vec<Option<FileTrees>>, Catalog)>,
    /// Debug builds: what explaining the files' text finds, the long way (every test
    /// compares).
    #[cfg(debug_assertions)]
    expected: Explained,
}

/// Readies `undo` to be explained; `after` is the model just before the undo (after the
/// forward migration).
pub fn prepare(after: &Catalog, undo: MigrationUndo) -> Prepared {
    let (parts, model, cites) = trees_and_model(after, &undo, Trees::Kept);
    let spare = cites.then(|| (parts.clone(), model.clone()));
    #[cfg(debug_assertions)]
    let expected = explain_text(after, &undo);
    Prepared {
        undo,
        parts,
        model,
        spare,
        #[cfg(debug_assertions)]
        expected,
    }
}

impl Prepared {
    /// The undo, with what `explain` finds in its files.
    ///
    /// Lines are those of the written file, whose header grows with the hazards it lists:
    /// the files are explained as if none were found, and again with the header's true
    /// length only when a message cites another statement's line ([`explain::CITING_LINES`]).
    pub fn explain(self) -> MigrationUndo {
        let Prepared {
            mut undo,
            parts,
            model,
            spare,
            #[cfg(debug_assertions)]
            expected,
        } = self;
        let lines = statement_lines(&undo);
        let none_found = vec![header_lines_for(Some(&FileHazards::default())); lines.len()];
        let mut found = judge(parts, model, &lines, &none_found);
        let grown: Vec<usize> = found.iter().map(|f| header_lines_for(f.as_ref())).collect();
        let cites = |rule: &str| explain::CITING_LINES.iter().any(|r| r.id() == rule);
        let again = grown != none_found && found.iter().flatten().any(|f| f.rules().any(cites));
        match spare {
            Some((parts, model)) if again => found = judge(parts, model, &lines, &grown),
            _ => {
                for (part, hazards) in found.iter_mut().enumerate() {
                    for h in hazards.iter_mut().flat_map(|f| f.listed.iter_mut()) {
                        h.line += grown[part] - none_found[part];
                    }
                }
            }
        }
        #[cfg(debug_assertions)]
        assert_eq!(
            found, expected,
            "explaining the kept trees of the undo of {} differs from explaining its text",
            undo.source
        );
        undo.explained = found;
        undo
    }
}

/// The files' statements, the part of `after` they name, and whether any may get a hazard
/// that cites a line.
fn trees_and_model(
    after: &Catalog,
    undo: &MigrationUndo,
    from: Trees,
) -> (Vec<Option<FileTrees>>, Catalog, bool) {
    let files = Files::new(undo);
    let parts: Vec<Option<FileTrees>> = (0..files.len())
        .map(|part| parse_back(&files, part, from))
        .collect();
    let mut named = BTreeSet::new();
    let mut cites = false;
    let mut name = |node: &NodeEnum| {
        catalog::names_in(node, &mut named);
        cites |= explain::may_cite_lines(node);
    };
    let mut parts = parts;
    for part in &mut parts {
        match part {
            Some(FileTrees::Held(trees)) => trees.iter().for_each(&mut name),
            Some(FileTrees::TooLarge(_)) => {}
            Some(FileTrees::Read(text)) => {
                let mut failed = false;
                for node in read(text) {
                    match node {
                        Some(node) => name(&node),
                        None => {
                            failed = true;
                            break;
                        }
                    }
                }
                if failed {
                    *part = None;
                }
            }
            None => {}
        }
    }
    (parts, after.around(&named), cites)
}

/// What `unmigrate explain` finds in the files as written, the long way: parsed from their
/// text, and explained with the header's true length.
#[cfg(debug_assertions)]
fn explain_text(after: &Catalog, undo: &MigrationUndo) -> Explained {
    let lines = statement_lines(undo);
    let none_found = vec![header_lines_for(Some(&FileHazards::default())); lines.len()];
    let (parts, model, _) = trees_and_model(after, undo, Trees::Parsed);
    let found = judge(parts, model, &lines, &none_found);
    let grown: Vec<usize> = found.iter().map(|f| header_lines_for(f.as_ref())).collect();
    let (parts, model, _) = trees_and_model(after, undo, Trees::Parsed);
    judge(parts, model, &lines, &grown)
}

/// Explains every file against `model`, folding each in after it, its statements numbered
/// as they stand below a header with `explain_lines[part]` lines about explain.
fn judge(
    parts: Vec<Option<FileTrees>>,
    mut model: Catalog,
    lines: &[Vec<usize>],
    explain_lines: &[usize],
) -> Explained {
    parts
        .into_iter()
        .enumerate()
        .map(|(part, statements)| {
            let lines: Vec<usize> = lines[part]
                .iter()
                .map(|l| l + explain_lines[part])
                .collect();
            judge_file(&mut model, statements?, &lines)
        })
        .collect()
}

/// The hazards of one file, judged in batch mode (the mode the files are cut for) as
/// `explain` judges a file, each at the line its statement starts on; `None` if it stops
/// parsing.
fn judge_file(model: &mut Catalog, statements: FileTrees, lines: &[usize]) -> Option<FileHazards> {
    let mut judge = explain::Judge::new(ApplyMode::Batch);
    let line = |index: usize| lines.get(index).copied().unwrap_or_default();
    let mut found = FileHazards::default();
    let mut add = |index: usize, hazards: Vec<explain::Hazard>| {
        for h in hazards {
            found.push(FoundHazard {
                line: line(index),
                rule: h.rule.id(),
                message: h.message.split_whitespace().collect::<Vec<_>>().join(" "),
                kept: h.unavoidable.unwrap_or_else(|| why_kept(h.rule.id())),
            });
        }
    };
    match statements {
        FileTrees::Held(trees) => {
            for (index, node) in trees.iter().enumerate() {
                judge.learn(model, node, line(index));
            }
            if judge.needs_every_statement() {
                judge.keep(trees.clone());
            }
            for (index, node) in trees.into_iter().enumerate() {
                add(index, judge.judge(model, &node).1);
                model.apply(node);
            }
        }
        FileTrees::TooLarge(statements) => {
            return Some(FileHazards {
                too_large: Some(statements),
                ..FileHazards::default()
            });
        }
        FileTrees::Read(text) => {
            for (index, node) in read(&text).enumerate() {
                judge.learn(model, &node?, line(index));
            }
            if judge.needs_every_statement() {
                judge.keep(read(&text).collect::<Option<_>>()?);
            }
            for (index, node) in read(&text).enumerate() {
                let node = node?;
                add(index, judge.judge(model, &node).1);
                model.apply(node);
            }
        }
    }
    model.end_migration();
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::header::{header_lines_for, why_kept, KEPT, NO_WAY_AROUND};
    use super::*;
    use crate::migrations::Layout;

    #[test]
    fn every_rule_kept_is_a_rule_of_explain() {
        for id in KEPT.iter().flat_map(|(rules, _)| rules.iter()) {
            assert!(explain::Rule::from_id(id).is_some(), "{id}");
            assert_ne!(why_kept(id), NO_WAY_AROUND);
        }
        assert_eq!(why_kept("create-index-without-concurrently"), NO_WAY_AROUND);
    }

    #[test]
    fn the_header_gives_explain_lines_as_counted() {
        let hazard = |line| FoundHazard {
            line,
            rule: "drop-table",
            message: "table t is dropped".into(),
            kept: why_kept("drop-table"),
        };
        let mut many = FileHazards::default();
        for line in 0..LISTED + 3 {
            many.push(hazard(line));
        }
        assert_eq!(many.listed.len(), LISTED);
        assert_eq!(many.more, [("drop-table", 3)]);
        assert_eq!(many.len(), LISTED + 3);
        let mut two = FileHazards::default();
        two.push(hazard(9));
        two.push(hazard(12));
        let too_large = FileHazards {
            too_large: Some(30_000),
            ..FileHazards::default()
        };
        for found in [
            None,
            Some(FileHazards::default()),
            Some(two),
            Some(many),
            Some(too_large),
        ] {
            let mut out = String::new();
            header_lines(&mut out, found.as_ref(), Layout::Prisma).unwrap();
            assert_eq!(
                out.lines().count(),
                header_lines_for(found.as_ref()),
                "{out}"
            );
        }
    }
}
