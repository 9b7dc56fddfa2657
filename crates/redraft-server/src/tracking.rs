//! Client-side caching (CLIENT TRACKING): which keys this node's clients read and cache, and
//! the invalidations they get when an applied entry changes them (`Event::Invalidate`, which
//! the engine hands out while this node has tracking clients). Tracking is per node, as the
//! clients are: a write through any node reaches every node's log, and each node tells its
//! own clients.
//!
//! A read is registered before it runs and settled with the index of the state it read, so
//! that a change is reported exactly when the read did not see it: a change applied while the
//! read runs is reported once the read is settled, if the read's state was older. Invalidations
//! reach a client after the replies of the commands it sent with the read (the session writes
//! pushes after replies), so a client never caches a value whose invalidation came first.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use redraft_engine::Reply;

use crate::pubsub::Hub;

/// Most keys the table remembers (Redis's `tracking-table-max-keys` default): past it, keys
/// are dropped, their readers told to drop them too.
pub const MAX_TRACKED_KEYS: usize = 1_000_000;

/// The channel that RESP2 clients subscribe to for the invalidations redirected to them.
pub const INVALIDATE_CHANNEL: &str = "__redis__:invalidate";

#[derive(Default)]
pub struct Tracking {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    /// Keys read by clients in the default mode, and where each client's read stands.
    keys: HashMap<Vec<u8>, HashMap<u64, Read>>,
    /// Every tracking client of this node.
    clients: HashMap<u64, Tracker>,
}

/// A tracking client: where its invalidations go (itself, or the REDIRECT client), and its
/// BCAST prefixes (None in the default mode).
#[derive(Clone, Debug, PartialEq)]
pub struct Tracker {
    pub target: u64,
    pub bcast: Option<Vec<Vec<u8>>>,
}

#[derive(Clone, Copy, Debug)]
enum Read {
    /// Running; the last change seen meanwhile (0: none).
    Running { changed_at: u64 },
    /// It read the state after entry `at`.
    Done { at: u64 },
}

/// Invalidations for one destination client: keys, or None for "everything".
pub type Invalidation = (u64, Option<Vec<Vec<u8>>>);

impl Tracking {
    /// Starts (or changes) tracking for `client`.
    pub fn enable(&self, client: u64, tracker: Tracker) {
        self.lock().clients.insert(client, tracker);
    }

    /// Stops tracking for `client` and forgets what it read.
    pub fn disable(&self, client: u64) {
        let mut table = self.lock();
        if table.clients.remove(&client).is_none() {
            return;
        }
        table.keys.retain(|_, readers| {
            readers.remove(&client);
            !readers.is_empty()
        });
    }

    /// How many of this node's clients track keys (INFO's tracking_clients), and how many keys
    /// their default-mode reads noted (tracking_total_keys).
    pub fn counts(&self) -> (usize, usize) {
        let table = self.lock();
        (table.clients.len(), table.keys.len())
    }

    /// Whether any client of this node tracks keys.
    pub fn any(&self) -> bool {
        !self.lock().clients.is_empty()
    }

    pub fn tracker(&self, client: u64) -> Option<Tracker> {
        self.lock().clients.get(&client).cloned()
    }

    /// `client` is about to read `keys`: changes from now on are noted for it. When the table
    /// is full, other keys are dropped: the invalidations due for them.
    pub fn begin_read(&self, client: u64, keys: &[&[u8]]) -> Vec<Invalidation> {
        let mut table = self.lock();
        for key in keys {
            let readers = table.keys.entry(key.to_vec()).or_default();
            readers.insert(client, Read::Running { changed_at: 0 });
        }
        table.evict_past(MAX_TRACKED_KEYS, keys)
    }

    /// `client`'s read of `keys` saw the state after entry `at`; the invalidations due now
    /// (changes applied while it ran that it did not see).
    pub fn end_read(&self, client: u64, keys: &[&[u8]], at: u64) -> Vec<Invalidation> {
        let mut table = self.lock();
        let mut missed = Vec::new();
        for key in keys {
            let Some(readers) = table.keys.get_mut(*key) else {
                continue;
            };
            match readers.get(&client) {
                Some(Read::Running { changed_at }) if *changed_at > at => {
                    readers.remove(&client);
                    missed.push(key.to_vec());
                }
                Some(Read::Running { .. }) => {
                    readers.insert(client, Read::Done { at });
                }
                _ => {}
            }
        }
        table.keys.retain(|_, readers| !readers.is_empty());
        let target = table.clients.get(&client).map(|t| t.target);
        match (target, missed.is_empty()) {
            (Some(target), false) => vec![(target, Some(missed))],
            _ => Vec::new(),
        }
    }

    /// Entry `index` changed `keys` (None: whole databases): the invalidations it causes, one
    /// per destination client. A reader is told once, then forgotten until it reads again.
    pub fn changed(&self, index: u64, keys: Option<&[Vec<u8>]>) -> Vec<Invalidation> {
        let mut table = self.lock();
        match keys {
            None => table.flushed(index),
            Some(keys) => table.changed(index, keys),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Table {
    /// Drops keys (not those being read now) until at most `max` remain; their readers are
    /// told.
    fn evict_past(&mut self, max: usize, reading: &[&[u8]]) -> Vec<Invalidation> {
        let excess = self.keys.len().saturating_sub(max);
        let victims: Vec<Vec<u8>> = self
            .keys
            .iter()
            .filter(|(key, readers)| {
                // A read in progress must settle first, or its client could cache untracked.
                let running = readers.values().any(|r| matches!(r, Read::Running { .. }));
                !running && !reading.contains(&key.as_slice())
            })
            .take(excess)
            .map(|(key, _)| key.clone())
            .collect();
        let mut due: HashMap<u64, Vec<Vec<u8>>> = HashMap::new();
        for key in victims {
            for (client, _) in self.keys.remove(&key).unwrap_or_default() {
                if let Some(tracker) = self.clients.get(&client) {
                    due.entry(tracker.target).or_default().push(key.clone());
                }
            }
        }
        due.into_iter()
            .map(|(target, keys)| (target, Some(keys)))
            .collect()
    }

    fn changed(&mut self, index: u64, keys: &[Vec<u8>]) -> Vec<Invalidation> {
        let mut due: HashMap<u64, Vec<Vec<u8>>> = HashMap::new();
        for key in keys {
            for client in self.readers_to_tell(key, index) {
                if let Some(tracker) = self.clients.get(&client) {
                    due.entry(tracker.target).or_default().push(key.clone());
                }
            }
            for tracker in self.clients.values() {
                let Some(prefixes) = &tracker.bcast else {
                    continue;
                };
                if prefixes.iter().any(|prefix| key.starts_with(prefix)) {
                    due.entry(tracker.target).or_default().push(key.clone());
                }
            }
        }
        due.into_iter()
            .map(|(target, keys)| (target, Some(keys)))
            .collect()
    }

    /// The readers of `key` that did not see entry `index`; forgotten (running reads note it).
    fn readers_to_tell(&mut self, key: &[u8], index: u64) -> Vec<u64> {
        let Some(readers) = self.keys.get_mut(key) else {
            return Vec::new();
        };
        let mut tell = Vec::new();
        readers.retain(|client, read| match read {
            Read::Running { changed_at } => {
                *changed_at = (*changed_at).max(index);
                true
            }
            Read::Done { at } if *at < index => {
                tell.push(*client);
                false
            }
            Read::Done { .. } => true,
        });
        if readers.is_empty() {
            self.keys.remove(key);
        }
        tell
    }

    /// A database was flushed or swapped: every tracking client drops everything, as in Redis.
    fn flushed(&mut self, index: u64) -> Vec<Invalidation> {
        let keys: Vec<Vec<u8>> = self.keys.keys().cloned().collect();
        for key in keys {
            self.readers_to_tell(&key, index);
        }
        let mut targets: Vec<u64> = self.clients.values().map(|t| t.target).collect();
        targets.sort_unstable();
        targets.dedup();
        targets.into_iter().map(|target| (target, None)).collect()
    }
}

/// Pushes each invalidation to its destination: an `invalidate` push to a RESP3 client, or a
/// message on [`INVALIDATE_CHANNEL`] to a RESP2 client in subscribed mode (as Redis; others
/// get nothing).
pub fn send(hub: &Hub, invalidations: Vec<Invalidation>) {
    for (target, keys) in invalidations {
        let Some(outbox) = hub.outbox_of(target) else {
            continue;
        };
        let keys = keys.map_or(Reply::Nil, |keys| {
            Reply::Array(keys.into_iter().map(Reply::Bulk).collect())
        });
        let frame = if outbox.resp3() {
            vec![Reply::bulk("invalidate"), keys]
        } else if hub.is_subscribed(target) {
            vec![
                Reply::bulk("message"),
                Reply::bulk(INVALIDATE_CHANNEL),
                keys,
            ]
        } else {
            continue;
        };
        outbox.push(Reply::Push(frame));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracking_with(client: u64, bcast: Option<&[&str]>) -> Tracking {
        let tracking = Tracking::default();
        let bcast = bcast.map(|p| p.iter().map(|p| p.as_bytes().to_vec()).collect());
        tracking.enable(
            client,
            Tracker {
                target: client,
                bcast,
            },
        );
        tracking
    }

    fn keys(names: &[&str]) -> Vec<Vec<u8>> {
        names.iter().map(|n| n.as_bytes().to_vec()).collect()
    }

    #[test]
    fn a_reader_is_told_of_changes_it_did_not_see_once() {
        let tracking = tracking_with(1, None);
        assert!(tracking.begin_read(1, &[b"k"]).is_empty());
        assert!(tracking.end_read(1, &[b"k"], 10).is_empty());
        assert!(
            tracking.changed(9, Some(&keys(&["k"]))).is_empty(),
            "the read saw it"
        );
        assert_eq!(
            tracking.changed(11, Some(&keys(&["k", "x"]))),
            [(1, Some(keys(&["k"])))]
        );
        assert!(
            tracking.changed(12, Some(&keys(&["k"]))).is_empty(),
            "told once"
        );
    }

    #[test]
    fn a_change_applied_while_the_read_runs_is_told_if_the_read_missed_it() {
        let tracking = tracking_with(1, None);
        tracking.begin_read(1, &[b"k"]);
        assert!(tracking.changed(20, Some(&keys(&["k"]))).is_empty());
        assert_eq!(tracking.end_read(1, &[b"k"], 19), [(1, Some(keys(&["k"])))]);
        tracking.begin_read(1, &[b"k"]);
        assert!(tracking.changed(21, Some(&keys(&["k"]))).is_empty());
        assert!(
            tracking.end_read(1, &[b"k"], 21).is_empty(),
            "the read saw it"
        );
        assert_eq!(tracking.changed(22, Some(&keys(&["k"]))).len(), 1);
    }

    #[test]
    fn a_full_table_drops_keys_and_tells_their_readers() {
        let tracking = tracking_with(1, None);
        let mut table = tracking.lock();
        for n in 0..5u8 {
            table
                .keys
                .entry(vec![n])
                .or_default()
                .insert(1, Read::Done { at: 1 });
        }
        let due = table.evict_past(3, &[&[0u8][..]]);
        assert_eq!(table.keys.len(), 3);
        assert!(
            table.keys.contains_key(&vec![0u8]),
            "a key being read stays"
        );
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].1.as_ref().map(Vec::len), Some(2));
    }

    #[test]
    fn broadcast_clients_hear_of_every_key_under_their_prefixes_and_flushes_reach_all() {
        let tracking = tracking_with(1, Some(&["user:", "cart:"]));
        tracking.enable(
            2,
            Tracker {
                target: 3,
                bcast: None,
            },
        );
        let told = tracking.changed(5, Some(&keys(&["user:1", "other", "cart:9"])));
        assert_eq!(told, [(1, Some(keys(&["user:1", "cart:9"])))]);
        let mut flushed = tracking.changed(6, None);
        flushed.sort();
        assert_eq!(flushed, [(1, None), (3, None)]);
        tracking.disable(1);
        tracking.disable(2);
        assert!(!tracking.any());
    }
}
