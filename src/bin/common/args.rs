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
