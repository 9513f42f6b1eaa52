//! The process's memory allocator: mimalloc, tuned per command.
//!
//! Mining makes and frees millions of small strings on every core; mimalloc does that with
//! less work than glibc's malloc. On 50,000 generated dialogues (`docs/mining.md` §9) the
//! release `peilian mine` takes about 19 % less wall time and 18 % less CPU time with it than
//! with the system allocator (median of three alternating pairs; every pair favoured
//! mimalloc), and runs 7.9 % fewer instructions on 20,000 dialogues (22.0 against 23.9
//! billion), for a peak of 281 MiB against 250 MiB. It is built without transparent huge
//! pages (`no_thp`): with them a process keeps whole 2 MiB pages for a few live bytes, which
//! cost the app 60 MB.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` (milliseconds before freed memory goes back to the
/// system; 1000 by default). The bindings (`libmimalloc-sys` 0.1.49, `extended`) do not name it,
/// so it is given by number and `tests` checks the number.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// For the desktop app, which runs for hours at a steady size: give freed memory back to
/// the system at once, so that the memory a screen used is not kept after it is left.
#[cfg_attr(not(feature = "gui"), allow(dead_code))]
pub fn tune_for_long_running_app() {
    // SAFETY: `mi_option_set` only stores a number that mimalloc reads when it next purges.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_we_set() {
        // SAFETY: reading an option.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // 1000 ms unless the environment sets it (mimalloc reads `MIMALLOC_PURGE_DELAY`).
        let expected = std::env::var("MIMALLOC_PURGE_DELAY").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
        assert_eq!(default, expected, "option {MI_OPTION_PURGE_DELAY} is not mimalloc v3's purge delay");
        tune_for_long_running_app();
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, 0);
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, default) };
    }

    #[test]
    fn allocations_go_through_mimalloc() {
        let b = Box::new([0u8; 64]);
        // SAFETY: asks whether a pointer is in mimalloc's heap; the box is alive.
        assert!(unsafe { libmimalloc_sys::mi_is_in_heap_region(b.as_ptr().cast()) });
    }
}
