//! Group proposal: write runs that arrive while a proposal is in flight wait and then go
//! together as ONE log entry (`Op::Batch`), so concurrent clients share one trip through the
//! log instead of paying a replication round each. One proposal is in flight at a time; the
//! batch that follows it holds everything that arrived meanwhile (bounded). The leader groups
//! its clients' runs so; a follower groups its clients' runs into one forward to the leader
//! the same way (its answers carry why a forward got no replies: `E`).

use std::mem;
use std::sync::Mutex;

use redraft_engine::{Reply, Run};
use tokio::sync::oneshot;

use crate::error::{ClusterError, LeaderError};

/// Most commands in one batched entry, and most argument bytes (a larger single run still goes,
/// alone).
const MAX_BATCH_COMMANDS: usize = 4096;
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Most runs waiting for a proposal; beyond it writes are refused with TRYAGAIN.
const MAX_WAITING_RUNS: usize = 100_000;

/// A run's replies, or why it has none.
pub(crate) type Outcome<E = LeaderError> = Result<Vec<Reply>, E>;

pub(crate) struct Waiting<E = LeaderError> {
    pub(crate) run: Run,
    bytes: usize,
    pub(crate) reply: oneshot::Sender<Outcome<E>>,
}

pub struct WriteBatcher<E = LeaderError> {
    state: Mutex<State<E>>,
}

struct State<E> {
    waiting: Vec<Waiting<E>>,
    proposing: bool,
}

impl<E> Default for WriteBatcher<E> {
    fn default() -> Self {
        WriteBatcher {
            state: Mutex::new(State {
                waiting: Vec::new(),
                proposing: false,
            }),
        }
    }
}

/// The bytes a run counts for against a batch's bound.
pub(crate) fn run_bytes(run: &Run) -> usize {
    run.cmds.iter().flatten().map(|arg| arg.len() + 8).sum()
}

/// Whether runs of `commands` commands and `bytes` bytes (`run_bytes`) in all fit one batch.
pub(crate) fn within_batch(commands: usize, bytes: usize) -> bool {
    commands <= MAX_BATCH_COMMANDS && bytes <= MAX_BATCH_BYTES
}

impl<E> WriteBatcher<E> {
    /// Queues a run; returns whether the caller must start the driver.
    pub(crate) fn enqueue(
        &self,
        run: Run,
        reply: oneshot::Sender<Outcome<E>>,
    ) -> Result<bool, ClusterError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.waiting.len() >= MAX_WAITING_RUNS {
            return Err(ClusterError::Unknown(
                "too many writes waiting for the log; write refused, retry later".into(),
            ));
        }
        let bytes = run_bytes(&run);
        state.waiting.push(Waiting { run, bytes, reply });
        Ok(!mem::replace(&mut state.proposing, true))
    }

    /// The next batch (oldest first, within the bounds), or None when nothing waits; then the
    /// driver stops and the next caller starts a new one. A run whose client stopped waiting
    /// (its deadline passed: it was told the outcome is unknown) is dropped unsent, so that it
    /// stays unapplied.
    pub(crate) fn next_batch(&self) -> Option<Vec<Waiting<E>>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.retain(|waiting| !waiting.reply.is_closed());
        if state.waiting.is_empty() {
            state.proposing = false;
            return None;
        }
        let (mut commands, mut bytes, mut take) = (0, 0, 0);
        for waiting in &state.waiting {
            let too_big = !within_batch(commands + waiting.run.cmds.len(), bytes + waiting.bytes);
            if take > 0 && too_big {
                break;
            }
            commands += waiting.run.cmds.len();
            bytes += waiting.bytes;
            take += 1;
        }
        Some(state.waiting.drain(..take).collect())
    }
}

/// Hands each run its own slice of the entry's replies, or the shared error.
pub(crate) fn deliver<E: Clone>(
    outcome: Outcome<E>,
    counts: &[usize],
    replies: Vec<oneshot::Sender<Outcome<E>>>,
) {
    match outcome {
        Ok(all) => {
            assert_eq!(
                all.len(),
                counts.iter().sum::<usize>(),
                "the state machine answers every command of an entry"
            );
            let mut all = all.into_iter();
            for (count, reply) in counts.iter().zip(replies) {
                let _ = reply.send(Ok(all.by_ref().take(*count).collect()));
            }
        }
        Err(error) => {
            for reply in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: usize) -> Run {
        Run {
            db: 0,
            cmds: vec![vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]; n],
        }
    }

    /// The reply channels of clients that keep waiting (a dropped receiver is a client gone).
    #[derive(Default)]
    struct Clients(Vec<oneshot::Receiver<Outcome>>);

    impl Clients {
        fn waiting(&mut self) -> oneshot::Sender<Outcome> {
            let (reply, answer) = oneshot::channel();
            self.0.push(answer);
            reply
        }
    }

    #[test]
    fn only_the_first_waiting_run_starts_a_driver() {
        let batcher = WriteBatcher::<LeaderError>::default();
        let mut clients = Clients::default();
        assert!(batcher.enqueue(run(1), clients.waiting()).unwrap());
        assert!(!batcher.enqueue(run(1), clients.waiting()).unwrap());
        assert_eq!(batcher.next_batch().map(|b| b.len()), Some(2));
        assert!(batcher.next_batch().is_none());
        assert!(batcher.enqueue(run(1), clients.waiting()).unwrap());
    }

    #[test]
    fn a_run_whose_client_stopped_waiting_is_not_sent() {
        let batcher = WriteBatcher::<LeaderError>::default();
        let mut clients = Clients::default();
        let (gone, _) = oneshot::channel();
        assert!(batcher.enqueue(run(1), gone).unwrap());
        assert!(!batcher.enqueue(run(2), clients.waiting()).unwrap());
        let batch = batcher.next_batch().unwrap();
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].run.cmds.len(), 2);
        // Only a run whose client left: no batch, and the next run starts a driver again.
        let (gone, _) = oneshot::channel();
        assert!(!batcher.enqueue(run(1), gone).unwrap());
        assert!(batcher.next_batch().is_none());
        assert!(batcher.enqueue(run(1), clients.waiting()).unwrap());
    }

    #[test]
    fn a_batch_stops_at_the_command_bound_but_always_takes_one_run() {
        let batcher = WriteBatcher::<LeaderError>::default();
        let mut clients = Clients::default();
        batcher
            .enqueue(run(MAX_BATCH_COMMANDS + 1), clients.waiting())
            .unwrap();
        batcher.enqueue(run(10), clients.waiting()).unwrap();
        batcher.enqueue(run(10), clients.waiting()).unwrap();
        assert_eq!(batcher.next_batch().map(|b| b.len()), Some(1));
        assert_eq!(batcher.next_batch().map(|b| b.len()), Some(2));
    }

    #[test]
    fn writes_past_the_waiting_bound_are_refused_with_a_retryable_error() {
        let batcher = WriteBatcher::<LeaderError>::default();
        let mut clients = Clients::default();
        for _ in 0..MAX_WAITING_RUNS {
            batcher.enqueue(run(1), clients.waiting()).unwrap();
        }
        let refused = batcher.enqueue(run(1), clients.waiting());
        assert!(matches!(refused, Err(ClusterError::Unknown(why)) if why.contains("retry later")));
        batcher.next_batch();
        assert!(
            batcher.enqueue(run(1), clients.waiting()).is_ok(),
            "room again once a batch left"
        );
    }

    #[test]
    fn replies_are_split_back_to_their_runs_in_order() {
        let (tx1, mut rx1) = oneshot::channel();
        let (tx2, mut rx2) = oneshot::channel();
        let all = vec![Reply::Integer(1), Reply::Integer(2), Reply::Integer(3)];
        deliver::<LeaderError>(Ok(all), &[2, 1], vec![tx1, tx2]);
        assert_eq!(
            rx1.try_recv().unwrap().unwrap(),
            vec![Reply::Integer(1), Reply::Integer(2)]
        );
        assert_eq!(rx2.try_recv().unwrap().unwrap(), vec![Reply::Integer(3)]);
    }

    #[test]
    fn an_error_reaches_every_run_of_the_batch() {
        let (tx1, mut rx1) = oneshot::channel();
        let (tx2, mut rx2) = oneshot::channel();
        deliver::<LeaderError>(
            Err(LeaderError::NotLeader(Some(2))),
            &[1, 1],
            vec![tx1, tx2],
        );
        assert!(matches!(
            rx1.try_recv().unwrap(),
            Err(LeaderError::NotLeader(Some(2)))
        ));
        assert!(matches!(
            rx2.try_recv().unwrap(),
            Err(LeaderError::NotLeader(Some(2)))
        ));
    }
}
