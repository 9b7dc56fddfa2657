//! Batched ReadIndex on the leader: concurrent readers share quorum rounds, and a leader
//! lease spares most reads a round at all.
//!
//! Single flight: at most one round runs at a time. A reader that arrives while a round is in
//! flight waits for the next one, because the running round may have confirmed leadership
//! before the reader arrived, and a read index must be fixed after the read began.
//!
//! The lease: a round that started at `t` and succeeded proves that a quorum acknowledged this
//! leader after `t`. Each of those members stands for election only once it has heard nothing
//! from a leader for an election timeout, and openraft's voters refuse other candidates for at
//! least as long, so no other node can lead before `t + election_timeout_min`, and any quorum
//! that elects one overlaps the one that acknowledged. Until `t + lease` (the timeout less a
//! margin for timer lateness; measured on the monotonic clock, which a paused process does not
//! stop), while the node still leads in the same term, a read needs no round: its index is
//! the largest of the round's, what this leader has applied (every write acknowledged so far:
//! only this node could acknowledge one) and the greatest commit index it has told a follower
//! (what any replica may have applied and shown a reader: a follower can apply an entry
//! before the leader's own apply gets to it). docs/architecture.md has the argument at length;
//! the fault suite (pauses, partitions, clock skew) checks it.

use openraft::async_runtime::WatchReceiver;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::error::{LinearizableReadError, RaftError};
use openraft::ReadPolicy;
use tokio::sync::oneshot;

use crate::error::ClusterError;
use crate::error::{fatal_error, LeaderError};
use crate::types::Raft;

/// Readers allowed to wait for one round; more are refused rather than queued without bound.
const MAX_WAITERS: usize = 100_000;

type RoundResult = Result<u64, LeaderError>;

/// One quorum round (a seam: tests count rounds with a fake).
type Round = Box<dyn Fn() -> Pin<Box<dyn Future<Output = RoundResult> + Send>> + Send + Sync>;

/// Whether this node leads, and in which term with what applied (a seam: tests fake it).
type Leadership = Box<dyn Fn() -> Option<LeaderView> + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaderView {
    term: u64,
    /// The least index a read under the lease must see: everything any replica may already
    /// have shown a reader (see the module comment).
    floor: u64,
}

pub struct ReadBatcher {
    round: Round,
    leadership: Leadership,
    /// How long after a successful round's start reads need no round (zero: never).
    lease_length: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    round_running: bool,
    /// Readers for the next round.
    waiters: Vec<oneshot::Sender<RoundResult>>,
    lease: Option<Lease>,
    /// Rounds that began before this time give no lease (see `forget_lease`).
    no_lease_before: Option<Instant>,
}

/// What the last successful round proved: no other leader before `until`.
#[derive(Clone, Copy, Debug)]
struct Lease {
    until: Instant,
    term: u64,
    index: u64,
}

impl ReadBatcher {
    /// Rounds ask `raft` to confirm its leadership, each bounded by `round_timeout`; a round's
    /// success lets reads go without one for `lease_length` after it began.
    ///
    /// No lease is used or taken while `transferring`: a transfer has every member stop
    /// honouring the leader's lease and its target stand at once, not after an election
    /// timeout, which the lease's argument relies on; the transfer then forgets the lease it
    /// had (`forget_lease`).
    ///
    /// `applied` is the state machine's applied index, published as each batch is applied and
    /// so before any of its writes is acknowledged (openraft's metrics report it later: a read
    /// index taken from them could miss a write its client already saw acknowledged).
    /// `commit_told` is the greatest commit index this node has sent a follower, raised before
    /// the message leaves (network.rs): no follower can have applied past it.
    pub fn new(
        raft: Raft,
        round_timeout: Duration,
        lease_length: Duration,
        transferring: Arc<AtomicBool>,
        applied: tokio::sync::watch::Receiver<u64>,
        commit_told: Arc<AtomicU64>,
    ) -> Arc<ReadBatcher> {
        let round_raft = raft.clone();
        let round: Round = Box::new(move || {
            let raft = round_raft.clone();
            Box::pin(async move { leadership_round(&raft, round_timeout).await })
        });
        let leadership: Leadership = Box::new(move || {
            let transferring = transferring.load(Ordering::Acquire);
            let floor = lease_floor(&applied, &commit_told);
            leader_view(&raft, floor).filter(|_| !transferring)
        });
        ReadBatcher::with_seams(round, leadership, lease_length)
    }

    fn with_seams(round: Round, leadership: Leadership, lease_length: Duration) -> Arc<Self> {
        Arc::new(ReadBatcher {
            round,
            leadership,
            lease_length,
            state: Mutex::new(State::default()),
        })
    }

    /// A read index no older than this call: from the lease while it holds, else confirmed by
    /// a quorum round that started after this call.
    pub async fn read_index(self: &Arc<Self>) -> RoundResult {
        if let Some(index) = self.leased_index() {
            return Ok(index);
        }
        let (tx, rx) = oneshot::channel();
        let start_driver = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.waiters.len() >= MAX_WAITERS {
                return Err(LeaderError::Failed(ClusterError::Unknown(
                    "too many reads waiting for a read index".into(),
                )));
            }
            state.waiters.push(tx);
            !mem::replace(&mut state.round_running, true)
        };
        if start_driver {
            tokio::spawn(self.clone().drive(false));
        }
        rx.await
            .unwrap_or(Err(LeaderError::Failed(ClusterError::ShuttingDown)))
    }

    /// The read index the lease gives now, if it holds; starts a round to renew it once half
    /// of it has passed, so that steady reads rarely wait for one.
    fn leased_index(self: &Arc<Self>) -> Option<u64> {
        let lease = self.lock().lease?;
        let now = Instant::now();
        if now >= lease.until {
            return None;
        }
        // Checked after the time: the lease proves no other leader, this says we still lead.
        let view = (self.leadership)()?;
        if view.term != lease.term {
            return None;
        }
        if lease.until - now < self.lease_length / 2 {
            let start_driver = !mem::replace(&mut self.lock().round_running, true);
            if start_driver {
                tokio::spawn(self.clone().drive(true));
            }
        }
        Some(lease.index.max(view.floor))
    }

    /// Drops the lease, and refuses one from any round that began before now. A leadership
    /// transfer tells every member to stop honouring this leader's lease (so that its target
    /// can be elected at once): what a round proved before then no longer rules out another
    /// leader, even if this node still leads when the transfer has failed.
    pub fn forget_lease(&self) {
        let mut state = self.lock();
        state.lease = None;
        state.no_lease_before = Some(Instant::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs rounds while readers are waiting (at least one round: a renewal has none), each
    /// round for the readers gathered before it.
    async fn drive(self: Arc<Self>, renewal: bool) {
        let mut renewing = renewal;
        loop {
            let waiters = {
                let mut state = self.lock();
                if state.waiters.is_empty() && !mem::take(&mut renewing) {
                    state.round_running = false;
                    return;
                }
                mem::take(&mut state.waiters)
            };
            renewing = false;
            let started = Instant::now();
            let before = (self.leadership)();
            let result = (self.round)().await;
            self.extend_lease(started, before, &result);
            for waiter in waiters {
                // A reader that gave up (timed out) has dropped its receiver.
                let _ = waiter.send(result.clone());
            }
        }
    }
}

impl ReadBatcher {
    /// A round that began at `started`, while this node led in `before`'s term, and succeeded
    /// with the node still leading in that term, gives a lease from `started`.
    fn extend_lease(&self, started: Instant, before: Option<LeaderView>, result: &RoundResult) {
        let (Ok(index), Some(before)) = (result, before) else {
            return;
        };
        let still = (self.leadership)();
        if self.lease_length.is_zero() || still.map(|v| v.term) != Some(before.term) {
            return;
        }
        let lease = Lease {
            until: started + self.lease_length,
            term: before.term,
            index: *index,
        };
        let mut state = self.lock();
        if state.no_lease_before.is_some_and(|t| started < t) {
            return;
        }
        if state
            .lease
            .is_none_or(|old| old.until < lease.until || old.term != lease.term)
        {
            state.lease = Some(lease);
        }
    }
}

/// What a read under the lease must see at least: this leader's applied index, or a greater
/// commit index it told a follower, which that follower may have applied and shown a reader.
fn lease_floor(applied: &tokio::sync::watch::Receiver<u64>, commit_told: &AtomicU64) -> u64 {
    (*applied.borrow()).max(commit_told.load(Ordering::Acquire))
}

/// This node's leadership as openraft's metrics show it, with the read `floor`: None unless
/// it leads.
fn leader_view(raft: &Raft, floor: u64) -> Option<LeaderView> {
    let metrics = raft.metrics();
    let metrics = metrics.borrow_watched();
    if metrics.state != openraft::ServerState::Leader {
        return None;
    }
    Some(LeaderView {
        term: metrics.current_term,
        floor,
    })
}

/// One quorum round. openraft's read log id is at least the leader's own-term blank entry, so a
/// new leader's reads wait for that entry to apply.
async fn leadership_round(raft: &Raft, round_timeout: Duration) -> RoundResult {
    let outcome =
        tokio::time::timeout(round_timeout, raft.get_read_log_id(ReadPolicy::ReadIndex)).await;
    match outcome {
        Ok(Ok((read_log_id, _))) => Ok(read_log_id.index()),
        Ok(Err(RaftError::APIError(LinearizableReadError::ForwardToLeader(f)))) => {
            Err(LeaderError::NotLeader(f.leader_id))
        }
        Ok(Err(RaftError::APIError(LinearizableReadError::QuorumNotEnough(e)))) => {
            Err(LeaderError::Failed(ClusterError::NoLeader(format!(
                "leadership not confirmed: {e}"
            ))))
        }
        Ok(Err(RaftError::Fatal(fatal))) => Err(LeaderError::Failed(fatal_error(&fatal))),
        Err(_) => Err(LeaderError::Failed(ClusterError::NoLeader(
            "leadership not confirmed in time".into(),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// A fake round that takes 50 ms and answers with its own sequence number.
    fn counting_batcher() -> (Arc<ReadBatcher>, Arc<AtomicU64>) {
        let rounds = Arc::new(AtomicU64::new(0));
        let counter = rounds.clone();
        let round: Round = Box::new(move || {
            let number = counter.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(number)
            })
        });
        let leading: Leadership = Box::new(|| Some(LeaderView { term: 1, floor: 0 }));
        // Without a lease: every read needs a round.
        let batcher = ReadBatcher::with_seams(round, leading, Duration::ZERO);
        (batcher, rounds)
    }

    #[tokio::test]
    async fn readers_arriving_mid_round_share_the_next_round() {
        let (batcher, rounds) = counting_batcher();
        let first = tokio::spawn({
            let batcher = batcher.clone();
            async move { batcher.read_index().await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let late: Vec<_> = (0..50)
            .map(|_| {
                let batcher = batcher.clone();
                tokio::spawn(async move { batcher.read_index().await })
            })
            .collect();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        for reader in late {
            // Never the round that was already running when they arrived.
            assert_eq!(reader.await.unwrap().unwrap(), 2);
        }
        assert_eq!(rounds.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_lone_reader_after_an_idle_spell_starts_a_fresh_round() {
        let (batcher, rounds) = counting_batcher();
        assert_eq!(batcher.read_index().await.unwrap(), 1);
        assert_eq!(batcher.read_index().await.unwrap(), 2);
        assert_eq!(rounds.load(Ordering::SeqCst), 2);
    }

    /// A batcher with a lease, whose leadership the test sets.
    fn leased_batcher(
        lease: Duration,
    ) -> (
        Arc<ReadBatcher>,
        Arc<AtomicU64>,
        Arc<Mutex<Option<LeaderView>>>,
    ) {
        let rounds = Arc::new(AtomicU64::new(0));
        let counter = rounds.clone();
        let round: Round = Box::new(move || {
            let number = counter.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move { Ok(number * 10) })
        });
        let view = Arc::new(Mutex::new(Some(LeaderView { term: 1, floor: 5 })));
        let seen = view.clone();
        let leadership: Leadership = Box::new(move || *seen.lock().unwrap());
        let batcher = ReadBatcher::with_seams(round, leadership, lease);
        (batcher, rounds, view)
    }

    #[tokio::test]
    async fn within_the_lease_reads_need_no_round_and_see_what_was_applied() {
        let (batcher, rounds, view) = leased_batcher(Duration::from_secs(60));
        assert_eq!(batcher.read_index().await.unwrap(), 10);
        assert_eq!(batcher.read_index().await.unwrap(), 10);
        *view.lock().unwrap() = Some(LeaderView { term: 1, floor: 42 });
        assert_eq!(batcher.read_index().await.unwrap(), 42);
        assert_eq!(rounds.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_new_term_or_lost_leadership_ends_the_lease() {
        let (batcher, rounds, view) = leased_batcher(Duration::from_secs(60));
        assert_eq!(batcher.read_index().await.unwrap(), 10);
        *view.lock().unwrap() = Some(LeaderView { term: 2, floor: 5 });
        assert_eq!(batcher.read_index().await.unwrap(), 20);
        *view.lock().unwrap() = None;
        assert_eq!(batcher.read_index().await.unwrap(), 30);
        // A round while not leading gives no lease.
        assert_eq!(batcher.read_index().await.unwrap(), 40);
        assert_eq!(rounds.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn an_expired_lease_takes_a_round_and_a_half_spent_one_is_renewed_behind_the_read() {
        let (batcher, rounds, _) = leased_batcher(Duration::from_millis(200));
        assert_eq!(batcher.read_index().await.unwrap(), 10);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(batcher.read_index().await.unwrap(), 20);
        tokio::time::sleep(Duration::from_millis(130)).await;
        // Served from the lease at once; a renewal runs behind it.
        assert_eq!(batcher.read_index().await.unwrap(), 20);
        let deadline = Instant::now() + Duration::from_secs(5);
        while rounds.load(Ordering::SeqCst) < 3 {
            assert!(Instant::now() < deadline, "the lease was not renewed");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Past the first lease's end, within the renewed one.
        assert_eq!(batcher.read_index().await.unwrap(), 30);
        assert_eq!(rounds.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_forgotten_lease_and_rounds_begun_before_it_give_none() {
        let (batcher, rounds, _) = leased_batcher(Duration::from_secs(60));
        assert_eq!(batcher.read_index().await.unwrap(), 10);
        let started_before = Instant::now();
        batcher.forget_lease();
        // A round that began before the transfer ended proves nothing now.
        batcher.extend_lease(started_before, (batcher.leadership)(), &Ok(99));
        assert_eq!(batcher.read_index().await.unwrap(), 20);
        // A round begun after it gives a lease again.
        assert_eq!(batcher.read_index().await.unwrap(), 20);
        assert_eq!(rounds.load(Ordering::SeqCst), 2);
    }

    /// The network raises what lease reads take into their index, through the one counter the
    /// node hands both.
    #[test]
    fn lease_reads_see_what_a_follower_was_told_is_committed() {
        let (applied_tx, applied) = tokio::sync::watch::channel(5);
        let commit_told = AtomicU64::new(0);
        assert_eq!(lease_floor(&applied, &commit_told), 5);
        // An AppendEntries telling a follower that entry 9 committed leaves: the follower may
        // apply it, and show it to a reader, before this leader's own apply (at 5) gets there.
        crate::network::note_outgoing_append(9, &AtomicU64::new(0), &commit_told);
        assert_eq!(lease_floor(&applied, &commit_told), 9);
        applied_tx.send_replace(12);
        assert_eq!(lease_floor(&applied, &commit_told), 12);
    }
}
