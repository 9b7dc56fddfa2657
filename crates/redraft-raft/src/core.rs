//! The state a node's client paths share, and the leader-side operations that both local
//! clients and forwarded requests run.

use openraft::async_runtime::WatchReceiver;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use openraft::error::{ClientWriteError, Fatal, RaftError};
use openraft::raft::ClientWriteResult;
use openraft::ServerState;
use redraft_engine::{Argv, LogCommand, Op, Reply, Run};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::NodeConfig;
use crate::error::ClusterError;
pub use crate::error::{fatal_error, LeaderError};
use crate::peers::Peers;
use crate::read_index::ReadBatcher;
use crate::read_link::ReadLink;
use crate::routing::{self, Attempt, Unforwarded};
use crate::shared_rounds::SharedRounds;
use crate::state_machine::SharedReplica;
use crate::stats::RaftStats;
use crate::types::{Metrics, NodeId, Raft, TypeConfig, WriteCallback};
use crate::write_batch::{deliver, Outcome, WriteBatcher};

/// Committed-but-unapplied entries beyond which new writes are refused (etcd's rule): the
/// apply loop must not fall unboundedly behind.
pub const MAX_APPLY_LAG: u64 = 10_000;

pub struct Core {
    pub id: NodeId,
    pub config: NodeConfig,
    pub raft: Raft,
    pub replica: SharedReplica,
    /// The last applied log index, published by the state machine after each batch.
    pub applied: watch::Receiver<u64>,
    /// What applied entries produce for this node's clients, until the server takes the
    /// stream.
    pub outputs: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<crate::Output>>>,
    /// Set while this node's clients track keys (see `RaftNode::track_modified_keys`).
    pub track_keys: Arc<std::sync::atomic::AtomicBool>,
    /// The ACL users as last applied (see `RaftNode::access`).
    pub access: Arc<std::sync::RwLock<redraft_engine::Access>>,
    /// The last committed log index, as saved by the log store.
    pub committed: Arc<AtomicU64>,
    pub stats: Arc<RaftStats>,
    pub clock: Clock,
    pub reads: Arc<ReadBatcher>,
    pub peers: Arc<Peers>,
    pub writes: WriteBatcher,
    /// A follower's clients' runs waiting to be forwarded to the leader together.
    pub forwards: WriteBatcher<Unforwarded>,
    /// A follower's read barriers in flight: concurrent ones share a request to the leader.
    pub read_rounds: Arc<SharedRounds<(u64, u64)>>,
    /// A follower's stream of read-index requests to the leader.
    pub read_link: ReadLink,
    pub stopping: AtomicBool,
    /// Set while this leader hands its leadership over: it proposes nothing and confirms no
    /// reads, so that the successor's log is complete and no heartbeat renews the followers'
    /// leases. Clients retry meanwhile (their requests see "not leader").
    pub transferring: Arc<AtomicBool>,
    /// Set once this node learns that it was removed from the membership (persisted in
    /// `<dir>/raft/removed`): it then serves no client.
    pub removed: AtomicBool,
    /// Whether this node, while it leads, sweeps expired keys (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire: AtomicBool,
}

/// How a wait on the Raft metrics ended without finding what it waited for.
pub enum WaitEnd {
    /// Raft stopped.
    Stopped,
    TimedOut,
}

impl Core {
    pub fn is_removed(&self) -> bool {
        self.removed.load(Ordering::Acquire)
    }

    /// Refuses every request once this node is stopping or was removed.
    pub fn check_serving(&self) -> Result<(), ClusterError> {
        if self.stopping.load(Ordering::Acquire) {
            return Err(ClusterError::ShuttingDown);
        }
        if self.is_removed() {
            return Err(ClusterError::Removed);
        }
        Ok(())
    }

    /// [`Core::check_serving`] for proposals and read indexes, which also go elsewhere while
    /// this node hands its leadership over.
    fn check_may_lead(&self) -> Result<(), LeaderError> {
        self.check_serving().map_err(LeaderError::Failed)?;
        if self.transferring.load(Ordering::Acquire) {
            return Err(LeaderError::NotLeader(None));
        }
        Ok(())
    }

    /// Stamps `op` with the leader's time, appends it and waits for its replies.
    pub async fn propose(&self, op: Op, deadline: Instant) -> Result<Vec<Reply>, LeaderError> {
        self.may_propose()?;
        let command = LogCommand {
            now_ms: self.clock.stamp(),
            op,
        };
        let outcome = tokio::time::timeout_at(deadline, self.raft.client_write(command)).await;
        match outcome {
            Ok(Ok(response)) => Ok(response.data.replies),
            Ok(Err(RaftError::APIError(e))) => Err(write_error(e)),
            // The entry may have been appended and replicated before the node stopped.
            Ok(Err(RaftError::Fatal(Fatal::Stopped))) => Err(LeaderError::Failed(
                ClusterError::Unknown("node stopped while the write was in flight".into()),
            )),
            Ok(Err(RaftError::Fatal(fatal))) => Err(LeaderError::Failed(fatal_error(&fatal))),
            Err(_) => Err(LeaderError::Failed(ClusterError::Unknown(
                "write not applied within the request timeout; it may still be".into(),
            ))),
        }
    }

    fn check_apply_lag(&self) -> Result<(), ClusterError> {
        let committed = self.committed.load(Ordering::Acquire);
        let applied = *self.applied.borrow();
        let lag = committed.saturating_sub(applied);
        if lag > MAX_APPLY_LAG {
            return Err(ClusterError::Unknown(format!(
                "apply lags commit by {lag} entries; write refused, retry later"
            )));
        }
        Ok(())
    }

    /// On the leader: a confirmed read index and the leader's time for the read.
    pub async fn leader_read_index(&self) -> Result<(u64, u64), LeaderError> {
        self.check_may_lead()?;
        let index = self.reads.read_index().await?;
        Ok((index, self.clock.now()))
    }

    /// The current leader and its Raft address, if known.
    pub fn leader(&self) -> Option<(NodeId, String)> {
        self.leader_in(&self.raft.metrics().borrow_watched())
    }

    fn leader_in(&self, metrics: &Metrics) -> Option<(NodeId, String)> {
        let leader = metrics.current_leader?;
        let node = metrics.membership_config.membership().get_node(&leader)?;
        Some((
            leader,
            self.config.peer_addr(leader, &node.addr).to_string(),
        ))
    }

    pub fn is_leader(&self) -> bool {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow_watched();
        metrics.state == ServerState::Leader && metrics.current_leader == Some(self.id)
    }

    /// Waits (until `deadline`) for a leader to be known.
    pub async fn wait_leader(&self, deadline: Instant) -> Result<(NodeId, String), ClusterError> {
        let found = self.wait_metrics(deadline, |metrics| match self.check_serving() {
            Ok(()) => self.leader_in(metrics).map(Ok),
            Err(e) => Some(Err(e)),
        });
        match found.await {
            Ok(leader) => leader,
            Err(WaitEnd::Stopped) => Err(ClusterError::ShuttingDown),
            Err(WaitEnd::TimedOut) => Err(ClusterError::NoLeader(
                "no leader elected within the request timeout".into(),
            )),
        }
    }

    /// Waits (until `deadline`) until `found` finds what it looks for in the Raft metrics,
    /// looking again at every change.
    pub async fn wait_metrics<T>(
        &self,
        deadline: Instant,
        mut found: impl FnMut(&Metrics) -> Option<T>,
    ) -> Result<T, WaitEnd> {
        let mut watch = self.raft.metrics();
        loop {
            let value = found(&watch.borrow_watched());
            if let Some(value) = value {
                return Ok(value);
            }
            match tokio::time::timeout_at(deadline, watch.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => return Err(WaitEnd::Stopped),
                Err(_) => return Err(WaitEnd::TimedOut),
            }
        }
    }

    /// Waits (until `deadline`) for this replica to apply up to `index`.
    pub async fn wait_applied(&self, index: u64, deadline: Instant) -> Result<(), ClusterError> {
        let mut applied = self.applied.clone();
        let reached = tokio::time::timeout_at(deadline, applied.wait_for(|&a| a >= index))
            .await
            .map(|r| r.map(|_| ()));
        match reached {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(ClusterError::ShuttingDown),
            Err(_) => Err(ClusterError::Unknown(format!(
                "replica did not apply up to the read index {index} in time"
            ))),
        }
    }
}

/// A run's answer from a group proposal or a grouped forward, by `deadline`. A lost answer is
/// never "nothing applied": its entry may have been appended before Raft stopped or dropped
/// its callback, or its forward may have reached the leader.
async fn awaited_answer<E: From<ClusterError>>(
    deadline: Instant,
    answer: oneshot::Receiver<Outcome<E>>,
) -> Outcome<E> {
    match tokio::time::timeout_at(deadline, answer).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Err(E::from(ClusterError::Unknown(
            "the write's answer was lost (Raft stopped?); it may have been applied".into(),
        ))),
        Err(_) => Err(E::from(ClusterError::Unknown(
            "write not applied within the request timeout; it may still be".into(),
        ))),
    }
}

/// What a refused or abandoned proposal tells its clients.
fn write_error(error: ClientWriteError<TypeConfig>) -> LeaderError {
    match error {
        ClientWriteError::ForwardToLeader(f) => LeaderError::NotLeader(f.leader_id),
        // Appended, then cut from the log by a new leader: it may have committed or may still
        // commit through that leader.
        ClientWriteError::LogEntryDiscarded(f) => {
            LeaderError::Failed(ClusterError::Unknown(format!(
            "leadership changed while the write was in flight (now node {:?}); it may still apply",
            f.leader_id
        )))
        }
        e => LeaderError::Failed(ClusterError::Fatal(e.to_string())),
    }
}

impl Core {
    /// Appends write commands for database `db` through the leader's group proposal and waits
    /// (until `deadline`) for their replies.
    pub async fn propose_commands(
        self: &Arc<Self>,
        db: u32,
        cmds: Vec<Argv>,
        deadline: Instant,
    ) -> Result<Vec<Reply>, LeaderError> {
        let (tx, rx) = oneshot::channel();
        let start = self
            .writes
            .enqueue(Run { db, cmds }, tx)
            .map_err(LeaderError::Failed)?;
        if start {
            tokio::spawn(self.clone().drive_writes());
        }
        awaited_answer(deadline, rx).await
    }

    /// Proposes batches while runs are waiting, one proposal in flight at a time (the next
    /// batch gathers what arrives meanwhile). Each batch's clients are answered by the
    /// batch's [`WriteCallback`] where its entry is applied, not by this task.
    async fn drive_writes(self: Arc<Self>) {
        while let Some(batch) = self.writes.next_batch() {
            let (runs, replies): (Vec<Run>, Vec<_>) =
                batch.into_iter().map(|w| (w.run, w.reply)).unzip();
            let counts: Vec<usize> = runs.iter().map(|run| run.cmds.len()).collect();
            let deadline = Instant::now() + self.config.request_timeout;
            if let Err(refused) = self.may_propose() {
                deliver(Err(refused), &counts, replies);
                continue;
            }
            let (done, answered) = oneshot::channel();
            let answer = WriteCallback::new(move |result: ClientWriteResult<TypeConfig>| {
                let outcome = result.map(|r| r.data.replies).map_err(write_error);
                deliver(outcome, &counts, replies);
                let _ = done.send(());
            });
            let command = LogCommand {
                now_ms: self.clock.stamp(),
                op: Op::Batch { runs },
            };
            // On failure openraft drops the callback unanswered: the clients then hear that
            // the outcome is unknown (`propose_commands`).
            if self
                .raft
                .client_write_ff(command, Some(answer))
                .await
                .is_ok()
            {
                let _ = tokio::time::timeout_at(deadline, answered).await;
            }
        }
    }

    /// On a follower: forwards write commands for database `db` to the leader together with
    /// the runs of this node's other clients (one forward in flight at a time; the next carries
    /// what arrived meanwhile) and waits (until `deadline`) for their replies.
    pub async fn forward_commands(
        self: &Arc<Self>,
        db: u32,
        cmds: Vec<Argv>,
        deadline: Instant,
    ) -> Outcome<Unforwarded> {
        let (tx, rx) = oneshot::channel();
        let start = self.forwards.enqueue(Run { db, cmds }, tx)?;
        if start {
            tokio::spawn(self.clone().drive_forwards());
        }
        awaited_answer(deadline, rx).await
    }

    /// Forwards batches while runs are waiting, one forward in flight at a time.
    async fn drive_forwards(self: Arc<Self>) {
        while let Some(batch) = self.forwards.next_batch() {
            let (runs, replies): (Vec<Run>, Vec<_>) =
                batch.into_iter().map(|w| (w.run, w.reply)).unzip();
            let counts: Vec<usize> = runs.iter().map(|run| run.cmds.len()).collect();
            let deadline = Instant::now() + self.config.request_timeout;
            let attempt = match self.leader() {
                Some((leader, addr)) if leader != self.id => {
                    routing::forward_runs(&self, &addr, runs, deadline).await
                }
                _ => Attempt::Retry("no other node is known to lead".into()),
            };
            deliver(attempt.into_forward_outcome(), &counts, replies);
        }
    }

    /// Whether this node may propose now (the checks of [`Core::propose`]).
    fn may_propose(&self) -> Result<(), LeaderError> {
        self.check_may_lead()?;
        self.check_apply_lag().map_err(LeaderError::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_unknown(outcome: &Outcome) -> bool {
        matches!(outcome, Err(LeaderError::Failed(ClusterError::Unknown(_))))
    }

    #[tokio::test]
    async fn an_answer_dropped_unsent_or_late_is_an_unknown_outcome() {
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        let (dropped, answer) = oneshot::channel();
        drop(dropped);
        assert!(is_unknown(&awaited_answer(deadline, answer).await));
        let (_kept, answer) = oneshot::channel();
        assert!(is_unknown(&awaited_answer(Instant::now(), answer).await));
        let (sent, answer) = oneshot::channel::<Outcome>();
        sent.send(Ok(vec![Reply::Integer(1)])).unwrap();
        assert_eq!(
            awaited_answer(deadline, answer).await.unwrap(),
            vec![Reply::Integer(1)]
        );
    }
}
