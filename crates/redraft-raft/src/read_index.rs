//! Batched ReadIndex on the leader: concurrent readers share quorum rounds.
//!
//! Single flight: at most one round runs at a time. A reader that arrives while a round is in
//! flight waits for the next one, because the running round may have confirmed leadership
//! before the reader arrived, and a read index must be fixed after the read began.

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::error::{CheckIsLeaderError, RaftError};
use tokio::sync::oneshot;

use crate::error::ClusterError;
use crate::error::{fatal_error, LeaderError};
use crate::types::Raft;

/// Readers allowed to wait for one round; more are refused rather than queued without bound.
const MAX_WAITERS: usize = 100_000;

type RoundResult = Result<u64, LeaderError>;

/// One quorum round (a seam: tests count rounds with a fake).
type Round = Box<dyn Fn() -> Pin<Box<dyn Future<Output = RoundResult> + Send>> + Send + Sync>;

pub struct ReadBatcher {
    round: Round,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    round_running: bool,
    /// Readers for the next round.
    waiters: Vec<oneshot::Sender<RoundResult>>,
}

impl ReadBatcher {
    /// Rounds ask `raft` to confirm its leadership, each bounded by `round_timeout`.
    pub fn new(raft: Raft, round_timeout: Duration) -> Arc<ReadBatcher> {
        ReadBatcher::with_round(Box::new(move || {
            let raft = raft.clone();
            Box::pin(async move { leadership_round(&raft, round_timeout).await })
        }))
    }

    fn with_round(round: Round) -> Arc<ReadBatcher> {
        Arc::new(ReadBatcher {
            round,
            state: Mutex::new(State::default()),
        })
    }

    /// A read index confirmed by a quorum round that started after this call.
    pub async fn read_index(self: &Arc<Self>) -> RoundResult {
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
            tokio::spawn(self.clone().drive());
        }
        rx.await
            .unwrap_or(Err(LeaderError::Failed(ClusterError::ShuttingDown)))
    }

    /// Runs rounds while readers are waiting, each round for the readers gathered before it.
    async fn drive(self: Arc<Self>) {
        loop {
            let waiters = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if state.waiters.is_empty() {
                    state.round_running = false;
                    return;
                }
                mem::take(&mut state.waiters)
            };
            let result = (self.round)().await;
            for waiter in waiters {
                // A reader that gave up (timed out) has dropped its receiver.
                let _ = waiter.send(result.clone());
            }
        }
    }
}

/// One quorum round. openraft's read log id is at least the leader's own-term blank entry, so a
/// new leader's reads wait for that entry to apply.
async fn leadership_round(raft: &Raft, round_timeout: Duration) -> RoundResult {
    let outcome = tokio::time::timeout(round_timeout, raft.get_read_log_id()).await;
    match outcome {
        Ok(Ok((read_log_id, _))) => Ok(read_log_id.map_or(0, |l| l.index)),
        Ok(Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f)))) => {
            Err(LeaderError::NotLeader(f.leader_id))
        }
        Ok(Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(e)))) => {
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
        let batcher = ReadBatcher::with_round(Box::new(move || {
            let number = counter.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(number)
            })
        }));
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
}
