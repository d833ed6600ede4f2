//! The `unmigrate` binary: parses the command line and hands off to [`unmigrate::cli`].

fn main() {
    std::process::exit(unmigrate::cli::main());
}
