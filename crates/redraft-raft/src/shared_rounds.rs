//! Single flight for a follower's read barriers: reads that arrive while a ReadIndex request to
//! the leader is in flight wait and share the next one, so fifty concurrent readers on a
//! follower cost the leader one request per round trip instead of fifty.
//!
//! A reader never shares a request that was sent before it arrived: the leader fixes a read
//! index when it receives the request, and that index must be fixed after the read began.

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::error::ClusterError;

/// Readers allowed to wait for one round; more are refused rather than queued without bound.
const MAX_WAITERS: usize = 100_000;

pub type BoxRound<T> = Pin<Box<dyn Future<Output = Result<T, ClusterError>> + Send>>;

pub struct SharedRounds<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    round_running: bool,
    waiters: Vec<oneshot::Sender<Result<T, ClusterError>>>,
}

impl<T: Clone + Send + 'static> SharedRounds<T> {
    pub fn new() -> Arc<SharedRounds<T>> {
        Arc::new(SharedRounds {
            state: Mutex::new(State {
                round_running: false,
                waiters: Vec::new(),
            }),
        })
    }

    /// The outcome of a `round` that starts after this call, shared with the readers that
    /// wait for the same one. The rounds run in a task of their own, so a reader that goes
    /// away (its client left) strands nobody.
    pub async fn join<F>(self: &Arc<Self>, round: F) -> Result<T, ClusterError>
    where
        F: Fn() -> BoxRound<T> + Send + Sync + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let start_driver = {
            let mut state = self.lock();
            if state.waiters.len() >= MAX_WAITERS {
                return Err(ClusterError::Unknown(
                    "too many reads waiting for a read index".into(),
                ));
            }
            state.waiters.push(tx);
            !mem::replace(&mut state.round_running, true)
        };
        if start_driver {
            tokio::spawn(self.clone().drive(round));
        }
        rx.await.unwrap_or(Err(ClusterError::ShuttingDown))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs rounds while readers wait, each for the readers gathered before it began.
    async fn drive(self: Arc<Self>, round: impl Fn() -> BoxRound<T>) {
        loop {
            let waiters = {
                let mut state = self.lock();
                if state.waiters.is_empty() {
                    state.round_running = false;
                    return;
                }
                mem::take(&mut state.waiters)
            };
            let outcome = round().await;
            for waiter in waiters {
                let _ = waiter.send(outcome.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use super::*;

    /// A fake leader: each round takes a while and answers with the number of rounds begun.
    fn counting_round(started: Arc<AtomicU64>) -> impl Fn() -> BoxRound<u64> + Send + Sync {
        move || {
            let started = started.clone();
            Box::pin(async move {
                let number = started.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(number)
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_readers_share_rounds_that_began_after_them() {
        let rounds = SharedRounds::new();
        let started = Arc::new(AtomicU64::new(0));
        let mut readers = Vec::new();
        for _ in 0..50 {
            let rounds = rounds.clone();
            let started = started.clone();
            readers.push(tokio::spawn(async move {
                let before = started.load(Ordering::SeqCst);
                let got = rounds.join(counting_round(started)).await.unwrap();
                assert!(
                    got > before,
                    "round {got} began before the reader (after {before})"
                );
            }));
        }
        for reader in readers {
            reader.await.unwrap();
        }
        let used = started.load(Ordering::SeqCst);
        assert!(used <= 3, "50 concurrent readers took {used} rounds");
    }

    #[tokio::test]
    async fn a_lone_reader_after_an_idle_spell_starts_its_own_round() {
        let rounds = SharedRounds::new();
        let started = Arc::new(AtomicU64::new(0));
        assert_eq!(
            rounds.join(counting_round(started.clone())).await.unwrap(),
            1
        );
        assert_eq!(
            rounds.join(counting_round(started.clone())).await.unwrap(),
            2
        );
    }

    #[tokio::test]
    async fn a_failed_round_fails_its_readers_only() {
        let rounds = SharedRounds::<u64>::new();
        let failing =
            || -> BoxRound<u64> { Box::pin(async { Err(ClusterError::NoLeader("none".into())) }) };
        assert!(rounds.join(failing).await.is_err());
        let started = Arc::new(AtomicU64::new(0));
        assert_eq!(rounds.join(counting_round(started)).await.unwrap(), 1);
    }
}
