//! When the allocator (mimalloc, set in `main.rs`) hands freed memory back to the OS.
//!
//! mimalloc v3 keeps freed memory for a second before handing it back. That suits most of
//! kaudit: a scan frees parsed manifests while it needs as much memory again, and the
//! audit-log reader recycles its buffers (handing them back at once made it 30-50% slower).
//! Reading a cluster is the exception: thousands of pages of JSON are parsed, typed and
//! freed while the typed objects pile up. With the delay at 0 during the read, a
//! 10,000-pod read peaks at 279-297 MB instead of 299-312 MB, and `kaudit scan` of that
//! cluster at 266-281 MB instead of 284-306 MB (`cargo bench --bench live`, target
//! < 300 MB); the read takes 0.9-1.04 s instead of 0.65 s (target < 3 s).

// The C library behind the functions below comes with the `mimalloc` crate.
use mimalloc as _;
use std::ffi::c_long;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_t`, mimalloc v3).
const PURGE_DELAY: i32 = 15;

unsafe extern "C" {
    fn mi_option_set(option: i32, value: c_long);
    fn mi_option_get(option: i32) -> c_long;
}

/// mimalloc's current purge delay in milliseconds (-1: never, 0: at once).
pub fn purge_delay() -> c_long {
    // SAFETY: mi_option_get only reads one of mimalloc's option values; mimalloc is linked
    // into every kaudit binary (a dependency of this crate).
    unsafe { mi_option_get(PURGE_DELAY) }
}

fn set_purge_delay(milliseconds: c_long) {
    // SAFETY: mi_option_set only stores one of mimalloc's option values.
    unsafe { mi_option_set(PURGE_DELAY, milliseconds) }
}

/// How many `purging_at_once` sections run, and the delay to restore when none does (reads
/// can overlap: the TUI re-reads while another read runs).
static SECTIONS: std::sync::Mutex<(usize, c_long)> = std::sync::Mutex::new((0, 0));

/// Runs `work` with freed memory handed back to the OS at once, then restores the delay
/// (also when `work` panics).
pub fn purging_at_once<T>(work: impl FnOnce() -> T) -> T {
    struct Section;
    impl Drop for Section {
        fn drop(&mut self) {
            if let Ok(mut sections) = SECTIONS.lock() {
                sections.0 = sections.0.saturating_sub(1);
                if sections.0 == 0 {
                    set_purge_delay(sections.1);
                }
            }
        }
    }
    if let Ok(mut sections) = SECTIONS.lock() {
        if sections.0 == 0 {
            sections.1 = purge_delay();
            set_purge_delay(0);
        }
        sections.0 += 1;
    }
    let _section = Section;
    work()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_option_set_is_the_purge_delay() {
        // mimalloc v3's default purge delay is 1000 ms (unless the environment says
        // otherwise): reading it there pins PURGE_DELAY to the right option.
        let before = super::purge_delay();
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(before, 1000);
        }
        let inside = super::purging_at_once(super::purge_delay);
        assert_eq!(inside, 0);
        assert_eq!(super::purge_delay(), before, "restored afterwards");
        // Overlapping sections restore the delay when the last one ends.
        let nested = super::purging_at_once(|| {
            super::purging_at_once(|| ());
            super::purge_delay()
        });
        assert_eq!(nested, 0);
        assert_eq!(super::purge_delay(), before);
    }
}
