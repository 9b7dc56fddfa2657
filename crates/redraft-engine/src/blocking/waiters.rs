//! The waiters of blocking commands: replicated state, so that every replica serves the same
//! waiter with the same element in the same entry, first come first served per key.

use std::collections::{BTreeMap, BTreeSet};

use crate::entry::{Argv, WaiterId};
use crate::keyhash::key_hash;
use crate::wire::{put_bytes, Reader, SnapshotError};

/// One client waiting.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiter {
    pub id: WaiterId,
    pub db: u32,
    /// The blocking command as the client sent it (BLPOP k1 k2 5).
    pub argv: Argv,
    pub keys: Vec<Vec<u8>>,
    /// The entry time at which it times out; None waits for ever.
    pub deadline_ms: Option<u64>,
}

/// Every waiter, by arrival (`order`), with indexes by key, id and deadline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Waiters {
    next_order: u64,
    by_order: BTreeMap<u64, Waiter>,
    /// (db, key hash, key) → the orders of its waiters, first come first.
    by_key: BTreeMap<(u32, u64, Vec<u8>), BTreeSet<u64>>,
    by_id: BTreeMap<WaiterId, u64>,
    deadlines: BTreeSet<(u64, u64)>,
}

impl Waiters {
    pub fn is_empty(&self) -> bool {
        self.by_order.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_order.len()
    }

    /// Every waiter, in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = &Waiter> {
        self.by_order.values()
    }

    pub fn contains(&self, id: &WaiterId) -> bool {
        self.by_id.contains_key(id)
    }

    /// Adds a waiter after every other one.
    pub fn add(&mut self, waiter: Waiter) {
        let order = self.next_order;
        self.next_order += 1;
        self.index(order, &waiter);
        self.by_order.insert(order, waiter);
    }

    fn index(&mut self, order: u64, waiter: &Waiter) {
        for key in &waiter.keys {
            let slot = (waiter.db, key_hash(key), key.clone());
            self.by_key.entry(slot).or_default().insert(order);
        }
        self.by_id.insert(waiter.id, order);
        if let Some(deadline) = waiter.deadline_ms {
            self.deadlines.insert((deadline, order));
        }
    }

    /// Removes the waiter `id`; None when there is none.
    pub fn remove(&mut self, id: &WaiterId) -> Option<Waiter> {
        let order = *self.by_id.get(id)?;
        self.remove_order(order)
    }

    fn remove_order(&mut self, order: u64) -> Option<Waiter> {
        let waiter = self.by_order.remove(&order)?;
        for key in &waiter.keys {
            let slot = (waiter.db, key_hash(key), key.clone());
            if let Some(orders) = self.by_key.get_mut(&slot) {
                orders.remove(&order);
                if orders.is_empty() {
                    self.by_key.remove(&slot);
                }
            }
        }
        self.by_id.remove(&waiter.id);
        if let Some(deadline) = waiter.deadline_ms {
            self.deadlines.remove(&(deadline, order));
        }
        Some(waiter)
    }

    /// The keys of database `db` with waiters whose hash is `hash` (usually one).
    pub fn keys_with_hash(&self, db: u32, hash: u64) -> Vec<Vec<u8>> {
        let from = (db, hash, Vec::new());
        self.by_key
            .range(from..)
            .take_while(|((d, h, _), _)| *d == db && *h == hash)
            .map(|((_, _, key), _)| key.clone())
            .collect()
    }

    /// How many wait on `key`, in any database.
    pub fn count_on_key(&self, key: &[u8]) -> usize {
        let hash = key_hash(key);
        (0..crate::DATABASES as u32)
            .filter_map(|db| self.by_key.get(&(db, hash, key.to_vec())))
            .map(BTreeSet::len)
            .sum()
    }

    /// The waiters on `key` of `db`, longest waiting first.
    pub fn on_key(&self, db: u32, key: &[u8]) -> Vec<Waiter> {
        let slot = (db, key_hash(key), key.to_vec());
        let orders = self.by_key.get(&slot).into_iter().flatten();
        orders
            .filter_map(|order| self.by_order.get(order).cloned())
            .collect()
    }

    /// Whether some waiter's deadline is at or before `now_ms`.
    pub fn has_timed_out(&self, now_ms: u64) -> bool {
        self.deadlines
            .first()
            .is_some_and(|(deadline, _)| *deadline <= now_ms)
    }

    /// Removes up to `max` waiters whose deadline is at or before `now_ms`, earliest first.
    pub fn take_timed_out(&mut self, now_ms: u64, max: usize) -> Vec<Waiter> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some(&(deadline, order)) = self.deadlines.first() else {
                break;
            };
            if deadline > now_ms {
                break;
            }
            out.extend(self.remove_order(order));
        }
        out
    }

    /// Removes the waiters of `node` left by incarnations other than `incarnation`.
    pub fn take_orphans(&mut self, node: u64, incarnation: u64) -> Vec<Waiter> {
        let orphans: Vec<WaiterId> = self
            .by_id
            .keys()
            .filter(|id| id.node == node && id.incarnation != incarnation)
            .copied()
            .collect();
        orphans.iter().filter_map(|id| self.remove(id)).collect()
    }

    /// Snapshot: the next order, then each waiter in order (see snapshot.rs).
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.next_order.to_le_bytes());
        out.extend_from_slice(&(self.by_order.len() as u64).to_le_bytes());
        for (order, waiter) in &self.by_order {
            out.extend_from_slice(&order.to_le_bytes());
            let id = waiter.id;
            for n in [id.node, id.incarnation, id.client, id.seq] {
                out.extend_from_slice(&n.to_le_bytes());
            }
            out.extend_from_slice(&waiter.db.to_le_bytes());
            out.extend_from_slice(&waiter.deadline_ms.map_or(u64::MAX, |d| d).to_le_bytes());
            put_list(out, &waiter.argv);
            put_list(out, &waiter.keys);
        }
    }

    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<Waiters, SnapshotError> {
        let mut waiters = Waiters {
            next_order: reader.u64()?,
            ..Waiters::default()
        };
        if waiters.next_order == u64::MAX {
            return Err(SnapshotError::OutOfRange);
        }
        for _ in 0..reader.u64()? {
            let order = reader.u64()?;
            let id = WaiterId {
                node: reader.u64()?,
                incarnation: reader.u64()?,
                client: reader.u64()?,
                seq: reader.u64()?,
            };
            let db = reader.u32()?;
            let deadline_ms = Some(reader.u64()?).filter(|&d| d != u64::MAX);
            let waiter = Waiter {
                id,
                db,
                argv: read_list(reader)?,
                keys: read_list(reader)?,
                deadline_ms,
            };
            let repeated = waiters.by_order.contains_key(&order) || waiters.by_id.contains_key(&id);
            if order >= waiters.next_order || repeated || waiter.argv.is_empty() {
                return Err(SnapshotError::OutOfRange);
            }
            waiters.index(order, &waiter);
            waiters.by_order.insert(order, waiter);
        }
        Ok(waiters)
    }
}

fn put_list(out: &mut Vec<u8>, items: &[Vec<u8>]) {
    out.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for item in items {
        put_bytes(out, item);
    }
}

fn read_list(reader: &mut Reader) -> Result<Vec<Vec<u8>>, SnapshotError> {
    let count = reader.u32()?;
    (0..count).map(|_| Ok(reader.bytes()?.to_vec())).collect()
}
