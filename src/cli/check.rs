//! `unmigrate check`: its flags, the run, and its report in the format asked for, with what a
//! GitHub Actions job also wants (the step summary, one annotation per finding).

use std::io::Write as _;
use std::path::PathBuf;

use clap::ValueEnum;

use super::{
    check_output_folder, migrations_dir, project_config, terminal, write_report, write_stdout,
    EXIT_FINDINGS, EXIT_OK,
};
use crate::check::{self, render, CheckPlan, Since};
use crate::drill::apply::Timeouts;
use crate::drill::{script, UndoChoice};
use crate::migrations::{ApplyMode, Layout};
use crate::snapshot::Tracking;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The migrations folder, of Prisma or another tool (see --layout) [default: `migrations`
    /// in unmigrate.toml, else prisma/migrations].
    pub migrations_dir: Option<PathBuf>,
    /// Check the migrations whose folders the merge base of this git ref and HEAD lacks
    /// [default: origin/$GITHUB_BASE_REF on GitHub Actions, else origin's default branch].
    #[arg(long, value_name = "GIT_REF", conflicts_with = "since")]
    pub base: Option<String>,
    /// Check every forward migration after this one (named as for generate --migration).
    #[arg(long, value_name = "NAME")]
    pub since: Option<String>,
    /// Read the folder as this tool's [default: `layout` in unmigrate.toml, else detected].
    #[arg(long, value_enum)]
    pub layout: Option<Layout>,
    /// The configuration file [default: unmigrate.toml in this folder or one above it].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not drill the new migrations' undos (also `drill = false` under [check] in
    /// unmigrate.toml).
    #[arg(long)]
    pub no_drill: bool,
    /// Drill on this server instead of an embedded PostgreSQL (only a database the drill
    /// creates is touched).
    #[arg(long, value_name = "URL", conflicts_with = "shadow_database_url")]
    pub database_url: Option<String>,
    /// Drill in a disposable database, as `drill --shadow-database-url` [env:
    /// SHADOW_DATABASE_URL, also read from Prisma's .env files].
    #[arg(long, value_name = "URL")]
    pub shadow_database_url: Option<String>,
    /// How each migration.sql is sent, as in `drill` [default: batch].
    #[arg(long, value_enum)]
    pub apply_mode: Option<ApplyMode>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: CheckFormat,
    /// Write the report here instead of to standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Where the embedded server's binaries are (as for `drill`).
    #[arg(long, value_name = "DIR")]
    pub pg_bin: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    Markdown,
    Junit,
}

pub(super) fn run(args: &CheckArgs) -> anyhow::Result<i32> {
    if let Some(path) = &args.output {
        check_output_folder(path)?;
    }
    let config = project_config(args.config.as_deref())?;
    let dir = migrations_dir(args.migrations_dir.as_deref(), &config);
    let layout = args.layout.or(config.layout);
    let (history, _) = crate::migrations::layouts::read(&dir, layout)?;
    let since = Since::from_flags(args.base.as_deref(), args.since.as_deref(), &dir)?;
    let drill = if args.no_drill || config.drill == Some(false) {
        None
    } else {
        Some(script::plan(script::Flags {
            target: dir.clone(),
            database_url: args.database_url.clone(),
            shadow_database_url: args.shadow_database_url.clone(),
            allow_server_changes: false,
            apply_mode: args.apply_mode,
            scope: None,
            layout: Some(history.layout),
            undo_dir: None,
            undo: UndoChoice::Committed,
            timeouts: Timeouts::default(),
            seed: None,
            time_zone: None,
            tracking: Tracking::Incremental,
            trace: false,
            probe: false,
            jobs: None,
            pg_bin: args.pg_bin.clone(),
            defaults: config.drill_defaults.clone(),
            default_apply_mode: config.apply_mode,
        })?)
    };
    let report = check::run(CheckPlan {
        history: &history,
        since,
        config: &config,
        apply_mode: args.apply_mode.or(config.apply_mode).unwrap_or_default(),
        drill,
    })?;
    let text = match args.format {
        CheckFormat::Human => {
            render::human(&report, terminal::report(true, args.output.as_deref()))
        }
        CheckFormat::Json => render::json(&report),
        CheckFormat::Markdown => render::markdown(&report),
        CheckFormat::Junit => render::junit(&report),
    };
    let on_github = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    // Annotations go to standard output, where the runner reads them; not into a JSON or
    // XML document printed there.
    let annotate = on_github && (args.format == CheckFormat::Human || args.output.is_some());
    if annotate {
        write_stdout(render::github_annotations(&report).as_bytes())?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&summary)
            .map_err(|e| anyhow::anyhow!("cannot write $GITHUB_STEP_SUMMARY: {e}"))?;
        file.write_all(render::markdown(&report).as_bytes())?;
    }
    write_report(args.output.as_deref(), &text)?;
    Ok(if report.passed() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
