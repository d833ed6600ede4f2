//! `unmigrate explain`: what each statement does to a live system, without a database.

use std::path::PathBuf;

use anyhow::Context as _;

use super::{migrations_dir, print_stdout, project_config, terminal, EXIT_HAZARDS, EXIT_OK};
use crate::explain;
use crate::migrations::ApplyMode;
use crate::report;
use crate::report::explain::ExplainFormat;

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// What to explain, in this order, each once: a migration.sql (or any .sql file), a
    /// migration folder, a migrations folder (every migration in it), a migration name (as
    /// for generate --migration) in --dir, or `-` for SQL on standard input [default: --dir].
    #[arg(value_name = "TARGET")]
    pub targets: Vec<PathBuf>,
    /// The migrations folder in which a migration name is looked up, and which is explained
    /// when no target is given [default: `migrations` in unmigrate.toml, else
    /// prisma/migrations].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Explain the last N forward migrations of --dir (or of the one migrations folder
    /// named), in the order prisma migrate deploy applies them.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub last: Option<usize>,
    /// How the runner sends each file: whole, in one implicit transaction (Prisma ≤ 7.3), or
    /// statement by statement (Prisma ≥ 7.4). Transaction rules depend on it [default:
    /// `apply_mode` in unmigrate.toml, else batch].
    #[arg(long, value_enum)]
    pub apply_mode: Option<ApplyMode>,
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
    /// Exit with 1 when a hazard of this rule id is found; `all` for any hazard. Repeatable,
    /// or comma-separated. Without it, `[explain] fail_on` in unmigrate.toml; without both,
    /// hazards are reported and the exit code is 0.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub fail_on: Vec<String>,
    /// Read folders as this tool's [default: `layout` in unmigrate.toml, else detected from
    /// each folder].
    #[arg(long, value_enum)]
    pub layout: Option<crate::migrations::Layout>,
    /// The configuration file [default: unmigrate.toml in this folder or one above it]: its
    /// `apply_mode`, `[explain] fail_on` and `ignore` (rules never reported), `docs_url`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub(super) fn run(args: &ExplainArgs) -> anyhow::Result<i32> {
    let config = project_config(args.config.as_deref())?;
    let fail_on = match args.fail_on.is_empty() {
        true => config.explain_fail_on.clone(),
        false => fail_on_rules(&args.fail_on)?,
    };
    let apply_mode = args.apply_mode.or(config.apply_mode).unwrap_or_default();
    let dir = migrations_dir(args.dir.as_deref(), &config);
    let mut stdin = std::io::stdin().lock();
    let layout = args.layout.or(config.layout);
    let targets = explain::Target::resolve_all(&args.targets, &dir, args.last, layout, &mut stdin)
        .map_err(|e| match e {
            explain::ExplainError::LastConflict { .. } => usage_conflict(&e),
            e => e.into(),
        })?;
    // Another tool's history is said to be read as one, with how its files are sent.
    for target in &targets {
        if let Some(history) = target.history() {
            if history.layout != crate::migrations::Layout::Prisma {
                eprintln!(
                    "note: {} read as a {} history: each file explained as {} sends it",
                    history.dir.display(),
                    history.layout,
                    history.layout
                );
            }
        }
    }
    let styling = terminal::report(args.format == ExplainFormat::Human, None);
    let other_tool = targets
        .iter()
        .filter_map(|t| t.history())
        .map(|h| h.layout)
        .find(|l| *l != crate::migrations::Layout::Prisma);
    let mut writer = report::explain::Writer::new(args.format, apply_mode)
        .context("cannot create a temporary file for the report")?
        .with_styling(styling)
        .sent_by(other_tool);
    let mut sink = Spooled {
        writer: &mut writer,
        ignore: &config.ignore,
    };
    for target in &targets {
        explain::explain_each(target, apply_mode, &mut sink)?;
    }
    let summary = print_stdout(|out| writer.finish(out))?;
    let failing = failing(&summary.counts, &fail_on);
    if !fail_on.is_empty() {
        // On stderr: with --format json, standard output stays one JSON document.
        eprintln!("{}", fail_on_line(&failing, &fail_on));
    }
    Ok(if failing.is_empty() {
        EXIT_OK
    } else {
        EXIT_HAZARDS
    })
}

/// The rules named by `--fail-on` that found hazards, with how many, in registry order.
fn failing(
    counts: &[(explain::Rule, usize)],
    fail_on: &[explain::Rule],
) -> Vec<(explain::Rule, usize)> {
    counts
        .iter()
        .filter(|(rule, n)| *n > 0 && fail_on.contains(rule))
        .copied()
        .collect()
}

/// The line `--fail-on` ends with: which of its rules failed and how often, or that none
/// found a hazard, e.g. `explain: failing on drop-column (2 hazards), missing-lock-timeout (1
/// hazard)`.
fn fail_on_line(failing: &[(explain::Rule, usize)], fail_on: &[explain::Rule]) -> String {
    if failing.is_empty() {
        let named = if explain::Rule::ALL.iter().all(|r| fail_on.contains(r)) {
            "any rule (--fail-on all)".to_string()
        } else {
            let mut ids: Vec<&str> = Vec::new();
            for rule in fail_on {
                if !ids.contains(&rule.id()) {
                    ids.push(rule.id());
                }
            }
            ids.join(", ")
        };
        return format!("explain: no hazard of {named}");
    }
    let rules: Vec<String> = failing
        .iter()
        .map(|(rule, n)| {
            let hazards = if *n == 1 { "hazard" } else { "hazards" };
            format!("{} ({n} {hazards})", rule.id())
        })
        .collect();
    format!("explain: failing on {}", rules.join(", "))
}

/// Targets that cannot go together, reported as clap reports its own conflicts: with the
/// usage of `explain`, exit code 2.
fn usage_conflict(error: &explain::ExplainError) -> anyhow::Error {
    let mut cli = <super::Cli as clap::CommandFactory>::command();
    cli.build();
    let message = error.to_string();
    let error = match cli.find_subcommand_mut("explain") {
        Some(explain) => explain.error(clap::error::ErrorKind::ArgumentConflict, message),
        None => cli.error(clap::error::ErrorKind::ArgumentConflict, message),
    };
    anyhow::Error::new(error)
}

/// The report's writer as the explain's [`explain::Sink`], its errors in the CLI's words;
/// hazards of the rules unmigrate.toml ignores are dropped here, before any format sees them.
struct Spooled<'a> {
    writer: &'a mut report::explain::Writer,
    ignore: &'a [explain::Rule],
}

const SPOOL_FAILED: &str = "cannot write the report to its temporary file";

impl explain::Sink for Spooled<'_> {
    type Error = anyhow::Error;

    fn start(&mut self, m: &explain::MigrationStart<'_>) -> anyhow::Result<()> {
        self.writer.start(m).context(SPOOL_FAILED)
    }

    fn statement(&mut self, mut s: explain::StatementExplained) -> anyhow::Result<()> {
        s.hazards.retain(|h| !self.ignore.contains(&h.rule));
        self.writer.statement(&s).context(SPOOL_FAILED)
    }

    fn end(&mut self, verdict: crate::undo::Verdict) -> anyhow::Result<()> {
        self.writer.end(verdict).context(SPOOL_FAILED)
    }
}

/// The rules named by `--fail-on` (`all` for every rule); an unknown id is a usage error.
fn fail_on_rules(names: &[String]) -> anyhow::Result<Vec<explain::Rule>> {
    let mut rules = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if name == "all" {
            rules.extend_from_slice(explain::Rule::ALL);
            continue;
        }
        match explain::Rule::from_id(name) {
            Some(rule) => rules.push(rule),
            None => anyhow::bail!(
                "--fail-on {}; `all` names every rule",
                explain::Rule::unknown_id(name)
            ),
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(ids: &[&str]) -> Vec<explain::Rule> {
        fail_on_rules(&ids.iter().map(|id| id.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn the_fail_on_line_names_the_rules_that_failed_with_their_counts() {
        let fail_on = rules(&["drop-column", "missing-lock-timeout", "drop-table"]);
        let mut counts: Vec<(explain::Rule, usize)> =
            explain::Rule::ALL.iter().map(|&r| (r, 0)).collect();
        let line = fail_on_line(&failing(&counts, &fail_on), &fail_on);
        assert_eq!(
            line,
            "explain: no hazard of drop-column, missing-lock-timeout, drop-table"
        );
        for (rule, n) in &mut counts {
            *n = match rule.id() {
                "drop-column" => 2,
                "missing-lock-timeout" => 1,
                "rename-column" => 5,
                _ => 0,
            };
        }
        let failed = failing(&counts, &fail_on);
        let line = fail_on_line(&failed, &fail_on);
        assert!(
            line.starts_with("explain: failing on ")
                && line.contains("drop-column (2 hazards)")
                && line.contains("missing-lock-timeout (1 hazard)")
                && !line.contains("rename-column")
                && !line.contains("drop-table"),
            "{line}"
        );
        let all = rules(&["all", "drop-column"]);
        assert_eq!(
            fail_on_line(&[], &all),
            "explain: no hazard of any rule (--fail-on all)"
        );
        assert!(fail_on_line(&failing(&counts, &all), &all).contains("rename-column (5 hazards)"));
    }
}
