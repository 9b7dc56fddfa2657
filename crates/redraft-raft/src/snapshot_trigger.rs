//! Snapshots by size: openraft snapshots every N entries, but one batched entry can carry
//! thousands of commands, so the log (from the last purge on, counted as its records on disk)
//! is also bounded in bytes. When it grows past `snapshot_log_bytes`, this task asks for a
//! snapshot; the log is purged behind it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::core::Core;

const CHECK_INTERVAL: Duration = Duration::from_millis(200);
/// A snapshot in progress has not purged yet: do not ask again before this.
const MIN_TRIGGER_SPACING: Duration = Duration::from_secs(2);

pub async fn run(core: Arc<Core>, log_bytes: Arc<AtomicU64>, mut stop: watch::Receiver<bool>) {
    let limit = core.config.snapshot_log_bytes;
    let mut ticks = tokio::time::interval(CHECK_INTERVAL);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_trigger: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|&stop| stop) => return,
        }
        let bytes = log_bytes.load(Ordering::Acquire);
        let recently = last_trigger.is_some_and(|at| at.elapsed() < MIN_TRIGGER_SPACING);
        if bytes <= limit || recently {
            continue;
        }
        tracing::info!(
            bytes,
            limit,
            "log past its bound in bytes: taking a snapshot"
        );
        last_trigger = Some(Instant::now());
        if let Err(error) = core.raft.trigger().snapshot().await {
            tracing::warn!(%error, "snapshot trigger refused");
        }
    }
}
