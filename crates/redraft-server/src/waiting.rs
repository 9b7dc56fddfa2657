//! This node's clients that wait in a blocking command (BLPOP ...). The waiters themselves
//! are replicated state (the engine's); here each waiting session's reply slot, filled when an
//! applied entry serves its waiter. A reply for a client that is gone is undone: what was
//! popped for it goes back where it came from.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use redraft_engine::{Argv, ServedWaiter, WaiterId};
use tokio::sync::oneshot;

pub struct Waiting {
    /// This process among the node's lives: waiters of earlier ones are removed at start.
    pub incarnation: u64,
    next_seq: AtomicU64,
    slots: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    replies: HashMap<WaiterId, oneshot::Sender<ServedWaiter>>,
    by_client: HashMap<u64, WaiterId>,
}

impl Default for Waiting {
    fn default() -> Self {
        Waiting {
            incarnation: rand::random::<u64>() | 1,
            next_seq: AtomicU64::new(1),
            slots: Mutex::default(),
        }
    }
}

impl Waiting {
    /// A new waiter id for `client` of `node`, and where its reply will arrive.
    pub fn register(&self, node: u64, client: u64) -> (WaiterId, oneshot::Receiver<ServedWaiter>) {
        let id = WaiterId {
            node,
            incarnation: self.incarnation,
            client,
            seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
        };
        let (tx, rx) = oneshot::channel();
        let mut slots = self.lock();
        slots.replies.insert(id, tx);
        slots.by_client.insert(client, id);
        (id, rx)
    }

    /// Forgets a waiter whose wait is over.
    pub fn forget(&self, id: &WaiterId) {
        let mut slots = self.lock();
        slots.replies.remove(id);
        if slots.by_client.get(&id.client) == Some(id) {
            slots.by_client.remove(&id.client);
        }
    }

    /// How many of this node's clients wait now.
    pub fn blocked_clients(&self) -> usize {
        self.lock().by_client.len()
    }

    /// The waiter `client` is blocked in, if any.
    pub fn waiter_of(&self, client: u64) -> Option<WaiterId> {
        self.lock().by_client.get(&client).copied()
    }

    /// Hands a served reply to its session; the undo command when the session is gone. A
    /// waiter of an earlier process of this node is not this process's to undo: its entries are
    /// applied again when the node replays its log, and were dealt with (or lost with that
    /// process) the first time.
    pub(crate) fn deliver(&self, served: ServedWaiter) -> Option<Argv> {
        if served.waiter.incarnation != self.incarnation {
            return None;
        }
        let slot = {
            let mut slots = self.lock();
            let id = served.waiter;
            if slots.by_client.get(&id.client) == Some(&id) {
                slots.by_client.remove(&id.client);
            }
            slots.replies.remove(&id)
        };
        match slot {
            Some(tx) => tx.send(served).err().and_then(|unsent| unsent.undo),
            None => served.undo,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redraft_engine::Reply;

    fn served(waiter: WaiterId) -> ServedWaiter {
        ServedWaiter {
            waiter,
            db: 0,
            reply: Reply::Integer(1),
            undo: Some(vec![b"LPUSH".to_vec(), b"k".to_vec(), b"x".to_vec()]),
        }
    }

    #[test]
    fn a_reply_goes_to_its_session_or_is_undone_but_never_for_an_earlier_process() {
        let waiting = Waiting::default();
        let (id, mut rx) = waiting.register(1, 9);
        assert_eq!(waiting.waiter_of(9), Some(id));
        assert_eq!(waiting.deliver(served(id)), None);
        assert_eq!(rx.try_recv().ok().map(|s| s.reply), Some(Reply::Integer(1)));
        assert_eq!(waiting.waiter_of(9), None, "a served client waits no more");
        // Its session is gone: the element goes back.
        let (gone, rx) = waiting.register(1, 9);
        drop(rx);
        assert!(waiting.deliver(served(gone)).is_some());
        // Replayed after a restart: an earlier process's waiter is not undone again.
        let earlier = WaiterId {
            incarnation: waiting.incarnation ^ 2,
            ..gone
        };
        assert_eq!(waiting.deliver(served(earlier)), None);
    }
}
