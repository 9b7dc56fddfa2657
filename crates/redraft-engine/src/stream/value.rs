//! The stream value type (t_stream.c's stream): entry IDs, the entries, the node model that
//! decides approximate trimming, and the snapshot format.
//!
//! Entries are kept in a `BTreeMap` by ID. Redis stores them in listpacks of at most 100
//! entries or 4096 bytes, and `MAXLEN ~` / `MINID ~` only drop whole listpacks, so the
//! outcome of an approximate trim depends on where those boundaries fall. To answer as Redis
//! does, every stream also keeps a model of its listpacks ([`Node`]): the first ID, the
//! live and deleted counts, and the exact byte size Redis's listpack encoding would have.

use std::collections::BTreeMap;

use super::groups::ConsumerGroup;
use super::id::{get_id, put_id, put_u64, StreamId};
use crate::args;
use crate::wire::{put_bytes, Reader, SnapshotError};

/// Redis's stream-node-max-entries default: entries (live or deleted) per listpack.
const NODE_ENTRIES_MAX: u64 = 100;
/// Redis's stream-node-max-bytes default.
const NODE_BYTES_MAX: u64 = 4096;
/// SCG_INVALID_ENTRIES_READ: a group whose read counter is unknown.
pub const ENTRIES_READ_INVALID: i64 = -1;

/// Bytes of one listpack element holding an integer (encoding and back-length).
fn lp_int_size(value: i64) -> u64 {
    match value {
        0..=127 => 2,
        -4096..=4095 => 3,
        -32768..=32767 => 4,
        -8_388_608..=8_388_607 => 5,
        -2_147_483_648..=2_147_483_647 => 6,
        _ => 10,
    }
}

/// Bytes of one listpack element holding `bytes` (stored as an integer when it reads as one).
fn lp_string_size(bytes: &[u8]) -> u64 {
    if let Some(value) = args::parse_i64(bytes) {
        return lp_int_size(value);
    }
    let len = bytes.len() as u64;
    let encoded = match len {
        0..=63 => 1 + len,
        64..=4095 => 2 + len,
        _ => 5 + len,
    };
    let backlen = match encoded {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    encoded + backlen
}

/// A model of one of Redis's listpack nodes: enough to decide when XADD starts a new node
/// and what an approximate trim removes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    /// Entries of the node not deleted.
    live: u64,
    /// Entries of the node marked deleted (by XDEL or a partial trim).
    deleted: u64,
    /// Listpack bytes other than the header, the end byte and the two counters.
    body_bytes: u64,
    /// The field names of the node's first entry (the "master entry").
    master_fields: Vec<Vec<u8>>,
    /// The last ID appended to the node, deleted or not.
    last_id: StreamId,
}

impl Node {
    /// lpBytes of the node's listpack.
    fn bytes(&self) -> u64 {
        let counter = |n: u64| lp_int_size(i64::try_from(n).unwrap_or(i64::MAX));
        (7 + counter(self.live) + counter(self.deleted)).saturating_add(self.body_bytes)
    }
}

/// How XADD or XTRIM trims.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TrimStrategy {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Trim {
    pub strategy: TrimStrategy,
    /// `~`: only whole nodes are removed.
    pub approx: bool,
    /// Most entries to remove; 0 for no limit.
    pub limit: u64,
}

/// A stream value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamValue {
    /// Live entries: ID → field, value, field, value, ...
    pub(crate) entries: BTreeMap<StreamId, Vec<Vec<u8>>>,
    /// Listpack nodes by their first (master) ID.
    pub(crate) nodes: BTreeMap<StreamId, Node>,
    pub(crate) last_id: StreamId,
    /// The first live entry's ID as Redis records it (0-0 when empty).
    pub(crate) first_id: StreamId,
    pub(crate) max_deleted_id: StreamId,
    pub(crate) entries_added: u64,
    pub(crate) groups: BTreeMap<Vec<u8>, ConsumerGroup>,
}

impl StreamValue {
    /// OBJECT ENCODING's name for streams.
    pub fn encoding_name(&self) -> &'static str {
        "stream"
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    /// The last live entry's ID (streamLastValidID), 0-0 when there is none.
    pub(crate) fn last_valid_id(&self) -> StreamId {
        self.entries
            .last_key_value()
            .map_or(StreamId::MIN, |(id, _)| *id)
    }

    /// Entries from `start` to `end` inclusive, in order or reversed, at most `count` (0: all).
    pub(crate) fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        count: usize,
    ) -> Vec<(StreamId, &Vec<Vec<u8>>)> {
        if start > end {
            return Vec::new();
        }
        let limit = if count == 0 { usize::MAX } else { count };
        let range = self.entries.range(start..=end).map(|(id, f)| (*id, f));
        if rev {
            range.rev().take(limit).collect()
        } else {
            range.take(limit).collect()
        }
    }

    /// The ID XADD would give the entry: None when it is not above the top item.
    pub(crate) fn next_id(&self, given: Option<(StreamId, bool)>, now_ms: u64) -> Option<StreamId> {
        let last = self.last_id;
        let id = match given {
            Some((id, true)) => id,
            Some((id, false)) if id.ms == last.ms => last.next().filter(|n| n.ms == last.ms)?,
            Some((id, false)) => id,
            None if now_ms > last.ms => StreamId::new(now_ms, 0),
            None => last.next().unwrap_or(StreamId::MIN),
        };
        (id > last).then_some(id)
    }

    /// Appends an entry with `id` (greater than the last ID) and its field-value pairs.
    pub(crate) fn append(&mut self, id: StreamId, fields: Vec<Vec<u8>>) {
        let names: Vec<&[u8]> = fields.iter().step_by(2).map(Vec::as_slice).collect();
        let values_len: u64 = fields.iter().map(|f| f.len() as u64).sum();
        let full = self.nodes.last_key_value().is_none_or(|(_, node)| {
            node.bytes().saturating_add(values_len) >= NODE_BYTES_MAX
                || node.live.saturating_add(node.deleted) >= NODE_ENTRIES_MAX
        });
        if full {
            let numfields = names.len() as i64;
            let body = lp_int_size(numfields)
                + names.iter().map(|n| lp_string_size(n)).sum::<u64>()
                + lp_int_size(0);
            let node = Node {
                live: 0,
                deleted: 0,
                body_bytes: body,
                master_fields: names.iter().map(|n| n.to_vec()).collect(),
                last_id: id,
            };
            self.nodes.insert(id, node);
        }
        let tail = self.nodes.last_entry().expect("a tail node");
        let master = *tail.key();
        let node = tail.into_mut();
        let same_fields = node.master_fields.len() == names.len()
            && node.master_fields.iter().zip(&names).all(|(a, b)| a == b);
        let numfields = names.len() as i64;
        let mut bytes = lp_int_size(if same_fields { 2 } else { 0 })
            + lp_int_size(id.ms.wrapping_sub(master.ms) as i64)
            + lp_int_size(id.seq.wrapping_sub(master.seq) as i64);
        let mut lp_count = numfields + 3;
        if !same_fields {
            bytes += lp_int_size(numfields) + names.iter().map(|n| lp_string_size(n)).sum::<u64>();
            lp_count += numfields + 1;
        }
        bytes += fields
            .iter()
            .skip(1)
            .step_by(2)
            .map(|v| lp_string_size(v))
            .sum::<u64>();
        bytes += lp_int_size(lp_count);
        node.live = node.live.saturating_add(1);
        node.body_bytes = node.body_bytes.saturating_add(bytes);
        node.last_id = id;
        self.entries.insert(id, fields);
        self.entries_added = self.entries_added.wrapping_add(1);
        self.last_id = id;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
    }

    /// The node holding `id`, by its master ID.
    fn node_of(&self, id: StreamId) -> Option<StreamId> {
        self.nodes
            .range(..=id)
            .next_back()
            .map(|(master, _)| *master)
    }

    /// The IDs of the live entries of the node starting at `master`.
    fn node_entries(&self, master: StreamId) -> Vec<StreamId> {
        let next = self.nodes.range(master..).nth(1).map(|(next, _)| *next);
        let range = self.entries.range(master..);
        match next {
            Some(next) => range
                .take_while(|(id, _)| **id < next)
                .map(|(id, _)| *id)
                .collect(),
            None => range.map(|(id, _)| *id).collect(),
        }
    }

    /// Deletes one entry (XDEL's streamDeleteItem); whether it existed.
    pub(crate) fn delete(&mut self, id: StreamId) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        if let Some(master) = self.node_of(id) {
            let node = self.nodes.get_mut(&master).expect("node of an entry");
            if node.live <= 1 {
                self.nodes.remove(&master);
            } else {
                node.live -= 1;
                node.deleted = node.deleted.saturating_add(1);
            }
        }
        true
    }

    /// Records the first live ID after deletions (streamGetEdgeID skipping tombstones).
    pub(crate) fn refresh_first_id(&mut self) {
        self.first_id = self
            .entries
            .first_key_value()
            .map_or(StreamId::MIN, |(id, _)| *id);
    }

    /// Trims as streamTrim; returns how many entries were removed.
    pub(crate) fn trim(&mut self, trim: Trim) -> u64 {
        let mut deleted: u64 = 0;
        let masters: Vec<StreamId> = self.nodes.keys().copied().collect();
        for master in masters {
            let len = self.entries.len() as u64;
            if let TrimStrategy::MaxLen(max) = trim.strategy {
                if len <= max {
                    break;
                }
            }
            let node = &self.nodes[&master];
            let live = node.live;
            if trim.limit != 0 && deleted.saturating_add(live) > trim.limit {
                break;
            }
            let whole = match trim.strategy {
                TrimStrategy::MaxLen(max) => len - live.min(len) >= max,
                TrimStrategy::MinId(min) => node.last_id < min,
            };
            let ids = self.node_entries(master);
            if whole {
                for id in &ids {
                    self.entries.remove(id);
                }
                self.nodes.remove(&master);
                deleted = deleted.saturating_add(live);
                continue;
            }
            if trim.approx {
                break;
            }
            let mut marked = 0;
            for id in ids {
                let stop = match trim.strategy {
                    TrimStrategy::MaxLen(max) => self.entries.len() as u64 <= max,
                    TrimStrategy::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                self.entries.remove(&id);
                marked += 1;
            }
            let node = self.nodes.get_mut(&master).expect("node being trimmed");
            node.live = node.live.saturating_sub(marked);
            node.deleted = node.deleted.saturating_add(marked);
            deleted += marked;
            break;
        }
        if self.entries.is_empty() {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// Whether a deleted entry may lie between `start` and `end` (streamRangeHasTombstones).
    pub(crate) fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.entries.is_empty() || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id && self.max_deleted_id <= end
    }

    /// The read counter of `id`, if it can be known (streamEstimateDistanceFromFirstEverEntry).
    pub(crate) fn estimate_distance(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.entries.is_empty() && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        }
        if id > self.last_id {
            return ENTRIES_READ_INVALID;
        }
        let len = self.entries.len() as i64;
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return added.wrapping_sub(len);
            }
            if id == self.first_id {
                return added.wrapping_sub(len).wrapping_add(1);
            }
        }
        ENTRIES_READ_INVALID
    }

    /// A group's lag, None when it cannot be known (streamReplyWithCGLag).
    pub(crate) fn lag(&self, group: &ConsumerGroup) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != ENTRIES_READ_INVALID
            && !self.range_has_tombstones(group.last_id, StreamId::MAX)
        {
            return Some(added.wrapping_sub(group.entries_read));
        }
        let read = self.estimate_distance(group.last_id);
        (read != ENTRIES_READ_INVALID).then_some(added.wrapping_sub(read))
    }

    /// Nodes of the radix tree Redis would hold for this stream's node keys: a canonical
    /// radix tree (compressed chains, branch nodes, key leaves). Redis's rax may keep a
    /// different shape after deletions, so this is an estimate (see docs/commands.md).
    pub(crate) fn radix_tree_nodes(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|id| id.rax_key()).collect();
        rax_nodes(&keys, 0)
    }

    pub(crate) fn radix_tree_keys(&self) -> u64 {
        self.nodes.len() as u64
    }

    /// Appends this value in the snapshot format (deterministic: equal values, equal bytes).
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        put_id(out, self.last_id);
        put_id(out, self.first_id);
        put_id(out, self.max_deleted_id);
        put_u64(out, self.entries_added);
        put_u64(out, self.nodes.len() as u64);
        for (master, node) in &self.nodes {
            put_id(out, *master);
            put_u64(out, node.live);
            put_u64(out, node.deleted);
            put_u64(out, node.body_bytes);
            put_id(out, node.last_id);
            put_u64(out, node.master_fields.len() as u64);
            for field in &node.master_fields {
                put_bytes(out, field);
            }
        }
        put_u64(out, self.entries.len() as u64);
        for (id, fields) in &self.entries {
            put_id(out, *id);
            put_u64(out, fields.len() as u64);
            for field in fields {
                put_bytes(out, field);
            }
        }
        put_u64(out, self.groups.len() as u64);
        for (name, group) in &self.groups {
            put_bytes(out, name);
            group.encode_snapshot(out);
        }
    }

    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<StreamValue, SnapshotError> {
        let mut stream = StreamValue {
            last_id: get_id(reader)?,
            first_id: get_id(reader)?,
            max_deleted_id: get_id(reader)?,
            entries_added: reader.u64()?,
            ..StreamValue::default()
        };
        for _ in 0..reader.u64()? {
            let master = get_id(reader)?;
            let live = reader.u64()?;
            let deleted = reader.u64()?;
            let body_bytes = reader.u64()?;
            let last_id = get_id(reader)?;
            let mut master_fields = Vec::new();
            for _ in 0..reader.u64()? {
                master_fields.push(reader.bytes()?.to_vec());
            }
            let node = Node {
                live,
                deleted,
                body_bytes,
                master_fields,
                last_id,
            };
            stream.nodes.insert(master, node);
        }
        for _ in 0..reader.u64()? {
            let id = get_id(reader)?;
            let mut fields = Vec::new();
            for _ in 0..reader.u64()? {
                fields.push(reader.bytes()?.to_vec());
            }
            stream.entries.insert(id, fields);
        }
        for _ in 0..reader.u64()? {
            let name = reader.bytes()?.to_vec();
            let group = ConsumerGroup::decode_snapshot(reader)?;
            stream.groups.insert(name, group);
        }
        Ok(stream)
    }
}

/// Node count of a canonical radix tree over equal-length keys, sorted (see
/// [`StreamValue::radix_tree_nodes`]).
fn rax_nodes(keys: &[[u8; 16]], depth: usize) -> u64 {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
        return 1;
    };
    if depth == 16 {
        return 1;
    }
    let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
    if common > 0 {
        return 1 + rax_nodes(keys, depth + common);
    }
    let mut total = 1;
    let mut rest = keys;
    while let Some(head) = rest.first() {
        let byte = head[depth];
        let split = rest
            .iter()
            .position(|k| k[depth] != byte)
            .unwrap_or(rest.len());
        total += rax_nodes(&rest[..split], depth + 1);
        rest = &rest[split..];
    }
    total
}
