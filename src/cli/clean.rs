//! `unmigrate clean`: removes what killed runs left behind, and says what it removed.

use std::io::Write;
use std::path::Path;

use super::{write_stdout, EXIT_OK};
use crate::scratch::{self, GivenUrl, Origin, ScratchOptions, ScratchSource};

#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// Also drop leftover scratch databases on this server [env: SHADOW_DATABASE_URL; never
    /// DATABASE_URL, usually the application's own].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

pub(super) fn run(args: &CleanArgs) -> anyhow::Result<i32> {
    let given = args.database_url.clone().map(|text| GivenUrl {
        text,
        origin: Origin::Server("--database-url".into()),
    });
    let schema_dir = Path::new("prisma");
    let url = match ScratchSource::resolve(given, ScratchOptions::default(), Some(schema_dir))? {
        ScratchSource::Url(url) => Some(url),
        ScratchSource::Embedded(_) => None,
    };
    let sweep = scratch::clean(url.as_ref())?;
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
