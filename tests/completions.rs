//! `unmigrate completions SHELL` and `unmigrate man [COMMAND]`: the scripts a shell sources and
//! the roff `man` reads, generated from the same clap definitions as the command line.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use clap::CommandFactory;
use common::{manifest_dir, run_in, Run};

/// Every command a user can type, from the definitions themselves (not a list to keep in sync).
fn command_names() -> Vec<String> {
    unmigrate::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect()
}

/// What bash offers after `words` (the last one being completed), with the completion script
/// sourced as a user's shell would.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = run_in(manifest_dir(), &["completions", "bash"]);
    assert_eq!(script.code, 0, "{script}");
    let words_array: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let last = words.len() - 1;
    let program = format!(
        "eval \"$SCRIPT\"\nCOMP_WORDS=({words})\nCOMP_CWORD={last}\n\
         _unmigrate unmigrate '{cur}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = words_array.join(" "),
        cur = words[last],
        prev = words[last - 1],
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .env("SCRIPT", &script.stdout)
        .output()
        .expect("bash runs");
    let run = Run::from_output(output);
    assert_eq!(run.code, 0, "{run}");
    run.stdout.lines().map(str::to_string).collect()
}

#[test]
fn bash_completes_every_command_and_a_commands_flags_and_values() {
    let names = command_names();
    assert!(names.len() >= 8, "{names:?}");
    let offered = bash_completes(&["unmigrate", ""]);
    for name in &names {
        assert!(offered.contains(name), "{name} not offered: {offered:?}");
    }
    assert_eq!(bash_completes(&["unmigrate", "ch"]), ["check"]);
    assert!(bash_completes(&["unmigrate", "check", "--"]).contains(&"--base".to_string()));
    assert_eq!(
        bash_completes(&["unmigrate", "check", "--format", ""]),
        ["human", "json", "markdown", "junit"]
    );
}

#[test]
fn every_shell_gets_its_own_script_and_an_unknown_shell_is_a_usage_error() {
    for (shell, marker) in [
        ("bash", "complete -F _unmigrate"),
        ("zsh", "#compdef unmigrate"),
        ("fish", "complete -c unmigrate"),
        ("elvish", "edit:completion:arg-completer[unmigrate]"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'unmigrate'",
        ),
    ] {
        let run = run_in(manifest_dir(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {run}");
        assert!(run.stdout.contains(marker), "{shell}: {run}");
        assert!(run.stdout.contains("drill"), "{shell}: {run}");
    }
    let run = run_in(manifest_dir(), &["completions", "tcsh"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("possible values: bash"), "{run}");
}

/// The first line of a page that is not clap_mangen's preamble (the `\(aq` string definitions
/// groff needs before anything else).
fn title_line(roff: &str) -> &str {
    roff.lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
        .unwrap()
}

#[test]
fn the_man_page_is_roff_listing_every_command_each_with_a_page_of_its_own() {
    let run = run_in(manifest_dir(), &["man"]);
    assert_eq!(run.code, 0, "{run}");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        title_line(&run.stdout),
        format!(".TH unmigrate 1  \"unmigrate {version}\" ")
    );
    assert!(run.stdout.contains("\n.SH NAME\nunmigrate \\- "), "{run}");
    assert!(run.stdout.contains("\n.SH SUBCOMMANDS\n"), "{run}");
    for name in command_names().iter().filter(|n| *n != "help") {
        assert!(
            run.stdout.contains(&format!("unmigrate\\-{name}(1)")),
            "{name}: {run}"
        );
        let page = run_in(manifest_dir(), &["man", name]);
        assert_eq!(page.code, 0, "{name}: {page}");
        assert!(
            title_line(&page.stdout).starts_with(&format!(".TH unmigrate-{name} 1 ")),
            "{name}: {page}"
        );
    }
    // A command's page documents its options.
    let check = run_in(manifest_dir(), &["man", "check"]);
    assert!(check.stdout.contains("\\-\\-base"), "{check}");

    let run = run_in(manifest_dir(), &["man", "chek"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("no command \"chek\" has a manual page; the commands are: generate, drill"),
        "{run}"
    );
}
