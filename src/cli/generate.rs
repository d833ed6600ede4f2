//! `unmigrate generate`: undo folders for forward migrations; the report of what was written is
//! [`crate::report::generate`]'s.

use std::path::PathBuf;

use super::{migrations_dir, print_stdout, project_config, terminal, EXIT_MANUAL, EXIT_OK};
use crate::check::{self, Since};
use crate::generate::{self, GenerateError, Selection};
use crate::migrations::{self, MigrationsError, Overwrite, Timestamp};
use crate::report::style::WARNING;
use crate::report::{self, generate::GenerateFormat};
use crate::undo::{LockTimeout, Verdict, DEFAULT_LOCK_TIMEOUT};

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The migrations folder, of Prisma or another tool (see --layout) [default: `migrations`
    /// in unmigrate.toml, else prisma/migrations].
    pub migrations_dir: Option<PathBuf>,
    /// Read the folder as this tool's [default: `layout` in unmigrate.toml, else detected].
    #[arg(long, value_enum)]
    pub layout: Option<migrations::Layout>,
    /// The configuration file [default: unmigrate.toml in this folder or one above it]: its
    /// `migrations`, `lock_timeout` and `[irreversible]` (for --missing).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Undo this migration (folder name, the name after its timestamp, or a unique start of the
    /// folder name); repeat for several.
    #[arg(long = "migration", value_name = "NAME", conflicts_with_all = ["last", "all", "missing"])]
    pub migrations: Vec<String>,
    /// Undo the last N forward migrations [default: 1].
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub last: Option<usize>,
    /// Undo every forward migration.
    #[arg(long)]
    pub all: bool,
    /// Undo every forward migration added since the base that has no undo and is not
    /// declared irreversible in unmigrate.toml (what `unmigrate check` reports as missing).
    #[arg(long, conflicts_with_all = ["last", "all"])]
    pub missing: bool,
    /// With --missing: the migrations whose folders the merge base of this git ref and HEAD
    /// lacks [default: as for unmigrate check].
    #[arg(
        long,
        value_name = "GIT_REF",
        requires = "missing",
        conflicts_with = "since"
    )]
    pub base: Option<String>,
    /// With --missing: the migrations after this one.
    #[arg(long, value_name = "NAME", requires = "missing")]
    pub since: Option<String>,
    /// Write the undo folders here instead of into the migrations folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write each undo to its migration's own down.sql (Prisma's guide on down migrations:
    /// run it with `prisma db execute --file`), instead of as new undo folders. In another
    /// tool's folder the undo always goes where that tool keeps it: the migration's down file
    /// (diesel, golang-migrate, sqlx reversible), its -- migrate:down section (dbmate), a
    /// `U<version>__<description>.sql` file (Flyway), a new migration (sqlx simple).
    #[arg(long, conflicts_with_all = ["out", "timestamp"])]
    pub down_sql: bool,
    /// Flyway: write each undo as a new versioned forward migration
    /// (`V<next>__undo_<description>.sql`, after the highest version) instead of a U file, for
    /// teams without Flyway Teams' undo.
    #[arg(long, conflicts_with_all = ["out", "down_sql"])]
    pub forward: bool,
    /// Timestamp of the first undo folder (14 digits, UTC), for reproducible output; in a sqlx
    /// (simple) folder, the version of the first new migration.
    #[arg(long, value_name = "TS")]
    pub timestamp: Option<String>,
    /// Print what would be written, or how an existing undo differs from a fresh one; write
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace an existing undo folder written by unmigrate, unless edited by hand since.
    #[arg(long)]
    pub force: bool,
    /// With --force, replace hand-edited undo folders too, discarding the edits.
    #[arg(long, requires = "force")]
    pub discard_edits: bool,
    /// The longest each undo statement waits for a lock before the undo fails (a PostgreSQL
    /// duration: 5s, 500ms, 1min); every file sets it at its top and resets it at its end.
    /// 0 or off: set none [default: `lock_timeout` in unmigrate.toml, else 5s].
    // Spelled out so clap takes it as one value that may say "none", not as an optional flag.
    #[arg(long, value_name = "DURATION", value_parser = LockTimeout::parse)]
    pub lock_timeout: Option<::std::option::Option<LockTimeout>>,
    #[arg(long, value_enum, default_value_t = GenerateFormat::Human)]
    pub format: GenerateFormat,
}

pub(super) fn run(args: &GenerateArgs) -> anyhow::Result<i32> {
    let config = project_config(args.config.as_deref())?;
    let migrations_dir = migrations_dir(args.migrations_dir.as_deref(), &config);
    let lock_timeout = match &args.lock_timeout {
        Some(given) => given.clone(),
        None => match &config.lock_timeout {
            Some(configured) => configured.clone(),
            None => LockTimeout::parse(DEFAULT_LOCK_TIMEOUT).map_err(anyhow::Error::msg)?,
        },
    };
    let target = args.out.clone().unwrap_or_else(|| migrations_dir.clone());
    // A run killed while renaming left some of its folders: put them back first.
    if args.dry_run {
        for dir in migrations::interrupted_runs(&target)? {
            eprintln!(
                "{} an unmigrate run was killed while writing ({}); the next run without \
                 --dry-run removes what it left before reading the history",
                terminal::stderr().paint(WARNING, "warning:"),
                dir.display()
            );
        }
    } else {
        for dir in migrations::recover_interrupted(&target)? {
            eprintln!(
                "note: cleaned up after an unmigrate run that was killed while writing ({})",
                dir.display()
            );
        }
    }
    // Any tool's layout; outside Prisma's, the undo goes where the tool keeps downs.
    let layout = args.layout.or(config.layout);
    let (history, detected) = migrations::layouts::read(&migrations_dir, layout)?;
    let into_down_files = args.down_sql || history.layout != migrations::Layout::Prisma;
    let place = undo_place(history.layout, args.forward);
    anyhow::ensure!(
        !args.forward || history.layout == migrations::Layout::Flyway,
        "--forward writes Flyway undos as new versioned migrations, but {} is a {} history \
         ({}): {}; leave --forward out",
        migrations_dir.display(),
        history.layout,
        detected.why,
        place
    );
    if history.layout != migrations::Layout::Prisma {
        anyhow::ensure!(
            args.out.is_none() && !args.missing,
            "{} is a {} history ({}): {}, so --out and --missing do not apply",
            migrations_dir.display(),
            history.layout,
            detected.why,
            place
        );
        anyhow::ensure!(
            args.timestamp.is_none() || history.layout == migrations::Layout::SqlxSimple,
            "{} is a {} history ({}): {}, named by no timestamp; leave --timestamp out",
            migrations_dir.display(),
            history.layout,
            detected.why,
            place
        );
        eprintln!(
            "note: {} read as a {} history ({}): {}",
            migrations_dir.display(),
            history.layout,
            detected.why,
            place
        );
    }
    let selection = if args.all {
        Selection::All
    } else if args.missing {
        let since =
            Since::from_flags(args.base.as_deref(), args.since.as_deref(), &migrations_dir)?;
        let (missing, since) = check::missing(&history, &since, &config)?;
        if missing.is_empty() {
            eprintln!(
                "every forward migration since {since} has an undo or is declared irreversible: \
                 nothing to write"
            );
            return Ok(EXIT_OK);
        }
        Selection::Named(missing)
    } else if !args.migrations.is_empty() {
        Selection::Named(args.migrations.clone())
    } else {
        Selection::Last(args.last.unwrap_or(1))
    };
    let requested = args
        .timestamp
        .as_deref()
        .map(Timestamp::parse)
        .transpose()?;
    // A dry run over an undo that exists shows how it differs from a fresh one: the fresh
    // one takes the existing folders' names, as --force would.
    let plan = generate::plan(
        &history,
        &selection,
        requested,
        Timestamp::now_utc(),
        args.force || args.dry_run,
        lock_timeout.as_ref(),
    )?;
    if into_down_files {
        return write_down_sql(args, &plan, &history, requested);
    }
    let written = if args.dry_run {
        generate::verify(&plan)?;
        Vec::new()
    } else {
        match generate::write(&plan, &target, overwrite(args)) {
            Ok(written) => written,
            Err(GenerateError::Migrations(MigrationsError::Interrupted { signal, outcome })) => {
                eprintln!("interrupted: {outcome}");
                return Ok(128 + signal);
            }
            Err(e) => return Err(e.into()),
        }
    };
    let printed = print_stdout(|out| {
        let styling = terminal::report(args.format == GenerateFormat::Human, None);
        report::generate::write(
            out,
            &plan,
            &target,
            args.dry_run,
            &written,
            args.format,
            styling,
        )
    });
    printed.map_err(|error| {
        if written.is_empty() {
            return error;
        }
        error.context(format!(
            "the undo was written ({} folder(s) in {}), but its report was not",
            written.len(),
            target.display()
        ))
    })?;
    Ok(if plan.verdict() == Verdict::Manual {
        EXIT_MANUAL
    } else {
        EXIT_OK
    })
}

/// Where each undo goes in `layout`, as the note and refusals say it.
fn undo_place(layout: migrations::Layout, forward: bool) -> &'static str {
    use migrations::Layout;
    match layout {
        Layout::Prisma => "each undo goes into new undo folders (or down.sql with --down-sql)",
        Layout::Diesel | Layout::GolangMigrate | Layout::SqlxReversible => {
            "each undo goes into the migration's down file"
        }
        Layout::Dbmate => "each undo goes into the migration file's -- migrate:down section",
        Layout::Flyway if forward => {
            "each undo goes into new versioned migrations after the highest version"
        }
        Layout::Flyway => {
            "each undo goes into a U<version>__<description>.sql file beside the migration \
             (Flyway Teams' undo; --forward: new versioned migrations instead)"
        }
        Layout::SqlxSimple => "each undo goes into new migrations after the newest version",
    }
}

/// The plan's undos written where their tool keeps them (`--down-sql`, or another tool's
/// folder), or, dry, diffed against what is there; and the report of it.
fn write_down_sql(
    args: &GenerateArgs,
    plan: &generate::Plan,
    history: &migrations::History,
    requested: Option<Timestamp>,
) -> anyhow::Result<i32> {
    let placing = generate::down_sql::Placing {
        // A dry run writes nothing, so it shows how any file there would change.
        overwrite: match args.dry_run {
            true => Overwrite::DiscardEdits,
            false => overwrite(args),
        },
        forward: args.forward,
        requested,
        now: Timestamp::now_utc(),
    };
    let files = generate::down_sql::down_files(plan, history, &placing)?;
    let written = match args.dry_run {
        true => Vec::new(),
        false => generate::down_sql::write(&files)?,
    };
    let placed = report::down_files::Placed {
        plan,
        files: &files,
        layout: history.layout,
        written: &written,
        dry_run: args.dry_run,
    };
    let styling = terminal::stdout();
    print_stdout(|out| match args.format {
        GenerateFormat::Json => report::down_files::json(out, &placed),
        GenerateFormat::Human => report::down_files::human(out, &placed, styling),
    })?;
    Ok(if plan.verdict() == Verdict::Manual {
        EXIT_MANUAL
    } else {
        EXIT_OK
    })
}

/// What `--force` and `--discard-edits` allow to be replaced.
fn overwrite(args: &GenerateArgs) -> Overwrite {
    match (args.force, args.discard_edits) {
        (false, _) => Overwrite::Never,
        (true, false) => Overwrite::Unedited,
        (true, true) => Overwrite::DiscardEdits,
    }
}
