//! Read-only scripts running on this node, so that SCRIPT KILL can stop them. A script that
//! writes runs inside the state machine on every replica and cannot be stopped from one node:
//! its instruction and memory budgets bound it instead (docs/architecture.md, Scripts).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
pub struct RunningScripts {
    next_id: AtomicU64,
    running: Mutex<BTreeMap<u64, Arc<AtomicBool>>>,
}

/// One running script's kill switch; it is forgotten when this is dropped.
pub struct RunningScript<'a> {
    scripts: &'a RunningScripts,
    id: u64,
    pub kill: Arc<AtomicBool>,
}

impl RunningScripts {
    /// Registers a script about to run.
    pub fn start(&self) -> RunningScript<'_> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let kill = Arc::new(AtomicBool::new(false));
        self.lock().insert(id, kill.clone());
        RunningScript {
            scripts: self,
            id,
            kill,
        }
    }

    /// Stops every read-only script running now; false when there is none.
    pub fn kill_all(&self) -> bool {
        let running = self.lock();
        for kill in running.values() {
            kill.store(true, Ordering::Relaxed);
        }
        !running.is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<AtomicBool>>> {
        // A panic elsewhere cannot leave the map half-changed: every change is one call.
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for RunningScript<'_> {
    fn drop(&mut self) {
        self.scripts.lock().remove(&self.id);
    }
}
