//! Watches openraft's metrics for the events an operator follows: a new term (an election), a
//! new leader, a new membership. Each is counted (see [`RaftStats`]) and logged once, on
//! every node, where openraft makes it known. It watches openraft's server metrics, which change
//! with those alone, not the full metrics, which openraft publishes on every turn of its core
//! (a wake-up of this task per write).

use openraft::async_runtime::WatchReceiver;
use std::sync::Arc;

use tokio::sync::watch;

use crate::core::Core;
use crate::stats::RaftStats;
use crate::types::{NodeId, ServerMetrics};

/// What was last seen, to tell a change from a repeat.
#[derive(Default, PartialEq)]
struct Seen {
    term: u64,
    leader: Option<NodeId>,
    /// The log index of the membership config (None: the initial, empty one).
    membership: Option<u64>,
}

impl Seen {
    fn of(metrics: &ServerMetrics) -> Seen {
        Seen {
            term: metrics.vote.leader_id.term,
            leader: metrics.current_leader,
            membership: metrics.membership_config.log_id().map(|l| l.index),
        }
    }
}

pub async fn run(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    let mut metrics = core.raft.server_metrics();
    // What the node starts with (from disk) is no change.
    let mut seen = Seen::of(&metrics.borrow_watched());
    loop {
        tokio::select! {
            changed = metrics.changed() => if changed.is_err() { return },
            _ = stop.wait_for(|&stop| stop) => return,
        }
        let now = Seen::of(&metrics.borrow_and_update());
        if now == seen {
            continue;
        }
        if now.term > seen.term {
            RaftStats::count(&core.stats.elections);
        }
        if let Some(leader) = now.leader {
            if seen.leader != Some(leader) || now.term != seen.term {
                RaftStats::count(&core.stats.leader_changes);
                tracing::info!(
                    term = now.term,
                    leader,
                    this_node = leader == core.id,
                    "leader changed"
                );
            }
        }
        if now.membership != seen.membership {
            let metrics = metrics.borrow_watched();
            let membership = metrics.membership_config.membership();
            let voters: Vec<NodeId> = membership.voter_ids().collect();
            let learners: Vec<NodeId> = membership.learner_ids().collect();
            tracing::info!(
                index = now.membership,
                ?voters,
                ?learners,
                "membership changed"
            );
        }
        seen = now;
    }
}
