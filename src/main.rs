//! The `unmigrate` binary: parses the command line and hands off to [`unmigrate::cli`].

/// Generation allocates and frees many small strings and tree nodes, partly across threads
/// (parse trees are built on one and folded on another); mimalloc halves that cost
/// against glibc's allocator (measured with `just bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(unmigrate::cli::main());
}
