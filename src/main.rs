//! The `unmigrate` binary: parses the command line and hands off to [`unmigrate::cli`].

/// Generation allocates and frees many small strings and tree nodes, partly across threads
/// (parse trees are built on one and folded on another); mimalloc halves that cost
/// against glibc's allocator (measured with `just bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (its number is fixed: retired options keep theirs).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Pages freed by one thread (the fold drops trees the parser built) go back to the system
    // after 1 ms instead of 10: a long migration's parse otherwise stays resident until the
    // end (generate of a 4 MB file: 120 MB at its peak, 85 MB so), at no measured cost.
    // SAFETY: sets an integer option that mimalloc reads when it purges; nothing else runs yet.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1) };
    std::process::exit(unmigrate::cli::main());
}
