//! `unmigrate completions SHELL` and `unmigrate man [COMMAND]`: a shell's completion script and
//! the manual pages, generated from the clap definitions (so they never drift from the flags),
//! printed to standard output for packagers and users to install where their system looks.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{write_stdout, Cli, EXIT_OK};

#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:
  bash:  unmigrate completions bash > ~/.local/share/bash-completion/completions/unmigrate
  zsh:   unmigrate completions zsh > \"${fpath[1]}/_unmigrate\"
  fish:  unmigrate completions fish > ~/.config/fish/completions/unmigrate.fish")]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Read a page without installing it: unmigrate man check | man -l -")]
pub struct ManArgs {
    /// A command's own page (`unmigrate-check(1)`, with all its options) instead of the
    /// overview page (`unmigrate(1)`, which lists the commands).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

pub(super) fn completions(args: &CompletionsArgs) -> anyhow::Result<i32> {
    let mut script = Vec::new();
    // Generated into memory first: clap_complete panics when its writer fails, and a closed
    // pipe must end us quietly, as for every other command (see `write_stdout`).
    clap_complete::generate(args.shell, &mut Cli::command(), "unmigrate", &mut script);
    write_stdout(&script)?;
    Ok(EXIT_OK)
}

pub(super) fn man(args: &ManArgs) -> anyhow::Result<i32> {
    // `help` has no page of its own (its text is every other page).
    let mut cli = Cli::command().disable_help_subcommand(true);
    // Building names each subcommand's page `unmigrate-NAME`, as man pages of git-style tools
    // are named.
    cli.build();
    let page = match &args.command {
        None => cli,
        Some(name) => cli.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
            anyhow::anyhow!(
                "no command {name:?} has a manual page; the commands are: {}",
                names.join(", ")
            )
        })?,
    };
    let mut roff = Vec::new();
    // A subcommand has no version of its own: every page names the release it documents.
    clap_mangen::Man::new(page)
        .source(format!("unmigrate {}", env!("CARGO_PKG_VERSION")))
        .render(&mut roff)?;
    write_stdout(&roff)?;
    Ok(EXIT_OK)
}
