//! Before the drill runs: each migration's undo and the files to apply for it, what the drill
//! reads from each forward file, and the scratch database, opened and watched.

use std::path::{Path, PathBuf};

use postgres::Client;

use super::{DrillError, DrillPlan, UndoChoice, BOOKKEEPING_SETTING};
use crate::drill::apply;
use crate::drill::apply::{ApplyError, Runner, ToolSession};
use crate::drill::outcome::{Stale, UndoSource};
use crate::migrations::{
    self, ApplyMode, DownSql, History, Layout, Migration, SealState, Timestamp, Transaction,
};
use crate::scratch::{Scratch, ScratchDb, ScratchSource};
use crate::snapshot::SchemaWatcher;
use crate::sql::touches::Touches;
use crate::sql::{self, SqlError};
use crate::undo::down_sql::Comparison;
use crate::undo::{self, Claims, MigrationUndo, Reason, Verdict};

/// A scratch database, ready for the drill: connected, with the schema watcher installed.
pub(super) struct Opened {
    pub(super) scratch: Scratch,
    pub(super) client: Client,
    pub(super) server_version: String,
    pub(super) watcher: SchemaWatcher,
}

/// Opens the scratch database; `layout`'s bookkeeping table is left out of its snapshots.
pub(super) fn open_scratch(plan: &DrillPlan, layout: Layout) -> Result<Opened, DrillError> {
    let mut scratch = Scratch::open(plan.source.clone())?;
    let mut ready = || -> Result<_, DrillError> {
        let mut client = scratch.connect()?;
        run_under_time_zone(&mut client, scratch.db_mut(), &plan.time_zone)?;
        // Every session of the database, and a migration's `RESET ALL`, keep it.
        scratch
            .db_mut()
            .set_default(&mut client, BOOKKEEPING_SETTING, layout.bookkeeping_table())
            .and_then(|()| {
                client.execute(
                    "SELECT set_config($1, $2, false)",
                    &[&BOOKKEEPING_SETTING, &layout.bookkeeping_table()],
                )
            })
            .map_err(|e| DrillError::Apply(ApplyError::Connection(e)))?;
        let server_version = server_version(&mut client)?;
        let watcher = SchemaWatcher::install(&mut client, plan.tracking)?;
        Ok((client, server_version, watcher))
    };
    match ready() {
        Ok((client, server_version, watcher)) => Ok(Opened {
            scratch,
            client,
            server_version,
            watcher,
        }),
        Err(error) => Err(error.with_server_log(|e| scratch.diagnose(e))),
    }
}

/// Each in-scope migration's undo with the files to apply, and what the drill needs to know
/// of its own file.
pub(super) type PreparedFiles = (Vec<(MigrationUndo, UndoFiles)>, Vec<ForwardFile>);

pub(super) fn prepare_files(
    history: &History,
    undo_history: Option<&History>,
    in_scope: &[&Migration],
    choice: UndoChoice,
    seeded: bool,
) -> Result<PreparedFiles, DrillError> {
    let mut undos = undo_files(history, undo_history, in_scope, choice)?;
    if seeded {
        for (_, files) in &mut undos {
            files.touched = Some(files.touches());
        }
    }
    let forward_files = in_scope
        .iter()
        .map(|m| {
            let statements = sql::parse_file(&m.sql_path, &m.sql)?;
            Ok(ForwardFile {
                mode_differences: apply::mode_differences(&statements),
                touched: seeded.then(|| Touches::with_names(statements.iter().map(|s| &s.node))),
                in_one_transaction: seeded
                    .then(|| apply::in_one_transaction(&statements))
                    .flatten(),
            })
        })
        .collect::<Result<Vec<_>, SqlError>>()?;
    Ok((undos, forward_files))
}

/// An undo directory kept outside the history: every folder must be an undo.
pub(super) fn read_undo_dir(dir: &Path) -> Result<History, DrillError> {
    let history = migrations::read_history(dir)?;
    let forward: Vec<&str> = history.forward().iter().map(|m| m.name.as_str()).collect();
    if !forward.is_empty() {
        return Err(DrillError::ForwardInUndoDir {
            dir: dir.to_path_buf(),
            names: forward.join(", "),
        });
    }
    Ok(history)
}

/// An undo file to apply: the migration the tool records it as, path and SQL, the tool's
/// command that runs it and how that sends it.
#[derive(Debug, Clone)]
pub(super) struct UndoFile {
    pub(super) name: String,
    pub(super) path: PathBuf,
    pub(super) sql: String,
    pub(super) runner: Runner,
    pub(super) sent: Transaction,
}

/// Each migration's derived undo, with the files the drill applies. `Committed`: the
/// committed undo folders, else the migration's hand-written down, when there is one ("drill
/// what you deploy"), else the generated undo; `Generated`: always the generated undo.
pub(super) fn undo_files(
    history: &History,
    undo_history: Option<&History>,
    in_scope: &[&Migration],
    choice: UndoChoice,
) -> Result<Vec<(MigrationUndo, UndoFiles)>, DrillError> {
    if in_scope.is_empty() {
        return Ok(Vec::new());
    }
    let derived = undo::derive_undos(history, in_scope)?;
    // Undo folders need timestamps of their own; other tools' downs need none.
    let fresh: usize = match history.layout {
        Layout::Prisma => derived.iter().map(|(_, parts)| parts.len()).sum(),
        _ => 0,
    };
    let stamps = match fresh {
        0 => Vec::new(),
        _ => migrations::choose_timestamps(history, None, Timestamp::now_utc(), fresh)?,
    };
    let mut stamps = stamps.into_iter();
    let mut out = Vec::with_capacity(derived.len());
    for (undo, parts) in derived {
        let committed: Vec<&Migration> = history
            .undos_of(&undo.source)
            .chain(
                undo_history
                    .into_iter()
                    .flat_map(|h| h.undos_of(&undo.source)),
            )
            .collect();
        let count = parts.len();
        let forward = history.find(&undo.source);
        let down = forward.and_then(|m| m.down.as_deref());
        let generated: Vec<UndoFile> = parts
            .into_iter()
            .enumerate()
            .map(|(i, sql)| {
                if history.layout != Layout::Prisma {
                    // Where the tool keeps downs, the generated undo is the down it would
                    // run (`generate` writes it there), recorded as the tool reverts.
                    return generated_down(history, forward, down, i, sql);
                }
                let ts = stamps.next().expect("a timestamp per generated part");
                let source = if i == 0 {
                    undo.source.clone()
                } else {
                    format!("{}_part{}", undo.source, i + 1)
                };
                let name = migrations::undo_folder_name(ts, &source);
                UndoFile {
                    path: PathBuf::from(format!("(generated) {name}/migration.sql")),
                    name,
                    sql,
                    runner: Runner::Deploy,
                    sent: Transaction::ApplyMode,
                }
            })
            .collect();
        debug_assert_eq!(generated.len(), count);
        let committed = match choice {
            UndoChoice::Committed => committed,
            UndoChoice::Generated => Vec::new(),
        };
        let down = down.filter(|_| choice == UndoChoice::Committed);
        let files = if let (true, Some(down)) = (committed.is_empty(), down) {
            down_sql_files(&undo.source, down, &generated)
        } else if committed.is_empty() {
            UndoFiles {
                source: UndoSource::Generated,
                files: generated,
                declared_irreversible: false,
                touched: None,
                claims: None,
            }
        } else {
            let claims = Claims::read(committed.iter().map(|m| m.sql.as_str()));
            let forward = history.migrations.iter().find(|m| m.name == undo.source);
            let file = forward.map(|m| m.checksum.to_string()).unwrap_or_default();
            let stale = (claims.source_checksum.as_deref() != Some(file.as_str())).then(|| Stale {
                header: claims.source_checksum.clone(),
                file,
            });
            UndoFiles {
                source: UndoSource::Committed {
                    folders: committed.iter().map(|m| m.name.clone()).collect(),
                    stale,
                },
                claims: claims.verdict.map(|verdict| (verdict, claims.reasons)),
                files: committed
                    .iter()
                    .map(|m| UndoFile {
                        name: m.name.clone(),
                        path: m.sql_path.to_path_buf(),
                        sql: m.sql.clone(),
                        runner: Runner::Deploy,
                        sent: m.transaction,
                    })
                    .collect(),
                declared_irreversible: false,
                touched: None,
            }
        };
        out.push((undo, files));
    }
    Ok(out)
}

/// The generated undo's part `i` as the down the tool runs: recorded as a revert of its
/// source, sent as the migration's down is (or the migration itself, without one).
fn generated_down(
    history: &History,
    forward: Option<&Migration>,
    down: Option<&DownSql>,
    i: usize,
    sql: String,
) -> UndoFile {
    let name = forward.map_or_else(String::new, |m| m.name.clone());
    let path = forward
        .and_then(|m| history.layout.down_path(&history.dir, m))
        .unwrap_or_else(|| PathBuf::from(&name));
    let part = match i {
        0 => String::new(),
        _ => format!(" part {}", i + 1),
    };
    // A part with a statement no transaction may hold is sent as it is: `generate` refuses
    // to put it where the tool would wrap it, and says what opt-out to add instead.
    let alone = sql::parse_file(&path, &sql).is_ok_and(|statements| {
        statements
            .iter()
            .any(|s| sql::blocks::outside_transaction_only(&s.node).is_some())
    });
    let sent = match (alone, down) {
        (true, _) => Transaction::AsIs,
        (false, Some(down)) => down.transaction,
        (false, None) => forward.map_or(Transaction::Wrapped, |m| m.transaction),
    };
    UndoFile {
        path: PathBuf::from(format!("(generated{part}) {}", path.display())),
        name,
        sql,
        runner: Runner::Revert,
        sent,
    }
}

/// A migration's hand-written down as its undo: run as its tool runs it ([`Runner::Revert`];
/// Prisma: as Prisma's guide runs a `down.sql`), compared with the generated undo. It says
/// nothing of what it does to data, so it claims lossy: the drill (seeded, the rows too) is
/// what judges it. A down with no statement (empty, or comments only) declares the migration
/// irreversible: nothing is applied.
fn down_sql_files(source: &str, down: &DownSql, generated: &[UndoFile]) -> UndoFiles {
    let fresh: Vec<&str> = generated.iter().map(|f| f.sql.as_str()).collect();
    let declared_irreversible =
        sql::parse_file(&down.path, &down.sql).is_ok_and(|statements| statements.is_empty());
    let files = match declared_irreversible {
        true => Vec::new(),
        false => vec![UndoFile {
            name: source.to_string(),
            path: down.path.to_path_buf(),
            sql: down.sql.clone(),
            runner: Runner::Revert,
            sent: down.transaction,
        }],
    };
    // A down unmigrate wrote, unedited, claims what its header says.
    let by_unmigrate = written_by_unmigrate(&down.sql);
    let header = Claims::read([down.sql.as_str()]);
    let claims = match (by_unmigrate, header.verdict) {
        (true, Some(verdict)) => Some((verdict, header.reasons)),
        _ => None,
    };
    UndoFiles {
        source: UndoSource::DownSql {
            file: down.path.display().to_string(),
            compared: Comparison::of(&down.path, &down.sql, &fresh),
            by_unmigrate,
        },
        files,
        declared_irreversible,
        touched: None,
        claims: claims.or_else(|| {
            Some((
                Verdict::Lossy,
                vec![Reason {
                    line: 0,
                    verdict: Verdict::Lossy,
                    text: format!(
                        "{} is hand-written: unmigrate does not judge what it does to data; the \
                     drill checks the schema it restores (seeded, the rows too)",
                        down.path.display()
                    ),
                }],
            ))
        }),
    }
}

/// Whether a down is as unmigrate wrote it: its seal intact, past the blank lines and marker
/// line a dbmate section starts with.
fn written_by_unmigrate(down: &str) -> bool {
    let text = down.trim_start_matches(['\n', '\r']);
    let text = match text.split_once('\n') {
        Some((first, rest))
            if first
                .trim_start_matches(['-', ' '])
                .starts_with("migrate:down") =>
        {
            rest
        }
        _ => text,
    };
    migrations::seal_state(text) == SealState::Intact
}

#[derive(Debug, Clone)]
pub(super) struct UndoFiles {
    pub(super) source: UndoSource,
    pub(super) files: Vec<UndoFile>,
    /// A hand-written down with no statement: the team declares the migration irreversible,
    /// and there is nothing to apply.
    pub(super) declared_irreversible: bool,
    /// What the files' statements name, for data-survival checks (seeded drills only).
    pub(super) touched: Option<Touches>,
    /// What a committed undo claims in its header: verdict and reasons (`None`: generated,
    /// or a header without a verdict, whose claims are then a fresh generation's).
    pub(super) claims: Option<(Verdict, Vec<Reason>)>,
}

impl UndoFiles {
    /// What the files name; a file that does not parse may change any table.
    fn touches(&self) -> Touches {
        let mut touched = Touches::with_names([]);
        for file in &self.files {
            match sql::parse_file(&file.path, &file.sql) {
                Ok(statements) => statements.iter().for_each(|s| touched.add(&s.node)),
                Err(_) => return Touches::any("an undo file that does not parse"),
            }
        }
        touched
    }
}

pub(super) fn server_version(client: &mut Client) -> Result<String, DrillError> {
    let row = client
        .query_one("SHOW server_version", &[])
        .map_err(|e| DrillError::Apply(ApplyError::Connection(e)))?;
    let version: String = row.get(0);
    Ok(version
        .split_whitespace()
        .next()
        .unwrap_or(&version)
        .to_string())
}

/// Where the scratch database lives, for reports: "embedded PostgreSQL 15.18", or the database
/// and the server's URL without its password.
pub(super) fn database_label(scratch: &Scratch, plan: &DrillPlan, server_version: &str) -> String {
    match scratch.server() {
        Some(_) => format!("embedded PostgreSQL {server_version}"),
        None => format!(
            "database {} on {}",
            scratch.db().name(),
            redacted(&plan.source)
        ),
    }
}

/// The drill's session, sending files as the history's tool does: Prisma's in the plan's
/// apply mode, another tool's as `Migration::transaction` says (so in no apply mode: batch).
pub(super) fn start_session<'c>(
    client: &'c mut Client,
    plan: &DrillPlan,
    layout: Layout,
) -> Result<ToolSession<'c>, DrillError> {
    let apply_mode = match layout {
        Layout::Prisma => plan.apply_mode,
        _ => ApplyMode::Batch,
    };
    Ok(ToolSession::start(
        client,
        layout,
        apply_mode,
        &plan.timeouts,
    )?)
}

/// The server's URL without its password, for reports.
fn redacted(source: &ScratchSource) -> String {
    match source {
        ScratchSource::Embedded(_) => "embedded PostgreSQL".into(),
        ScratchSource::Url(url) => url.redacted(),
    }
}

/// What the drill reads from a forward migration's parse trees before anything runs.
pub(super) struct ForwardFile {
    pub(super) mode_differences: Vec<String>,
    /// What its statements name, for data-survival checks (seeded drills only).
    pub(super) touched: Option<Touches>,
    /// Its statements as they can be tried again inside a rolled-back transaction, if they can
    /// (seeded drills only: only a failure on seeded rows is retried).
    pub(super) in_one_transaction: Option<String>,
}

/// Every session of the scratch database runs under `zone`: this one from now on, later
/// ones (probes, a migration's `RESET TimeZone`) by the database's own default. Only the
/// database the drill created is changed.
fn run_under_time_zone(
    client: &mut Client,
    db: &mut ScratchDb,
    zone: &str,
) -> Result<(), DrillError> {
    let invalid = |source| DrillError::TimeZone {
        zone: zone.to_string(),
        source,
    };
    client
        .query_one("SELECT set_config('TimeZone', $1, false)", &[&zone])
        .map_err(invalid)?;
    db.set_default(client, "TimeZone", zone).map_err(invalid)
}
