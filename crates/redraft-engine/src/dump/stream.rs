//! Streams as RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0): the listpack nodes keyed by their
//! master IDs, the stream's IDs and counters, then each consumer group with its pending
//! entries and consumers. RESTORE also reads RDB_TYPE_STREAM_LISTPACKS (before 7.0): the same
//! without the counters.
//!
//! Each node is written with its live entries only (the engine keeps no tombstones), its
//! first live entry's fields as the master fields; a stream never trimmed or deleted from thus
//! dumps to Redis's bytes. Loading rebuilds the node model by appending the live entries.

use std::collections::BTreeMap;

use super::codec::{self, Bad, Element, Input, Result};
use crate::stream::{Consumer, ConsumerGroup, PendingEntry, StreamId, StreamValue};

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

/// A node's live entries: ID and field, value, field, value...
type NodeEntries<'a> = Vec<(StreamId, &'a Vec<Vec<u8>>)>;

fn put_raw_id(out: &mut Vec<u8>, id: StreamId) {
    out.extend_from_slice(&id.ms.to_be_bytes());
    out.extend_from_slice(&id.seq.to_be_bytes());
}

fn raw_id(bytes: &[u8]) -> Result<StreamId> {
    if bytes.len() != 16 {
        return Err(Bad);
    }
    let ms = u64::from_be_bytes(bytes[..8].try_into().map_err(|_| Bad)?);
    let seq = u64::from_be_bytes(bytes[8..].try_into().map_err(|_| Bad)?);
    Ok(StreamId::new(ms, seq))
}

fn put_int(elements: &mut Vec<Vec<u8>>, n: i64) {
    elements.push(n.to_string().into_bytes());
}

/// One node's listpack: master entry, then each entry (streamAppendItem's layout).
fn node_listpack(master: StreamId, entries: &[(StreamId, &Vec<Vec<u8>>)]) -> Vec<u8> {
    let master_fields: Vec<&Vec<u8>> = entries[0].1.iter().step_by(2).collect();
    let mut elements: Vec<Vec<u8>> = Vec::new();
    put_int(&mut elements, entries.len() as i64);
    put_int(&mut elements, 0);
    put_int(&mut elements, master_fields.len() as i64);
    elements.extend(master_fields.iter().map(|f| f.to_vec()));
    put_int(&mut elements, 0);
    for (id, fields) in entries {
        let names: Vec<&Vec<u8>> = fields.iter().step_by(2).collect();
        let same = names == master_fields;
        let numfields = names.len() as i64;
        put_int(&mut elements, if same { FLAG_SAMEFIELDS } else { 0 });
        put_int(&mut elements, id.ms.wrapping_sub(master.ms) as i64);
        put_int(&mut elements, id.seq.wrapping_sub(master.seq) as i64);
        if same {
            elements.extend(fields.iter().skip(1).step_by(2).cloned());
            put_int(&mut elements, numfields + 3);
        } else {
            put_int(&mut elements, numfields);
            elements.extend(fields.iter().cloned());
            put_int(&mut elements, numfields * 2 + 4);
        }
    }
    codec::listpack(elements.iter().map(Vec::as_slice))
}

pub fn put_stream(out: &mut Vec<u8>, stream: &StreamValue) {
    let masters: Vec<StreamId> = stream.nodes.keys().copied().collect();
    let mut nodes: Vec<(StreamId, NodeEntries)> = Vec::new();
    for (i, master) in masters.iter().enumerate() {
        let end = masters.get(i + 1).copied();
        let entries: Vec<_> = stream
            .entries
            .range(*master..)
            .take_while(|(id, _)| end.is_none_or(|end| **id < end))
            .map(|(id, fields)| (*id, fields))
            .collect();
        if !entries.is_empty() {
            nodes.push((*master, entries));
        }
    }
    codec::put_len(out, nodes.len() as u64);
    for (master, entries) in &nodes {
        let mut key = Vec::with_capacity(16);
        put_raw_id(&mut key, *master);
        codec::put_string(out, &key);
        codec::put_string(out, &node_listpack(*master, entries));
    }
    codec::put_len(out, stream.entries.len() as u64);
    for id in [stream.last_id, stream.first_id, stream.max_deleted_id] {
        codec::put_len(out, id.ms);
        codec::put_len(out, id.seq);
    }
    codec::put_len(out, stream.entries_added);
    codec::put_len(out, stream.groups.len() as u64);
    for (name, group) in &stream.groups {
        codec::put_string(out, name);
        codec::put_len(out, group.last_id.ms);
        codec::put_len(out, group.last_id.seq);
        codec::put_len(out, group.entries_read as u64);
        codec::put_len(out, group.pel.len() as u64);
        for (id, pending) in &group.pel {
            put_raw_id(out, *id);
            out.extend_from_slice(&pending.delivery_time_ms.to_le_bytes());
            codec::put_len(out, pending.delivery_count);
        }
        codec::put_len(out, group.consumers.len() as u64);
        for (name, consumer) in &group.consumers {
            codec::put_string(out, name);
            out.extend_from_slice(&consumer.seen_time_ms.to_le_bytes());
            codec::put_len(out, consumer.pending.len() as u64);
            for id in &consumer.pending {
                put_raw_id(out, *id);
            }
        }
    }
}

fn int(element: Option<Element>) -> Result<i64> {
    match element {
        Some(Element::Int(n)) => Ok(n),
        Some(Element::Str(bytes)) => crate::args::parse_i64(&bytes).ok_or(Bad),
        None => Err(Bad),
    }
}

fn count(element: Option<Element>) -> Result<usize> {
    usize::try_from(int(element)?).map_err(|_| Bad)
}

/// The live entries of one node's listpack, in order.
fn parse_node(master: StreamId, blob: &[u8]) -> Result<Vec<(StreamId, Vec<Vec<u8>>)>> {
    let elements = codec::parse_listpack(blob)?;
    let total = elements.len();
    let mut it = elements.into_iter();
    let live = count(it.next())?;
    let deleted = count(it.next())?;
    let master_count = count(it.next())?;
    if master_count > total {
        return Err(Bad);
    }
    let mut master_fields = Vec::with_capacity(master_count);
    for _ in 0..master_count {
        master_fields.push(it.next().ok_or(Bad)?.into_bytes());
    }
    if int(it.next())? != 0 {
        return Err(Bad);
    }
    let mut entries = Vec::new();
    let mut seen = 0usize;
    while let Some(flags) = it.next() {
        let flags = int(Some(flags))?;
        let ms = master.ms.wrapping_add(int(it.next())? as u64);
        let seq = master.seq.wrapping_add(int(it.next())? as u64);
        let mut fields = Vec::new();
        let expected_count = if flags & FLAG_SAMEFIELDS != 0 {
            for name in &master_fields {
                fields.push(name.clone());
                fields.push(it.next().ok_or(Bad)?.into_bytes());
            }
            master_fields.len() + 3
        } else {
            let numfields = count(it.next())?;
            if numfields > total {
                return Err(Bad);
            }
            for _ in 0..numfields * 2 {
                fields.push(it.next().ok_or(Bad)?.into_bytes());
            }
            numfields * 2 + 4
        };
        if count(it.next())? != expected_count || fields.is_empty() {
            return Err(Bad);
        }
        seen += 1;
        if flags & FLAG_DELETED == 0 {
            entries.push((StreamId::new(ms, seq), fields));
        }
    }
    if entries.len() != live || seen != live + deleted || entries.is_empty() {
        return Err(Bad);
    }
    Ok(entries)
}

fn load_id(input: &mut Input) -> Result<StreamId> {
    Ok(StreamId::new(input.len()?, input.len()?))
}

fn millis(input: &mut Input) -> Result<i64> {
    let bytes = input.take(8)?;
    Ok(i64::from_le_bytes(bytes.try_into().map_err(|_| Bad)?))
}

/// A stream as RDB_TYPE_STREAM_LISTPACKS_2 (`with_counters`) or as the older
/// RDB_TYPE_STREAM_LISTPACKS, which lacks the first ID, the largest deleted ID, the count of
/// entries ever added and each group's read counter: those are derived as 7.0 derives them.
pub fn load_stream(input: &mut Input, with_counters: bool) -> Result<StreamValue> {
    let nodes = input.count(2)?;
    let mut stream = StreamValue::default();
    let mut last_appended: Option<StreamId> = None;
    for _ in 0..nodes {
        let master = raw_id(&input.string()?)?;
        let blob = input.string()?;
        for (id, fields) in parse_node(master, &blob)? {
            if last_appended.is_some_and(|last| id <= last) || id < master {
                return Err(Bad);
            }
            last_appended = Some(id);
            stream.append(id, fields);
        }
    }
    let length = input.len()?;
    if length != stream.entries.len() as u64 {
        return Err(Bad);
    }
    let last_id = load_id(input)?;
    if last_appended.is_some_and(|last| last > last_id) {
        return Err(Bad);
    }
    stream.last_id = last_id;
    if with_counters {
        stream.first_id = load_id(input)?;
        stream.max_deleted_id = load_id(input)?;
        stream.entries_added = input.len()?;
    } else {
        // Every live entry counts as added and none as deleted; the first ID is the first
        // live entry's, or (as 7.0 records it for an empty stream) the largest ID.
        stream.max_deleted_id = StreamId::MIN;
        stream.entries_added = length;
        stream.first_id = stream
            .entries
            .first_key_value()
            .map_or(StreamId::MAX, |(id, _)| *id);
    }
    let groups = input.count(1)?;
    for _ in 0..groups {
        let name = input.string()?;
        let group = load_group(input, &stream, with_counters)?;
        if stream.groups.insert(name, group).is_some() {
            return Err(Bad);
        }
    }
    Ok(stream)
}

/// One consumer group: its last delivered ID, read counter (estimated from the stream when
/// the payload has none), pending entries, and consumers owning every one of them.
fn load_group(
    input: &mut Input,
    stream: &StreamValue,
    with_counters: bool,
) -> Result<ConsumerGroup> {
    let group_last = load_id(input)?;
    let entries_read = if with_counters {
        input.len()? as i64
    } else {
        stream.estimate_distance(group_last)
    };
    let mut group = ConsumerGroup::new(group_last, entries_read);
    let pending = input.count(17)?;
    let mut unowned: BTreeMap<StreamId, (i64, u64)> = BTreeMap::new();
    for _ in 0..pending {
        let id = raw_id(input.take(16)?)?;
        let time = millis(input)?;
        let delivery_count = input.len()?;
        if unowned.insert(id, (time, delivery_count)).is_some() {
            return Err(Bad);
        }
    }
    let consumers = input.count(9)?;
    for _ in 0..consumers {
        let consumer_name = input.string()?;
        let seen_time_ms = millis(input)?;
        let owned = input.count(16)?;
        let mut consumer = Consumer {
            seen_time_ms,
            pending: Default::default(),
        };
        for _ in 0..owned {
            let id = raw_id(input.take(16)?)?;
            let (time, delivery_count) = unowned.remove(&id).ok_or(Bad)?;
            consumer.pending.insert(id);
            group.pel.insert(
                id,
                PendingEntry {
                    consumer: consumer_name.clone(),
                    delivery_time_ms: time,
                    delivery_count,
                },
            );
        }
        if group.consumers.insert(consumer_name, consumer).is_some() {
            return Err(Bad);
        }
    }
    if !unowned.is_empty() {
        return Err(Bad);
    }
    Ok(group)
}
