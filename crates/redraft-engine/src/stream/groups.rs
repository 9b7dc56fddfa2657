//! Consumer groups: the group's last delivered ID and read counter, its pending entries list
//! (PEL) and its consumers, each with the IDs it owns. All maps are ordered, as Redis's radix
//! trees are, so replies and snapshots list groups, consumers and entries in byte order.

use std::collections::{BTreeMap, BTreeSet};

use super::id::{get_id, put_id, put_u64, StreamId};
use crate::wire::{put_bytes, Reader, SnapshotError};

/// A delivered entry not yet acknowledged (Redis's streamNACK).
#[derive(Clone, Debug, PartialEq)]
pub struct PendingEntry {
    /// The consumer that owns it; always a consumer of the group.
    pub consumer: Vec<u8>,
    /// Entry time (ms) of the last delivery; may be ahead of now only through XCLAIM TIME.
    pub delivery_time_ms: i64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    /// Entry time (ms) the consumer was last seen (created, read or claimed).
    pub seen_time_ms: i64,
    /// IDs of the group's pending entries this consumer owns.
    pub pending: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerGroup {
    pub last_id: StreamId,
    /// The logical read counter, or [`super::ENTRIES_READ_INVALID`].
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, PendingEntry>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl ConsumerGroup {
    pub fn new(last_id: StreamId, entries_read: i64) -> ConsumerGroup {
        ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Looks a consumer up, refreshing its seen time, or creates it; returns whether it was
    /// created.
    pub fn touch_consumer(&mut self, name: &[u8], now_ms: i64) -> bool {
        match self.consumers.get_mut(name) {
            Some(consumer) => {
                consumer.seen_time_ms = now_ms;
                false
            }
            None => {
                self.create_consumer(name, now_ms);
                true
            }
        }
    }

    /// Creates a consumer; false if it exists already (its seen time is then unchanged).
    pub fn create_consumer(&mut self, name: &[u8], now_ms: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let consumer = Consumer {
            seen_time_ms: now_ms,
            pending: BTreeSet::new(),
        };
        self.consumers.insert(name.to_vec(), consumer);
        true
    }

    /// Deletes a consumer and its pending entries; how many it had, None if it did not exist.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pending {
            self.pel.remove(id);
        }
        Some(consumer.pending.len())
    }

    /// Removes `id` from the PEL and from its owner; whether it was pending.
    pub fn acknowledge(&mut self, id: StreamId) -> bool {
        let Some(pending) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(owner) = self.consumers.get_mut(&pending.consumer) {
            owner.pending.remove(&id);
        }
        true
    }

    /// Gives the pending entry `id` to `consumer` (which exists), moving it from its owner.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(pending) = self.pel.get_mut(&id) else {
            return;
        };
        if pending.consumer != consumer {
            if let Some(owner) = self.consumers.get_mut(&pending.consumer) {
                owner.pending.remove(&id);
            }
            pending.consumer = consumer.to_vec();
        }
        if let Some(owner) = self.consumers.get_mut(consumer) {
            owner.pending.insert(id);
        }
    }

    /// Records a delivery of `id` to `consumer` (which exists), as XREADGROUP does: a new
    /// pending entry, or an existing one reassigned with its count reset to one.
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now_ms: i64) {
        let pending = PendingEntry {
            consumer: consumer.to_vec(),
            delivery_time_ms: now_ms,
            delivery_count: 1,
        };
        if let Some(old) = self.pel.insert(id, pending) {
            if let Some(owner) = self.consumers.get_mut(&old.consumer) {
                owner.pending.remove(&id);
            }
        }
        if let Some(owner) = self.consumers.get_mut(consumer) {
            owner.pending.insert(id);
        }
    }

    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        put_id(out, self.last_id);
        put_u64(out, self.entries_read as u64);
        put_u64(out, self.consumers.len() as u64);
        for (name, consumer) in &self.consumers {
            put_bytes(out, name);
            put_u64(out, consumer.seen_time_ms as u64);
        }
        put_u64(out, self.pel.len() as u64);
        for (id, pending) in &self.pel {
            put_id(out, *id);
            put_bytes(out, &pending.consumer);
            put_u64(out, pending.delivery_time_ms as u64);
            put_u64(out, pending.delivery_count);
        }
    }

    /// Reads a group; a pending entry naming an unknown consumer is an error.
    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<ConsumerGroup, SnapshotError> {
        let last_id = get_id(reader)?;
        let entries_read = reader.u64()? as i64;
        let mut group = ConsumerGroup::new(last_id, entries_read);
        for _ in 0..reader.u64()? {
            let name = reader.bytes()?.to_vec();
            let seen_time_ms = reader.u64()? as i64;
            let consumer = Consumer {
                seen_time_ms,
                pending: BTreeSet::new(),
            };
            group.consumers.insert(name, consumer);
        }
        for _ in 0..reader.u64()? {
            let id = get_id(reader)?;
            let consumer = reader.bytes()?.to_vec();
            let delivery_time_ms = reader.u64()? as i64;
            let delivery_count = reader.u64()?;
            let Some(owner) = group.consumers.get_mut(&consumer) else {
                return Err(SnapshotError::Truncated);
            };
            owner.pending.insert(id);
            let pending = PendingEntry {
                consumer,
                delivery_time_ms,
                delivery_count,
            };
            // A repeated ID (corrupt input) keeps one owner, so both views stay in step.
            if let Some(old) = group.pel.insert(id, pending) {
                if let Some(owner) = group.consumers.get_mut(&old.consumer) {
                    owner.pending.remove(&id);
                }
                if let Some(owner) = group.consumers.get_mut(&group.pel[&id].consumer) {
                    owner.pending.insert(id);
                }
            }
        }
        Ok(group)
    }
}
