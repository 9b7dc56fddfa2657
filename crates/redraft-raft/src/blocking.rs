//! Work that may take long on a runtime thread (a script within its budget).

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `work` without holding up the other tasks of a multi-threaded runtime's worker (Raft's
/// heartbeats, other clients); on a single-threaded runtime (tests) it just runs.
pub fn long_running<T>(work: impl FnOnce() -> T) -> T {
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}
