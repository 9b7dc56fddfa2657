//! The leader's lease keeper: ends lock leases (LOCK.ACQUIRE) through the log.
//!
//! A lease's time is measured on the leader's monotonic clock, from the moment this leader
//! first saw the lease as it stands (granted or last renewed at a given log index): a
//! wall-clock jump cannot shorten it, and a new leader starts every lease it inherits afresh
//! from the start of its own term, as etcd's lessor refreshes leases on a leader change. The
//! leader sees a lease only once its grant was applied, after the holder sent the request, so a
//! lease never ends before its ttl has passed since the holder asked (under bounded clock-rate
//! drift; docs/locks.md). When the ttl has passed, the leader proposes `lock-expire name token
//! lease`, which ends the lease only if it still stands as that lease number (no renewal
//! came in between).

use openraft::async_runtime::WatchReceiver;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use redraft_engine::{Op, Run, LOCK_EXPIRE_COMMAND};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::core::Core;
use crate::state_machine::read_replica;

const CHECK_EVERY: Duration = Duration::from_millis(50);

/// A lease as it stands: lock name, token, the number of its last grant or renewal.
type LeaseId = (Vec<u8>, u64, u64);

pub async fn run(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(CHECK_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut keeper = Keeper::default();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|&stop| stop) => return,
        }
        let term = core
            .is_leader()
            .then(|| core.raft.metrics().borrow_watched().current_term);
        let leases = match term {
            Some(_) => read_replica(&core.replica).engine.leases(),
            None => Vec::new(),
        };
        let expired = keeper.check(term, leases, Instant::now());
        if expired.is_empty() {
            continue;
        }
        let cmds = expired.into_iter().map(expire_command).collect();
        let op = Op::Batch {
            runs: vec![Run { db: 0, cmds }],
        };
        let deadline = Instant::now() + core.config.request_timeout;
        if let Err(e) = core.propose(op, deadline).await {
            tracing::debug!(error = ?e, "lease expiry not applied");
        }
    }
}

fn expire_command((name, token, since): LeaseId) -> Vec<Vec<u8>> {
    vec![
        LOCK_EXPIRE_COMMAND.as_bytes().to_vec(),
        name,
        token.to_string().into_bytes(),
        since.to_string().into_bytes(),
    ]
}

/// When this leader first saw each lease as it stands.
#[derive(Default)]
struct Keeper {
    term: Option<u64>,
    first_seen: HashMap<LeaseId, Instant>,
}

impl Keeper {
    /// The leases whose ttl has passed since this leader first saw them; none unless this
    /// node leads (`term`). A new term forgets every timing: inherited leases start afresh.
    fn check(
        &mut self,
        term: Option<u64>,
        leases: Vec<(Vec<u8>, u64, u64, u64)>,
        now: Instant,
    ) -> Vec<LeaseId> {
        if term != self.term {
            self.term = term;
            self.first_seen.clear();
        }
        if term.is_none() {
            return Vec::new();
        }
        let mut live = HashSet::new();
        let mut expired = Vec::new();
        for (name, token, since, ttl_ms) in leases {
            let id = (name, token, since);
            let first = *self.first_seen.entry(id.clone()).or_insert(now);
            if now.duration_since(first) >= Duration::from_millis(ttl_ms) {
                expired.push(id.clone());
            }
            live.insert(id);
        }
        self.first_seen.retain(|id, _| live.contains(id));
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(token: u64, since: u64, ttl_ms: u64) -> (Vec<u8>, u64, u64, u64) {
        (b"job".to_vec(), token, since, ttl_ms)
    }

    #[test]
    fn a_lease_ends_a_ttl_after_this_leader_first_saw_it_as_it_stands() {
        let mut keeper = Keeper::default();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert!(keeper
            .check(Some(1), vec![lease(1, 10, 3000)], t0)
            .is_empty());
        assert!(keeper
            .check(Some(1), vec![lease(1, 10, 3000)], t0 + s(2))
            .is_empty());
        // Renewed at index 12: timed afresh.
        assert!(keeper
            .check(Some(1), vec![lease(1, 12, 3000)], t0 + s(2))
            .is_empty());
        assert!(keeper
            .check(Some(1), vec![lease(1, 12, 3000)], t0 + s(4))
            .is_empty());
        let expired = keeper.check(Some(1), vec![lease(1, 12, 3000)], t0 + s(5));
        assert_eq!(expired, [(b"job".to_vec(), 1, 12)]);
    }

    #[test]
    fn a_new_term_or_a_lost_leadership_restarts_every_lease() {
        let mut keeper = Keeper::default();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        keeper.check(Some(1), vec![lease(1, 10, 3000)], t0);
        // This node led term 1, then another node led; now it leads term 3.
        assert!(keeper
            .check(None, vec![lease(1, 10, 3000)], t0 + s(10))
            .is_empty());
        assert!(keeper
            .check(Some(3), vec![lease(1, 10, 3000)], t0 + s(11))
            .is_empty());
        assert!(keeper
            .check(Some(3), vec![lease(1, 10, 3000)], t0 + s(13))
            .is_empty());
        assert_eq!(
            keeper
                .check(Some(3), vec![lease(1, 10, 3000)], t0 + s(14))
                .len(),
            1
        );
    }
}
