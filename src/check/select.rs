//! Which forward migrations a pull request adds: those after a named one (`--since`), or those
//! whose folder the merge base with a git ref (`--base`) does not have.

use std::path::Path;
use std::process::Command;

use super::CheckError;
use crate::migrations::{History, Migration};

/// Where the new migrations start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// Every forward migration after this one (named as `drill --from` names them).
    Migration(String),
    /// Every forward migration whose folder the merge base of this ref and `HEAD` lacks.
    GitBase(String),
}

impl Since {
    /// What `--since NAME` or `--base GIT_REF` say, else the default base of [`default_base`].
    pub fn from_flags(
        base: Option<&str>,
        since: Option<&str>,
        dir: &Path,
    ) -> Result<Since, CheckError> {
        match (since, base) {
            (Some(name), _) => Ok(Since::Migration(name.to_string())),
            (None, Some(base)) => Ok(Since::GitBase(base.to_string())),
            (None, None) => default_base(dir).map(Since::GitBase).ok_or_else(|| {
                CheckError::Git(
                    "no base to compare with: give --base GIT_REF (e.g. origin/main) or --since \
                     NAME"
                        .to_string(),
                )
            }),
        }
    }
}

/// The new forward migrations, in history order, and what they are new since, in words.
pub fn new_migrations<'h>(
    history: &'h History,
    since: &Since,
) -> Result<(Vec<&'h Migration>, String), CheckError> {
    let forward = history.forward();
    match since {
        Since::Migration(name) => {
            let index = history.resolve_forward(name)?;
            let after = &forward[index].name;
            Ok((forward[index + 1..].to_vec(), format!("after {after}")))
        }
        Since::GitBase(git_ref) => {
            let base = git(&history.dir, &["merge-base", git_ref, "HEAD"])?;
            let base = base.trim();
            let listed = git(&history.dir, &["ls-tree", "--name-only", base])?;
            let old: std::collections::HashSet<&str> = listed.lines().collect();
            // What git lists is the folder's entries: a migration's folder (Prisma, diesel) or
            // its file (the other tools).
            let entry = |m: &Migration| {
                m.sql_path
                    .strip_prefix(&history.dir)
                    .ok()
                    .and_then(|p| p.components().next())
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .unwrap_or_else(|| m.name.clone())
            };
            let new = forward
                .into_iter()
                .filter(|m| !old.contains(entry(m).as_str()))
                .collect();
            let short = base.get(..12).unwrap_or(base);
            Ok((
                new,
                format!("the merge base of {git_ref} and HEAD ({short})"),
            ))
        }
    }
}

/// The ref to compare with when none is given: the pull request's base branch on GitHub
/// Actions (`GITHUB_BASE_REF`), else the remote's default branch, if git knows one.
pub fn default_base(dir: &Path) -> Option<String> {
    if let Some(base) = std::env::var("GITHUB_BASE_REF")
        .ok()
        .filter(|b| !b.is_empty())
    {
        return Some(format!("origin/{base}"));
    }
    let head = git(
        dir,
        &["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"],
    )
    .ok()?;
    head.trim()
        .strip_prefix("refs/remotes/")
        .map(str::to_string)
}

/// Runs git in `dir` and returns its output, or its error as the user should read it.
fn git(dir: &Path, args: &[&str]) -> Result<String, CheckError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| {
            CheckError::Git(format!("cannot run git ({e}); install it, or use --since"))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(CheckError::Git(format!(
            "git {} failed in {}: {}; in a shallow CI checkout fetch the base branch (GitHub's \
             actions/checkout: fetch-depth: 0), or name the first new migration's predecessor \
             with --since NAME",
            args.join(" "),
            dir.display(),
            stderr.trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
