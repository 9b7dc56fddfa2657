//! DUMP and RESTORE (cluster.c's dumpCommand/restoreCommand) with Redis 7.0's serialization
//! (rdb.c's rdbSaveObject/rdbLoadObject), so values move between redis-server and redraft in
//! both directions.
//!
//! A payload is the RDB type byte, the object, the RDB version (2 bytes little-endian, 10 for
//! 7.0) and the CRC-64 of everything before it (8 bytes little-endian). DUMP writes what Redis
//! 7.0 writes for the same value and encoding (listpack blobs for compact hashes and sorted
//! sets, an intset for integer sets, quicklist nodes of listpacks for lists, LZF for long
//! strings), so small values dump to identical bytes. RESTORE reads everything 7.0 writes and
//! the older types it still loads, whatever RDB version up to 10 the footer names: ziplists
//! (lists, quicklists of them, hashes, sorted sets), zipmap hashes, the plain list, the
//! text-score sorted set, and streams without 7.0's counters (which it derives as 7.0 does).
//! Streams are written as 7.0's STREAM_LISTPACKS_2 with live entries only (see
//! [`stream`]). The byte-level encodings are in [`codec`], the two commands in [`commands`].

pub(crate) mod codec;
mod commands;
mod stream;

use std::collections::BTreeSet;

use codec::{Bad, Element, Input};

use crate::args;
use crate::config::EncodingConfig;
use crate::hash::HashValue;
use crate::keyspace::Value;
use crate::list::{End, ListValue};
use crate::ostree::cmp_entries;
use crate::reply::Reply;
use crate::score;
use crate::set::SetValue;
use crate::zset::ZSetValue;

pub(crate) use commands::COMMANDS;

/// RDB_VERSION of Redis 7.0: payloads of a newer version are refused.
const RDB_VERSION: u16 = 10;

const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_HASH_ZIPMAP: u8 = 9;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
const TYPE_STREAM_LISTPACKS: u8 = 15;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;
const TYPE_STREAM_LISTPACKS_2: u8 = 19;

/// Quicklist node containers.
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// list-max-listpack-size -2: a quicklist node's listpack stays within 8 KiB.
const QUICKLIST_NODE_BYTES_MAX: usize = 8192;

pub const CHECKSUM_ERROR: &str = "ERR DUMP payload version or checksum are wrong";
pub const BAD_FORMAT: &str = "ERR Bad data format";
pub const BUSYKEY: &str = "BUSYKEY Target key name already exists.";

// ---------------------------------------------------------------------------------------
// Serialization.

/// The DUMP payload of `value`.
pub fn serialize(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        Value::String(bytes) => {
            out.push(TYPE_STRING);
            codec::put_string(&mut out, bytes);
        }
        Value::List(list) => {
            out.push(TYPE_LIST_QUICKLIST_2);
            put_quicklist(&mut out, list);
        }
        Value::Set(set) => put_set(&mut out, set),
        Value::ZSet(zset) => put_zset(&mut out, zset),
        Value::Hash(hash) => put_hash(&mut out, hash),
        Value::Stream(value) => {
            out.push(TYPE_STREAM_LISTPACKS_2);
            stream::put_stream(&mut out, value);
        }
    }
    seal(&mut out);
    out
}

/// Ends a payload as DUMP ends it: the RDB version and the CRC-64 of everything before.
pub(crate) fn seal(out: &mut Vec<u8>) {
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = codec::crc64(0, out);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// _quicklistNodeAllowInsert with fill -2 (Redis 7.0.15): the node's listpack size plus the
/// element's length plus an 8-byte estimate of the entry overhead stays within 8 KiB.
fn node_accepts(node_bytes: usize, len: usize) -> bool {
    node_bytes + len + 8 <= QUICKLIST_NODE_BYTES_MAX
}

/// The list as quicklist nodes, filled as consecutive RPUSHes fill them.
fn put_quicklist(out: &mut Vec<u8>, list: &ListValue) {
    let mut nodes: Vec<Vec<&[u8]>> = Vec::new();
    let mut node_bytes = 0usize;
    for item in list.iter() {
        match nodes.last_mut() {
            Some(node) if node_accepts(node_bytes, item.len()) => {
                node.push(item);
                node_bytes += codec::listpack_entry_size(item);
            }
            _ => {
                nodes.push(vec![item]);
                // An empty listpack is 7 bytes.
                node_bytes = 7 + codec::listpack_entry_size(item);
            }
        }
    }
    codec::put_len(out, nodes.len() as u64);
    for node in nodes {
        codec::put_len(out, CONTAINER_PACKED);
        codec::put_string(out, &codec::listpack(node));
    }
}

fn put_set(out: &mut Vec<u8>, set: &SetValue) {
    if set.encoding_name() == "intset" {
        let ints: Vec<i64> = set
            .iter()
            .filter_map(|member| args::parse_i64(&member))
            .collect();
        out.push(TYPE_SET_INTSET);
        codec::put_string(out, &codec::intset(&ints));
        return;
    }
    out.push(TYPE_SET);
    codec::put_len(out, set.len() as u64);
    for member in set.iter() {
        codec::put_string(out, &member);
    }
}

fn put_zset(out: &mut Vec<u8>, zset: &ZSetValue) {
    let entries = zset.entries();
    if zset.encoding_name() == "listpack" {
        let scores: Vec<Vec<u8>> = entries
            .iter()
            .map(|(s, _)| score::d2string(*s).into_bytes())
            .collect();
        let elements = entries
            .iter()
            .zip(&scores)
            .flat_map(|((_, m), s)| [m.as_slice(), s.as_slice()]);
        out.push(TYPE_ZSET_LISTPACK);
        codec::put_string(out, &codec::listpack(elements));
        return;
    }
    // The skiplist from its tail, so that loading inserts at the head.
    out.push(TYPE_ZSET_2);
    codec::put_len(out, entries.len() as u64);
    for (score, member) in entries.iter().rev() {
        codec::put_string(out, member);
        out.extend_from_slice(&score.to_le_bytes());
    }
}

fn put_hash(out: &mut Vec<u8>, hash: &HashValue) {
    if hash.encoding_name() == "listpack" {
        out.push(TYPE_HASH_LISTPACK);
        let elements = hash.iter().flat_map(|(f, v)| [f, v]);
        codec::put_string(out, &codec::listpack(elements));
        return;
    }
    out.push(TYPE_HASH);
    codec::put_len(out, hash.len() as u64);
    for (field, value) in hash.iter() {
        codec::put_string(out, field);
        codec::put_string(out, value);
    }
}

// ---------------------------------------------------------------------------------------
// Deserialization.

/// Why a payload is refused, with Redis's reply for each.
#[derive(Debug, PartialEq)]
pub enum PayloadError {
    /// Too short, a newer RDB version, or a wrong checksum.
    Checksum,
    /// Anything wrong inside (unknown type, truncation, bad encodings, an empty value).
    BadFormat,
}

impl From<Bad> for PayloadError {
    fn from(_: Bad) -> Self {
        PayloadError::BadFormat
    }
}

impl PayloadError {
    fn reply(&self) -> Reply {
        match self {
            PayloadError::Checksum => Reply::error(CHECKSUM_ERROR),
            PayloadError::BadFormat => Reply::error(BAD_FORMAT),
        }
    }
}

/// verifyDumpPayload: the footer's version is at most 10 and its CRC matches.
pub(crate) fn verify(payload: &[u8]) -> Result<&[u8], PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::Checksum);
    }
    let (body, crc) = payload.split_at(payload.len() - 8);
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    if version > RDB_VERSION {
        return Err(PayloadError::Checksum);
    }
    if codec::crc64(0, body).to_le_bytes() != crc {
        return Err(PayloadError::Checksum);
    }
    Ok(&body[..body.len() - 2])
}

/// The value a DUMP payload holds, in the encodings `limits` give for its size (as Redis
/// judges a loaded value by its own configuration). Never panics on any input; allocations
/// are bounded by the payload's length.
pub fn deserialize(payload: &[u8], limits: &EncodingConfig) -> Result<Value, PayloadError> {
    let body = verify(payload)?;
    let mut input = Input::new(body);
    let kind = input.u8()?;
    Ok(load_object(kind, &mut input, limits)?)
}

/// The elements of a listpack blob, or of a ziplist (what versions before 7.0 wrote).
fn packed_elements(blob: &[u8], listpack: bool) -> codec::Result<Vec<Vec<u8>>> {
    let elements = if listpack {
        codec::parse_listpack(blob)?
    } else {
        codec::parse_ziplist(blob)?
    };
    Ok(elements.into_iter().map(Element::into_bytes).collect())
}

fn load_object(kind: u8, input: &mut Input, limits: &EncodingConfig) -> codec::Result<Value> {
    let value = match kind {
        TYPE_STRING => Value::String(input.string()?),
        TYPE_LIST => {
            let count = input.count(1)?;
            let items = (0..count)
                .map(|_| input.string())
                .collect::<codec::Result<Vec<_>>>()?;
            list_value(items)?
        }
        TYPE_LIST_ZIPLIST => list_value(packed_elements(&input.string()?, false)?)?,
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = input.count(1)?;
            let mut items = Vec::new();
            for _ in 0..nodes {
                let container = if kind == TYPE_LIST_QUICKLIST_2 {
                    input.len()?
                } else {
                    CONTAINER_PACKED
                };
                let blob = input.string()?;
                if blob.is_empty() {
                    return Err(Bad);
                }
                match container {
                    CONTAINER_PLAIN => items.push(blob),
                    CONTAINER_PACKED => {
                        items.extend(packed_elements(&blob, kind == TYPE_LIST_QUICKLIST_2)?)
                    }
                    _ => return Err(Bad),
                }
            }
            list_value(items)?
        }
        TYPE_SET => {
            let count = input.count(1)?;
            let members = (0..count)
                .map(|_| input.string())
                .collect::<codec::Result<Vec<_>>>()?;
            set_value(members, limits)?
        }
        TYPE_SET_INTSET => {
            let ints = codec::parse_intset(&input.string()?)?;
            set_value(
                ints.iter().map(|n| n.to_string().into_bytes()).collect(),
                limits,
            )?
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let count = input.count(2)?;
            let mut entries = Vec::with_capacity(count);
            for _ in 0..count {
                let member = input.string()?;
                let score = if kind == TYPE_ZSET_2 {
                    input.binary_double()?
                } else {
                    input.text_double()?
                };
                entries.push((score, member));
            }
            zset_value(entries, limits)?
        }
        TYPE_ZSET_LISTPACK | TYPE_ZSET_ZIPLIST => {
            let blob = input.string()?;
            let pairs = pairs(packed_elements(&blob, kind == TYPE_ZSET_LISTPACK)?)?;
            let entries = pairs
                .into_iter()
                .map(|(member, score)| Ok((codec::parse_double(&score)?, member)))
                .collect::<codec::Result<Vec<_>>>()?;
            zset_value(entries, &packed_limits(limits))?
        }
        TYPE_HASH => {
            let count = input.count(2)?;
            let mut fields = Vec::with_capacity(count);
            for _ in 0..count {
                fields.push((input.string()?, input.string()?));
            }
            hash_value(fields, limits)?
        }
        TYPE_HASH_ZIPMAP => hash_value(codec::parse_zipmap(&input.string()?)?, limits)?,
        TYPE_HASH_LISTPACK | TYPE_HASH_ZIPLIST => {
            let blob = input.string()?;
            let fields = pairs(packed_elements(&blob, kind == TYPE_HASH_LISTPACK)?)?;
            hash_value(fields, &packed_limits(limits))?
        }
        TYPE_STREAM_LISTPACKS => Value::Stream(Box::new(stream::load_stream(input, false)?)),
        TYPE_STREAM_LISTPACKS_2 => Value::Stream(Box::new(stream::load_stream(input, true)?)),
        _ => return Err(Bad),
    };
    Ok(value)
}

/// The limits for a hash or sorted set loaded from a listpack or ziplist: Redis 7.0 converts
/// those by their count alone, so long elements stay compact (up to the engine's own cap on a
/// compact element, [`crate::config::COMPACT_VALUE_CAP`]).
fn packed_limits(limits: &EncodingConfig) -> EncodingConfig {
    EncodingConfig {
        hash_max_listpack_value: u64::MAX,
        zset_max_listpack_value: u64::MAX,
        ..*limits
    }
}

fn pairs(flat: Vec<Vec<u8>>) -> codec::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    if !flat.len().is_multiple_of(2) {
        return Err(Bad);
    }
    let mut iter = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(a), Some(b)) = (iter.next(), iter.next()) {
        out.push((a, b));
    }
    Ok(out)
}

fn list_value(items: Vec<Vec<u8>>) -> codec::Result<Value> {
    if items.is_empty() {
        return Err(Bad);
    }
    let mut list = ListValue::default();
    for item in items {
        list.push(End::Right, &item);
    }
    Ok(Value::List(list))
}

/// A set built member by member as rdbLoadObject does: an intset while members are integers
/// and few, a hash table otherwise. Repeated members are corrupt.
fn set_value(members: Vec<Vec<u8>>, limits: &EncodingConfig) -> codec::Result<Value> {
    if members.is_empty() {
        return Err(Bad);
    }
    let mut set = SetValue::default();
    for member in members {
        if !set.add(&member, limits) {
            return Err(Bad);
        }
    }
    Ok(Value::Set(Box::new(set)))
}

/// A sorted set, compact when it fits (as Redis converts after loading). NaN scores and
/// repeated members are corrupt.
fn zset_value(mut entries: Vec<(f64, Vec<u8>)>, limits: &EncodingConfig) -> codec::Result<Value> {
    if entries.is_empty() || entries.iter().any(|(s, _)| s.is_nan()) {
        return Err(Bad);
    }
    let distinct: BTreeSet<&[u8]> = entries.iter().map(|(_, m)| m.as_slice()).collect();
    if distinct.len() != entries.len() {
        return Err(Bad);
    }
    entries.sort_by(|a, b| cmp_entries((a.0, &a.1), (b.0, &b.1)));
    Ok(Value::ZSet(ZSetValue::from_sorted(entries, limits)))
}

/// A hash built field by field (a listpack until a field or value is too long or the fields
/// too many). Repeated fields are corrupt.
fn hash_value(fields: Vec<(Vec<u8>, Vec<u8>)>, limits: &EncodingConfig) -> codec::Result<Value> {
    if fields.is_empty() {
        return Err(Bad);
    }
    let mut hash = HashValue::default();
    for (field, value) in fields {
        if !hash.set(&field, value, limits) {
            return Err(Bad);
        }
    }
    Ok(Value::Hash(hash))
}

#[cfg(test)]
mod tests;
