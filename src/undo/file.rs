//! The text of a generated undo migration: a header a reviewer can trust, each undo statement
//! under the forward statement it reverses, and manual steps that fail until written.

use std::borrow::Cow;
use std::fmt::Write;

use super::backfill::Backfill;
use super::claims::{SOURCE_CHECKSUM, VERDICT, WARNING};
use super::comment::{any_lines, push_first_line, push_one_line, SHOWN_CHARS};
use super::lock_timeout::{LockTimeout, RESET_STATEMENT};
use super::{
    Effect, MigrationUndo, Placement, StatementUndo, TransactionControl, UndoSql, Verdict,
};
use crate::migrations::{undo_header, Layout, Sealed, Sha256Text, SEAL_LINE_LEN};
use crate::sql::QName;
use crate::untrusted;

/// One item of the undo sequence, in the order it must run.
enum Step<'a> {
    Sql(&'a StatementUndo, &'a UndoSql),
    Manual(&'a StatementUndo),
    Nothing(&'a StatementUndo),
    /// Opens the transaction block that carries over the forward's `BEGIN … COMMIT`: its
    /// source is the forward `COMMIT`, whose undo comes first. The block closes at the end of
    /// the file (see [`super::session`]).
    Begin(&'a StatementUndo),
}

impl<'a> Step<'a> {
    /// The forward statement this step reverses.
    fn source(&self) -> &'a StatementUndo {
        match self {
            Step::Sql(s, _) | Step::Manual(s) | Step::Nothing(s) | Step::Begin(s) => s,
        }
    }
}

/// The steps of each file, in order. A `CONCURRENTLY` statement cannot run inside the
/// implicit transaction Prisma wraps a file in, so it gets a file of its own; validations
/// wait for a file after the one that adds their constraints (see [`Placement`]); preflight
/// guards run first of all. The forward's explicit transaction blocks are carried over where
/// they can be ([`carry_blocks`]); the notes say where they cannot.
fn parts(undo: &MigrationUndo) -> (Vec<Vec<Step<'_>>>, Vec<String>) {
    let mut steps = Vec::new();
    let mut guards: Vec<Step<'_>> = Vec::new();
    let opened = opened_blocks(undo);
    for s in undo.statements.iter().rev() {
        if opened.iter().any(|(_, commit)| std::ptr::eq(*commit, s)) {
            steps.push(Step::Begin(s));
        } else if s.undo.verdict == Verdict::Manual && !s.undo.backfill_only() {
            steps.push(Step::Manual(s));
        } else if s
            .undo
            .statements
            .iter()
            .all(|sql| sql.placement == Placement::Guard)
        {
            // Nothing of its own where it stands (its guards run first): its note still shows.
            steps.push(Step::Nothing(s));
        }
        for sql in &s.undo.statements {
            if sql.placement == Placement::Guard {
                guards.push(Step::Sql(s, sql));
            } else {
                steps.push(Step::Sql(s, sql));
            }
        }
    }
    build_ahead(&mut steps);
    let notes = carry_blocks(&mut steps, &opened);
    let mut parts: Vec<Vec<Step<'_>>> = vec![Vec::new()];
    let mut waiting: Vec<Step<'_>> = Vec::new();
    for step in steps {
        let Step::Sql(_, sql) = step else {
            if matches!(step, Step::Manual(_) | Step::Begin(_)) {
                start_waiting(&mut parts, &mut waiting);
            }
            parts.last_mut().expect("a part").push(step);
            continue;
        };
        match sql.placement {
            Placement::Guard => unreachable!("guards are set apart above"),
            Placement::Later => waiting.push(step),
            Placement::NotValidAdd | Placement::GuardHere => {
                parts.last_mut().expect("a part").push(step)
            }
            Placement::InOrder => {
                start_waiting(&mut parts, &mut waiting);
                if sql.concurrent {
                    parts.push(vec![step]);
                    parts.push(Vec::new());
                } else {
                    parts.last_mut().expect("a part").push(step);
                }
            }
        }
    }
    start_waiting(&mut parts, &mut waiting);
    parts.retain(|p| p.iter().any(|s| !matches!(s, Step::Nothing(_))));
    for part in &mut parts {
        // One block per file, from its first opening to the end: a later one is inside it.
        let mut open = false;
        for step in part.iter_mut() {
            if let Step::Begin(s) = *step {
                if std::mem::replace(&mut open, true) {
                    *step = Step::Nothing(s);
                }
            }
        }
    }
    if !guards.is_empty() {
        match parts.first_mut() {
            // A CONCURRENTLY statement must stay alone in its file: the guards go before it.
            Some(first) if !matches!(first.as_slice(), [Step::Sql(_, sql)] if sql.concurrent) => {
                guards.append(first);
                *first = guards;
            }
            _ => parts.insert(0, guards),
        }
    }
    if parts.is_empty() {
        parts.push(Vec::new());
    }
    (parts, notes)
}

/// The forward's explicit transaction blocks, each as its `BEGIN` and its `COMMIT`, in order.
fn opened_blocks(undo: &MigrationUndo) -> Vec<(&StatementUndo, &StatementUndo)> {
    let mut blocks = Vec::new();
    let mut begin = None;
    for s in &undo.statements {
        match s.undo.transaction {
            Some(TransactionControl::Begin) => begin = Some(s),
            Some(TransactionControl::Commit) => {
                if let Some(b) = begin.take() {
                    blocks.push((b, s));
                }
            }
            None => {}
        }
    }
    blocks
}

/// Keeps the opening of each forward block whose undo can run in a transaction block: one
/// that holds a statement to run, and no `CONCURRENTLY` statement (it cannot run in a block)
/// or validation (it waits for a later transaction, so a file of its own). The others are
/// not carried over; the notes say why. `steps` run from the undo of each block's `COMMIT`
/// (its [`Step::Begin`]) to the undo of its `BEGIN`.
fn carry_blocks<'a>(
    steps: &mut [Step<'a>],
    blocks: &[(&'a StatementUndo, &'a StatementUndo)],
) -> Vec<String> {
    let mut notes = Vec::new();
    for (begin, commit) in blocks {
        let Some(start) = steps
            .iter()
            .position(|s| matches!(s, Step::Begin(c) if std::ptr::eq(*c, *commit)))
        else {
            continue;
        };
        let end = steps[start..]
            .iter()
            .position(|s| std::ptr::eq(s.source(), *begin))
            .map_or(steps.len(), |n| start + n);
        let inner = &steps[start + 1..end];
        let concurrent = inner
            .iter()
            .any(|s| matches!(s, Step::Sql(_, sql) if sql.concurrent));
        let later = inner
            .iter()
            .any(|s| matches!(s, Step::Sql(_, sql) if sql.placement == Placement::Later));
        let runs = inner
            .iter()
            .any(|s| matches!(s, Step::Sql(..) | Step::Manual(_)));
        let why = if concurrent {
            "its undo holds a CONCURRENTLY statement, which cannot run in a transaction block"
        } else if later {
            "its undo validates a constraint, which runs in a later transaction than the add"
        } else {
            ""
        };
        if !why.is_empty() || !runs {
            steps[start] = Step::Nothing(commit);
        }
        if !why.is_empty() {
            notes.push(format!(
                "the forward's BEGIN … COMMIT (lines {}-{}) is not carried over: {why}; its statements are undone one by one",
                begin.location.line, commit.location.line
            ));
        }
    }
    notes
}

/// Moves each concurrent index build that may run ahead of the drop of a key constraint
/// ([`Effect::BuildsAheadOf`]) to just before that drop, so the drop and the re-add of the
/// key share one short transaction instead of leaving the table without its key while the
/// index builds. It moves only over other drops (and builds of the same kind), which cannot
/// need it to wait; anything else between keeps it where it is.
fn build_ahead(steps: &mut Vec<Step<'_>>) {
    for k in 0..steps.len() {
        let Step::Sql(_, sql) = &steps[k] else {
            continue;
        };
        let Some(Effect::BuildsAheadOf { table, constraint }) = sql.effect.as_deref() else {
            continue;
        };
        if let Some(target) = drop_before(&steps[..k], table, constraint) {
            let step = steps.remove(k);
            steps.insert(target, step);
        }
    }
}

/// The position among `steps` of the last drop of `constraint` of `table`, if only drops
/// and builds that may run ahead stand after it.
fn drop_before(steps: &[Step<'_>], table: &QName, constraint: &str) -> Option<usize> {
    for (j, step) in steps.iter().enumerate().rev() {
        let effect = match step {
            Step::Nothing(_) => continue,
            Step::Manual(_) | Step::Begin(_) => return None,
            Step::Sql(_, sql) => sql.effect.as_deref()?,
        };
        match effect {
            Effect::DropsConstraint { table: t, name, .. } if t == table && name == constraint => {
                return Some(j)
            }
            Effect::BuildsAheadOf { .. } => {}
            other if other.drops_part_of_a_table().is_some() => {}
            _ => return None,
        }
    }
    None
}

/// Starts a new file with the steps that wait for a later transaction, if any; the statements
/// after them follow in the same file.
fn start_waiting<'a>(parts: &mut Vec<Vec<Step<'a>>>, waiting: &mut Vec<Step<'a>>) {
    if !waiting.is_empty() {
        parts.push(std::mem::take(waiting));
    }
}

/// The files of one undo: its steps split into parts once, then rendered into any text sink,
/// so a large undo can go straight to a file instead of through a string of its own.
pub struct Files<'u> {
    undo: &'u MigrationUndo,
    parts: Vec<Vec<Step<'u>>>,
    /// What the header says of the forward's transaction blocks not carried over.
    notes: Vec<String>,
}

/// The `lock_timeout` file `steps` sets for itself: none when it holds no statement, or one
/// `CONCURRENTLY` statement that must be alone (see [`super::lock_timeout`]).
fn lock_timeout<'u>(undo: &'u MigrationUndo, steps: &[Step<'_>]) -> Option<&'u LockTimeout> {
    let alone = matches!(steps, [Step::Sql(_, sql)] if sql.concurrent);
    let runs = steps.iter().any(|s| !matches!(s, Step::Nothing(_)));
    undo.lock_timeout.as_ref().filter(|_| runs && !alone)
}

impl<'u> Files<'u> {
    pub fn new(undo: &'u MigrationUndo) -> Self {
        let (parts, notes) = parts(undo);
        Files { undo, parts, notes }
    }

    /// How many files: more than one when `CONCURRENTLY` statements must run alone.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Never true: an undo with nothing to undo is still one file saying so.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Renders file `part` (0-based), sealed with the checksum of what was generated (see
    /// [`seal`](crate::migrations::seal)). It is rendered twice, once to hash it and once into `out`, so it is never
    /// held whole.
    pub fn render(&self, part: usize, out: &mut impl Write) -> std::fmt::Result {
        let mut hash = Sha256Text::default();
        self.render_unsealed(part, &mut hash)?;
        let mut sealed = Sealed::new(out, hash.finish());
        self.render_unsealed(part, &mut sealed)?;
        sealed.finish()
    }

    /// File `part` as a string: for drills and tests, which hold their files anyway.
    pub fn text(&self, part: usize) -> String {
        let steps = &self.parts[part];
        let mut out = String::with_capacity(file_size_hint(self.undo, steps));
        self.render(part, &mut out)
            .expect("a string takes any text");
        out
    }

    /// Renders file `part` without its seal: the written file has one more line, the seal,
    /// second (see [`seal`](crate::migrations::seal)).
    pub(super) fn render_unsealed(&self, part: usize, out: &mut impl Write) -> std::fmt::Result {
        render_file(
            out,
            self.undo,
            &self.parts[part],
            part + 1,
            self.parts.len(),
            &self.notes,
        )
    }

    /// The statements file `part` holds, in order, as the generator built them (without the
    /// `;`): what the file must parse back to before it is written.
    pub fn built(&self, part: usize) -> impl Iterator<Item = Cow<'u, str>> + '_ {
        self.built_from(part).map(|(text, _)| text)
    }

    /// [`built`](Self::built), each statement with the undo statement it is, where it is one
    /// (not the `lock_timeout` lines, a transaction block's ends or a manual step's stop).
    pub fn built_from(
        &self,
        part: usize,
    ) -> impl Iterator<Item = (Cow<'u, str>, Option<&'u UndoSql>)> + '_ {
        let timeout = lock_timeout(self.undo, &self.parts[part]);
        let set = timeout.map(|t| Cow::Owned(t.set_statement()));
        let reset = timeout.map(|_| Cow::Borrowed(RESET_STATEMENT));
        let steps = self.parts[part].iter().filter_map(|step| match step {
            Step::Sql(_, sql) => Some((Cow::Borrowed(sql.sql.as_str()), Some(*sql))),
            Step::Manual(s) => Some((Cow::Owned(manual_statement(self.undo, s)), None)),
            Step::Begin(_) => Some((Cow::Borrowed("BEGIN"), None)),
            Step::Nothing(_) => None,
        });
        let commit = has_block(&self.parts[part]).then_some(Cow::Borrowed("COMMIT"));
        let around = |text: Option<Cow<'u, str>>| text.map(|t| (t, None));
        around(set)
            .into_iter()
            .chain(steps)
            .chain(around(commit))
            .chain(around(reset))
    }
}

/// Renders the undo as one or more `migration.sql` texts, each sealed with the checksum of
/// what was generated (see [`seal`](crate::migrations::seal)).
pub fn render_parts(undo: &MigrationUndo) -> Vec<String> {
    let files = Files::new(undo);
    (0..files.len()).map(|part| files.text(part)).collect()
}

/// Whether the file opens a transaction block (which it closes at its end).
fn has_block(steps: &[Step<'_>]) -> bool {
    steps.iter().any(|s| matches!(s, Step::Begin(_)))
}

fn render_file(
    out: &mut impl Write,
    undo: &MigrationUndo,
    steps: &[Step<'_>],
    part: usize,
    total: usize,
    notes: &[String],
) -> std::fmt::Result {
    let timeout = lock_timeout(undo, steps);
    header(out, undo, steps, part, total, timeout, notes)?;
    if let Some(timeout) = timeout {
        writeln!(
            out,
            "\n-- wait at most {timeout} for any lock, then fail (retry the deploy later)"
        )?;
        writeln!(out, "{};", timeout.set_statement())?;
    }
    let mut last_source: Option<&StatementUndo> = None;
    // The step whose backfill comment is written: once, before its first check.
    let mut backfill_said: Option<&StatementUndo> = None;
    for step in steps {
        let source = step.source();
        if let Step::Sql(_, sql) = step {
            if sql.placement == Placement::Guard {
                if matches!(sql.effect.as_deref(), Some(Effect::StopsUntilBackfilled)) {
                    writeln!(
                        out,
                        "\n-- MANUAL STEP: the undo of line {} needs a backfill (see the MANUAL STEP there); this check stops the undo here, before any change, while the table has rows. Delete it once the backfill is written.",
                        source.location.line
                    )?;
                } else {
                    writeln!(
                        out,
                        "\n-- preflight check for the undo of line {}: it fails here, before any change, if rows would make that undo fail",
                        source.location.line
                    )?;
                }
                writeln!(out, "{};", sql.sql)?;
                continue;
            }
        }
        // Consecutive steps of one forward statement share its comment.
        if !last_source.is_some_and(|last| std::ptr::eq(last, source)) {
            out.write_char('\n')?;
            statement_comment(out, source)?;
            last_source = Some(source);
        }
        // Where the backfill of a column an earlier step re-added (or the forward set) goes:
        // before the step's first check, which runs right before its part (never at the top:
        // see `guard::place`).
        let first_check = matches!(step, Step::Sql(_, sql) if sql.placement == Placement::GuardHere)
            && !backfill_said.is_some_and(|said| std::ptr::eq(said, source));
        if first_check {
            backfill_comment(out, source, |b| b.readded_earlier())?;
            backfill_said = Some(source);
        }
        match step {
            Step::Sql(_, sql) => {
                out.write_str(&sql.sql)?;
                out.write_str(";\n")?;
                // Where the backfill of a column this step re-added goes: right after it.
                if let Some(Effect::AddsColumnWithout { column, .. }) = sql.effect.as_deref() {
                    backfill_comment(out, source, |b| {
                        !b.readded_earlier() && b.column == *column
                    })?;
                }
            }
            Step::Manual(s) => manual_block(out, undo, s)?,
            Step::Begin(_) => out.write_str(
                "-- the forward ran the statements below in one transaction block: their undo does too, to the end of this file\nBEGIN;\n",
            )?,
            Step::Nothing(_) => {}
        }
    }
    if steps.is_empty() {
        out.write_str("\n-- Nothing to undo: the forward migration changed no schema.\n")?;
    }
    if has_block(steps) {
        out.write_str("\n-- end of the transaction block opened above\nCOMMIT;\n")?;
    }
    if timeout.is_some() {
        writeln!(
            out,
            "\n-- the connection's own lock_timeout again, for the migrations after this one"
        )?;
        writeln!(out, "{RESET_STATEMENT};")?;
    }
    Ok(())
}

/// Roughly how long the file will be, so it is not regrown line by line.
fn file_size_hint(undo: &MigrationUndo, steps: &[Step<'_>]) -> usize {
    let reasons: usize = undo.statements.iter().map(|s| s.undo.reason.len()).sum();
    let per_step = |step: &Step<'_>| match step {
        Step::Sql(_, sql) => sql.sql.len() + 2,
        Step::Manual(s) => s.forward.len() + 400,
        Step::Begin(_) => 120,
        Step::Nothing(_) => 0,
    };
    let comments = steps.len() * (SHOWN_CHARS + 80);
    512 + SEAL_LINE_LEN + 2 * reasons + comments + steps.iter().map(per_step).sum::<usize>()
}

fn header(
    out: &mut impl Write,
    undo: &MigrationUndo,
    steps: &[Step<'_>],
    part: usize,
    total: usize,
    timeout: Option<&LockTimeout>,
    notes: &[String],
) -> std::fmt::Result {
    let c = undo.counts;
    writeln!(out, "{}", undo_header(&undo.source))?;
    writeln!(out, "{SOURCE_CHECKSUM}{}", undo.source_checksum)?;
    writeln!(
        out,
        "-- generated by unmigrate {}; review it before deploying",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(
        out,
        "{VERDICT}{} ({} exact, {} lossy, {} manual)",
        undo.verdict, c.exact, c.lossy, c.manual
    )?;
    if total > 1 {
        writeln!(
            out,
            "-- part {part} of {total}: deploy all parts in order (CONCURRENTLY statements run outside a transaction, so each has a migration of its own; VALIDATE CONSTRAINT runs in a transaction after the one that adds the constraint NOT VALID)"
        )?;
    }
    if let Some(timeout) = timeout {
        match undo.layout {
            Layout::Prisma => writeln!(
                out,
                "-- lock_timeout: {timeout} (generate --lock-timeout), SET at the top and RESET at the end: in batch mode both are part of the file's one transaction, in split mode (each statement commits alone) the RESET keeps it from the later migrations of the deploy"
            )?,
            _ => writeln!(
                out,
                "-- lock_timeout: {timeout} (generate --lock-timeout), SET at the top and RESET at the end, so the later migrations its tool runs on the same connection keep their own"
            )?,
        }
    }
    let found = undo.explained.get(part - 1).and_then(Option::as_ref);
    super::explained::header_lines(out, found, undo.layout)?;
    for note in notes {
        write!(out, "-- transaction block: ")?;
        push_one_line(out, note)?;
        out.write_char('\n')?;
    }
    // One of several parts lists the warnings of the statements it holds: repeating every
    // part's warnings in each made a large undo's files mostly header.
    let held: Option<std::collections::HashSet<*const StatementUndo>> =
        (total > 1).then(|| steps.iter().map(|s| s.source() as *const _).collect());
    let mut warnings = undo
        .statements
        .iter()
        .rev()
        .filter(|s| s.undo.verdict != Verdict::Exact)
        .filter(|s| held.as_ref().is_none_or(|h| h.contains(&(*s as *const _))))
        .peekable();
    if warnings.peek().is_some() {
        let of = if total > 1 {
            " (of the statements in this part)"
        } else {
            ""
        };
        writeln!(out, "--\n-- warnings{of}:")?;
        for s in warnings {
            write!(out, "{WARNING}{}: {}: ", s.location.line, s.undo.verdict)?;
            push_one_line(out, &s.undo.reason)?;
            out.write_char('\n')?;
        }
    }
    Ok(())
}

fn statement_comment(out: &mut impl Write, s: &StatementUndo) -> std::fmt::Result {
    write!(out, "-- undo of line {}: ", s.location.line)?;
    push_first_line(out, &s.forward)?;
    write!(out, "\n-- {}: ", s.undo.verdict)?;
    push_one_line(out, &s.undo.reason)?;
    out.write_char('\n')
}

/// Where a person writes the backfill a step needs (see `super::backfill`), with the
/// `UPDATE` to complete.
fn backfill_comment(
    out: &mut impl Write,
    s: &StatementUndo,
    which: impl Fn(&Backfill) -> bool,
) -> std::fmt::Result {
    let backfills: Vec<&Backfill> = s.undo.backfills().iter().filter(|b| which(b)).collect();
    if backfills.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "-- MANUAL STEP: fill these columns here, in every existing row, before the steps below that need their values; then delete the check that stops this undo while the table has rows (\"this undo needs a backfill\"):"
    )?;
    for backfill in backfills {
        out.write_str("--   ")?;
        push_one_line(out, &backfill.drafted())?;
        out.write_char('\n')?;
    }
    Ok(())
}

/// A block that makes the migration fail until a person replaces it with the real undo.
fn manual_block(out: &mut impl Write, undo: &MigrationUndo, s: &StatementUndo) -> std::fmt::Result {
    writeln!(
        out,
        "-- MANUAL STEP: write the reverse of the statement above here, then delete the DO block."
    )?;
    writeln!(out, "-- The forward statement was:")?;
    for line in any_lines(&s.forward) {
        writeln!(out, "--   {}", untrusted::sql_comment(line))?;
    }
    out.write_str(&manual_statement(undo, s))?;
    out.write_str(";\n")
}

/// The statement of a manual block (without its `;`): it fails, saying what to do.
fn manual_statement(undo: &MigrationUndo, s: &StatementUndo) -> String {
    let message = format!(
        "unmigrate: the undo of line {} of {} must be written by hand (see the comment above this block)",
        s.location.line,
        untrusted::sql_comment(&undo.source)
    )
    .replace('\'', "''")
    .replace('$', "");
    format!("DO $unmigrate$ BEGIN RAISE EXCEPTION '{message}'; END $unmigrate$")
}
