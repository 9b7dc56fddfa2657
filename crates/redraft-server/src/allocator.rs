//! What the allocator can tell about the node's memory, and asking it to return unused pages:
//! MEMORY STATS, MALLOC-STATS and PURGE. The server allocates with jemalloc (main.rs), built
//! with its statistics; without jemalloc (MSVC builds) there is nothing to ask, and the
//! functions say so.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// jemalloc's byte counters, refreshed at the time of the call.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AllocatorStats {
    /// Bytes handed out to the program.
    pub allocated: u64,
    /// Bytes in the pages that hold allocations (allocated plus their pages' free room).
    pub active: u64,
    /// Bytes of the allocator's pages that are resident in memory.
    pub resident: u64,
}

/// The allocated bytes when the node started serving (see [`note_startup`]).
static STARTUP_ALLOCATED: AtomicU64 = AtomicU64::new(0);
/// The highest allocated bytes any call of [`stats`] saw: jemalloc keeps no peak, so this is
/// the peak of what this node looked at (MEMORY STATS, DOCTOR, INFO).
static PEAK_ALLOCATED: AtomicU64 = AtomicU64::new(0);

/// Notes the allocated bytes once the node is up, as Redis's startup.allocated.
pub fn note_startup() {
    if let Some(now) = stats() {
        STARTUP_ALLOCATED.store(now.allocated, Relaxed);
    }
}

pub fn startup_allocated() -> u64 {
    STARTUP_ALLOCATED.load(Relaxed)
}

pub fn peak_allocated() -> u64 {
    PEAK_ALLOCATED.load(Relaxed)
}

/// The allocator's counters now; None when the allocator keeps none.
pub fn stats() -> Option<AllocatorStats> {
    let stats = imp::stats()?;
    PEAK_ALLOCATED.fetch_max(stats.allocated, Relaxed);
    Some(stats)
}

/// The allocator's own report (jemalloc's malloc_stats_print), or a sentence saying there is
/// none.
pub fn report() -> String {
    imp::report()
}

/// Asks the allocator to return the unused pages of every arena to the system; whether it
/// could.
pub fn purge() -> bool {
    imp::purge()
}

#[cfg(not(target_env = "msvc"))]
mod imp {
    use super::AllocatorStats;
    use std::ffi::{c_char, c_void, CStr};
    use tikv_jemalloc_sys::{mallctl, malloc_stats_print};

    /// Reads one size_t counter by name (a NUL-terminated name).
    fn read_size(name: &CStr) -> Option<u64> {
        let mut value: libc::size_t = 0;
        let mut len = std::mem::size_of::<libc::size_t>();
        // SAFETY: `name` is NUL-terminated; `value` and `len` are a size_t and its size, the
        // shape jemalloc documents for these counters; nothing is written.
        let status = unsafe {
            mallctl(
                name.as_ptr(),
                (&mut value as *mut libc::size_t).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        (status == 0).then_some(value as u64)
    }

    pub fn stats() -> Option<AllocatorStats> {
        // The counters are cached: writing the epoch refreshes them.
        let mut epoch: u64 = 1;
        let mut len = std::mem::size_of::<u64>();
        // SAFETY: "epoch" reads and writes a uint64_t; both pointers are to one, with its size.
        let status = unsafe {
            mallctl(
                c"epoch".as_ptr(),
                (&mut epoch as *mut u64).cast(),
                &mut len,
                (&mut epoch as *mut u64).cast(),
                std::mem::size_of::<u64>(),
            )
        };
        if status != 0 {
            return None;
        }
        Some(AllocatorStats {
            allocated: read_size(c"stats.allocated")?,
            active: read_size(c"stats.active")?,
            resident: read_size(c"stats.resident")?,
        })
    }

    /// Appends one piece of the report to the String behind `out`.
    unsafe extern "C" fn append(out: *mut c_void, text: *const c_char) {
        // SAFETY: `out` is the &mut String that `report` passed, alive for the call;
        // jemalloc hands NUL-terminated text.
        let (out, text) = unsafe { (&mut *out.cast::<String>(), CStr::from_ptr(text)) };
        out.push_str(&text.to_string_lossy());
    }

    pub fn report() -> String {
        let mut out = String::new();
        // SAFETY: `append` matches the callback jemalloc expects and is given a pointer to
        // `out`, which outlives the call; no options (a null pointer) print the whole report.
        unsafe {
            malloc_stats_print(
                Some(append),
                (&mut out as *mut String).cast(),
                std::ptr::null(),
            )
        };
        out
    }

    pub fn purge() -> bool {
        // MALLCTL_ARENAS_ALL (4096): every arena.
        // SAFETY: a void control: no value read or written.
        let status = unsafe {
            mallctl(
                c"arena.4096.purge".as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        status == 0
    }
}

#[cfg(target_env = "msvc")]
mod imp {
    use super::AllocatorStats;

    pub fn stats() -> Option<AllocatorStats> {
        None
    }

    pub fn report() -> String {
        "Stats not supported for the current allocator".to_string()
    }

    pub fn purge() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jemalloc_reports_its_counters_and_its_statistics() {
        // The test binary allocates with the system's allocator: ask jemalloc directly.
        let size = 4 << 20;
        // SAFETY: a plain allocation, freed below.
        let held = unsafe { tikv_jemalloc_sys::malloc(size) };
        assert!(!held.is_null());
        let now = stats().expect("jemalloc keeps statistics");
        assert!(now.allocated >= size as u64, "{now:?}");
        assert!(now.active >= now.allocated && now.resident > 0, "{now:?}");
        assert!(peak_allocated() >= now.allocated);
        assert!(report().contains("jemalloc statistics"));
        assert!(purge());
        // SAFETY: allocated above by the same allocator, freed once.
        unsafe { tikv_jemalloc_sys::free(held) };
    }
}
