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
    // after 1 ms instead of mimalloc's 1 s: a long migration's parse otherwise stays resident
    // until the end (generate of a 4 MB file: 120 MB at its peak, 85 MB so, for about a tenth
    // more time on that file and nothing measurable on the corpora).
    // SAFETY: sets an integer option that mimalloc reads when it purges; nothing else runs yet.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1) };
    std::process::exit(unmigrate::cli::main());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number is mimalloc's, not ours: `purge_delay` is the only option near it
    /// whose default is 1000 (ms, in mimalloc 3), so a renumbering would show here.
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            panic!("unset MIMALLOC_PURGE_DELAY to run this test: it checks mimalloc's default");
        }
        // SAFETY: reads an integer option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
