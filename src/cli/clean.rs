//! `unmigrate clean`: removes what killed runs left behind, and says what it removed.

use std::io::Write;

use super::{write_stdout, EXIT_OK};
use crate::scratch::{self, ScratchOptions, ScratchSource};

#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// Also drop leftover scratch databases on this server [env: SHADOW_DATABASE_URL; never
    /// DATABASE_URL, usually the application's own].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

pub(super) fn run(args: &CleanArgs) -> anyhow::Result<i32> {
    let url = match ScratchSource::resolve(args.database_url.clone(), ScratchOptions::default()) {
        ScratchSource::Url(url) => Some(url),
        ScratchSource::Embedded(_) => None,
    };
    let sweep = scratch::clean(url.as_deref())?;
    let mut out = Vec::new();
    for removed in &sweep.removed {
        writeln!(out, "removed {removed}")?;
    }
    for kept in &sweep.kept {
        writeln!(out, "kept {kept}")?;
    }
    writeln!(
        out,
        "{} removed, {} kept",
        sweep.removed.len(),
        sweep.kept.len()
    )?;
    write_stdout(&out)?;
    Ok(EXIT_OK)
}
