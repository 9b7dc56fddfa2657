//! The leader's expiry sweeper: expired keys are deleted through the log, so every replica
//! deletes the same keys at the same point.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use redraft_engine::Op;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::core::Core;
use crate::state_machine::read_replica;

const SWEEP_INTERVAL: Duration = Duration::from_millis(100);
/// Keys deleted per sweep entry; a bigger backlog takes several entries.
const SWEEP_MAX_KEYS: u32 = 1000;

pub async fn run(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|&stop| stop) => return,
        }
        if !core.is_leader() {
            continue;
        }
        let now_ms = core.clock.now();
        // With active expiry off (DEBUG SET-ACTIVE-EXPIRE 0) keys expire when a write meets
        // them; blocked clients still time out, and such a sweep deletes expired keys too.
        let due = {
            let engine = &read_replica(&core.replica).engine;
            match core.active_expire.load(Ordering::Relaxed) {
                true => engine.has_expired_keys(now_ms),
                false => engine.has_timed_out_waiters(now_ms),
            }
        };
        if !due {
            continue;
        }
        let deadline = Instant::now() + core.config.request_timeout;
        let sweep = Op::ExpireSweep {
            max_keys: SWEEP_MAX_KEYS,
        };
        if let Err(e) = core.propose(sweep, deadline).await {
            tracing::debug!(error = ?e, "expiry sweep not applied");
        }
    }
}
