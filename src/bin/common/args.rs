//! The command line of the bench binaries: what they share.

/// The arguments after the program's name, as `parse` reads them; `None` for a command line
/// it refuses, once the reason and the usage are printed to stderr as `program: reason`
/// (the caller exits 2).
pub fn parse_or_usage<T>(
    program: &str,
    usage: &str,
    parse: impl FnOnce(std::iter::Skip<std::env::Args>) -> Result<T, String>,
) -> Option<T> {
    match parse(std::env::args().skip(1)) {
        Ok(parsed) => Some(parsed),
        Err(message) => {
            eprintln!("{program}: {message}\n{usage}");
            None
        }
    }
}

/// One argument of a bench's command line, as [`next_arg`] reads it.
pub enum Arg {
    /// An option: `--name VALUE`, `--name=VALUE`, or a flag without a value.
    Option { name: String, value: Option<String> },
    /// A folder to measure.
    Dir(std::path::PathBuf),
}

/// The next argument; the options named in `with_value` take one (the next argument, or what
/// follows `=`). An option not named there is a flag; the caller refuses those it does not know.
/// `--help` or `-h` prints `usage` and exits 0.
pub fn next_arg(
    args: &mut impl Iterator<Item = String>,
    with_value: &[&str],
    usage: &str,
) -> Option<Result<Arg, String>> {
    let arg = args.next()?;
    if arg == "-h" || arg == "--help" {
        println!("{usage}");
        std::process::exit(0);
    }
    if !arg.starts_with('-') {
        return Some(Ok(Arg::Dir(arg.into())));
    }
    let (name, inline) = match arg.split_once('=') {
        Some((name, value)) => (name.to_string(), Some(value.to_string())),
        None => (arg, None),
    };
    if !with_value.contains(&name.as_str()) {
        return Some(Ok(Arg::Option { name, value: None }));
    }
    let value = match inline.or_else(|| args.next()) {
        Some(value) => value,
        None => return Some(Err(format!("{name} needs a value"))),
    };
    Some(Ok(Arg::Option {
        name,
        value: Some(value),
    }))
}
