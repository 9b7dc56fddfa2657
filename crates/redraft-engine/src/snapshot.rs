//! The snapshot format: the whole keyspace as versioned bytes.
//!
//! Layout (integers little-endian): magic `RDRFSNAP`, format version (u32), engine time (u64),
//! the replicated configuration (thirteen u64, see [`EncodingConfig::to_values`]), the index of
//! the last entry applied (u64), then for each of the 16 databases its entry count (u64), its
//! entries in keyspace order: key (u32 length + bytes), deadline (u8 0/1 + u64), type tag (u8,
//! a string built in place having a tag of its own),
//! value (per type); and its table of changes for WATCH (see [`Changes`]): the entry that last
//! changed the whole database (u64), then the count of changed buckets (u32) and each as its
//! position (u32) and entry index (u64), in order. Last, the script cache: its count (u64) and
//! each script's body (u32 length + bytes) in the order of their SHA-1 names, which loading
//! computes again. Then the function libraries (see [`Libraries::encode_snapshot`]): their
//! code and what each registered, so that loading runs no Lua. Then the waiters of blocking
//! commands (see [`Waiters::encode_snapshot`]), the pub/sub subscriptions (see
//! [`Subscriptions::encode_snapshot`]), the locks (see [`Locks::encode_snapshot`]), and last
//! the ACL users (see [`Users::encode_snapshot`]).
//! Entries past their deadline are kept: a sweep entry deletes them, on every replica alike.

use crate::acl::users::Users;
use crate::blocking::waiters::Waiters;
use crate::config::{EncodingConfig, PARAM_COUNT};
use crate::function::library::Libraries;
use crate::hash::value::HashValue;
use crate::keyspace::{Changes, Entry, Keyspace, Value, CHANGE_BUCKETS};
use crate::list::value::ListValue;
use crate::lock::table::Locks;
use crate::pubsub::registry::Subscriptions;
use crate::set::value::SetValue;
use crate::stream::value::StreamValue;
use crate::table;
use crate::wire::{put_bytes, Reader};
use crate::zset::value::ZSetValue;
use crate::DATABASES;

pub use crate::wire::SnapshotError;

const MAGIC: &[u8; 8] = b"RDRFSNAP";
/// Version 2 added the replicated configuration after the engine time; version 3 the applied
/// index and each database's table of changes; version 4 the script limits (two more values of
/// the configuration) and the script cache; version 5 the function libraries; version 6 the
/// waiters of blocking commands; version 7 the registry of pub/sub subscriptions; version 8
/// notify-keyspace-events (one more value of the configuration) and the lock service's table;
/// version 9 the ACL users; version 10 the type tag of a string built in place (OBJECT
/// ENCODING's "raw", see [`Entry::is_raw_string`]); version 11 the memory parameters (maxmemory,
/// maxmemory-policy, maxmemory-samples, lfu-log-factor, lfu-decay-time: five more values of the
/// configuration); version 12 five more (list-*, stream-node-*, hll-sparse-max-bytes). Older
/// snapshots still load, with the default configuration (for
/// what they lack), no change recorded (the applied index then comes with the next entry), no
/// script cached, no library, no lock and only the default user.
pub(crate) const VERSION: u32 = 12;
/// How many values of the configuration a snapshot of each version holds.
fn config_values(version: u32) -> usize {
    match version {
        ..=1 => 0,
        2 | 3 => 5,
        4..=7 => 7,
        8..=10 => 8,
        11 => 13,
        _ => PARAM_COUNT,
    }
}
const TAG_STRING: u8 = 0;
const TAG_HASH: u8 = 1;
const TAG_LIST: u8 = 2;
const TAG_SET: u8 = 3;
const TAG_ZSET: u8 = 4;
const TAG_STREAM: u8 = 5;
/// A string built in place (version 10 on; older versions write it as [`TAG_STRING`]).
const TAG_RAW_STRING: u8 = 6;

pub fn encode(keyspace: &Keyspace, now_ms: u64) -> Vec<u8> {
    encode_as(keyspace, now_ms, VERSION)
}

/// The snapshot in format `version` (older ones for the tests that they still load).
pub(crate) fn encode_as(keyspace: &Keyspace, now_ms: u64, version: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&now_ms.to_le_bytes());
    let values = keyspace.encoding.to_values();
    for value in &values[..config_values(version)] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    if version >= 3 {
        out.extend_from_slice(&keyspace.applied_index.to_le_bytes());
    }
    for db in &keyspace.dbs {
        out.extend_from_slice(&(db.stored_len() as u64).to_le_bytes());
        for (key, entry) in db.iter_all() {
            put_bytes(&mut out, key.bytes());
            match entry.deadline_ms() {
                Some(deadline) => {
                    out.push(1);
                    out.extend_from_slice(&deadline.to_le_bytes());
                }
                None => out.push(0),
            }
            encode_value(&mut out, entry, version);
        }
        if version >= 3 {
            encode_changes(&mut out, &db.changes);
        }
    }
    if version >= 4 {
        out.extend_from_slice(&(keyspace.scripts.len() as u64).to_le_bytes());
        for body in keyspace.scripts.bodies() {
            put_bytes(&mut out, body);
        }
    }
    if version >= 5 {
        keyspace.functions.encode_snapshot(&mut out);
    }
    if version >= 6 {
        keyspace.waiters.encode_snapshot(&mut out);
    }
    if version >= 7 {
        keyspace.subscriptions.encode_snapshot(&mut out);
    }
    if version >= 8 {
        keyspace.locks.encode_snapshot(&mut out);
    }
    if version >= 9 {
        keyspace.users.encode_snapshot(table::catalog(), &mut out);
    }
    out
}

fn encode_changes(out: &mut Vec<u8>, changes: &Changes) {
    out.extend_from_slice(&changes.whole_db.to_le_bytes());
    let buckets = changes.buckets.as_deref().unwrap_or_default();
    let changed: Vec<(usize, u64)> = buckets
        .iter()
        .enumerate()
        .filter(|(_, &index)| index != 0)
        .map(|(bucket, &index)| (bucket, index))
        .collect();
    out.extend_from_slice(&(changed.len() as u32).to_le_bytes());
    for (bucket, index) in changed {
        out.extend_from_slice(&(bucket as u32).to_le_bytes());
        out.extend_from_slice(&index.to_le_bytes());
    }
}

fn decode_changes(reader: &mut Reader, now_index: u64) -> Result<Changes, SnapshotError> {
    let whole_db = reader.u64()?;
    let count = reader.u32()? as usize;
    let mut buckets = None;
    if count > 0 {
        let mut table = vec![0; CHANGE_BUCKETS].into_boxed_slice();
        for _ in 0..count {
            let bucket = reader.u32()? as usize;
            let slot = table.get_mut(bucket).ok_or(SnapshotError::OutOfRange)?;
            *slot = reader.u64()?;
        }
        buckets = Some(table);
    }
    Ok(Changes {
        now_index,
        buckets,
        whole_db,
        ..Changes::default()
    })
}

fn encode_value(out: &mut Vec<u8>, entry: &Entry, version: u32) {
    let value = &entry.value;
    let tag = match value {
        Value::String(_) if entry.is_raw_string() && version >= 10 => TAG_RAW_STRING,
        Value::String(_) => TAG_STRING,
        Value::Hash(_) => TAG_HASH,
        Value::List(_) => TAG_LIST,
        Value::Set(_) => TAG_SET,
        Value::ZSet(_) => TAG_ZSET,
        Value::Stream(_) => TAG_STREAM,
    };
    out.push(tag);
    match value {
        Value::String(bytes) => put_bytes(out, bytes),
        Value::Hash(hash) => hash.encode_snapshot(out),
        Value::List(list) => list.encode_snapshot(out),
        Value::Set(set) => set.encode_snapshot(out),
        Value::ZSet(zset) => zset.encode_snapshot(out),
        Value::Stream(stream) => stream.encode_snapshot(out),
    }
}

pub fn decode(bytes: &[u8]) -> Result<(Keyspace, u64), SnapshotError> {
    let mut reader = Reader::new(bytes);
    if reader.take(MAGIC.len())? != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let version = reader.u32()?;
    if !(1..=VERSION).contains(&version) {
        return Err(SnapshotError::UnsupportedVersion(version));
    }
    let now_ms = reader.u64()?;
    let mut keyspace = Keyspace::default();
    let mut values = Vec::new();
    for _ in 0..config_values(version) {
        values.push(reader.u64()?);
    }
    let config = EncodingConfig::from_values(&values);
    if version >= 3 {
        keyspace.applied_index = reader.u64()?;
    }
    let applied_index = keyspace.applied_index;
    for db_index in 0..DATABASES {
        let count = reader.u64()?;
        let db = &mut keyspace.dbs[db_index];
        for _ in 0..count {
            let key = reader.bytes()?.to_vec();
            let expires_at_ms = match reader.u8()? {
                0 => None,
                _ => Some(reader.u64()?),
            };
            let (value, raw) = decode_value(&mut reader)?;
            let mut entry = Entry::new(value, expires_at_ms);
            if raw {
                entry.mark_raw_string();
            }
            db.insert(&key, entry, now_ms);
        }
        db.changes = match version {
            3.. => decode_changes(&mut reader, applied_index)?,
            _ => Changes::default(),
        };
    }
    if version >= 4 {
        let count = reader.u64()?;
        for _ in 0..count {
            keyspace.scripts.insert(reader.bytes()?);
        }
    }
    if version >= 5 {
        keyspace.functions = Libraries::decode_snapshot(&mut reader)?;
    }
    if version >= 6 {
        let waiters = Waiters::decode_snapshot(&mut reader)?;
        if waiters.iter().any(|waiter| waiter.db as usize >= DATABASES) {
            return Err(SnapshotError::OutOfRange);
        }
        keyspace.set_waiters(waiters);
    }
    if version >= 7 {
        keyspace.subscriptions = Subscriptions::decode_snapshot(&mut reader)?;
    }
    if version >= 8 {
        keyspace.locks = Locks::decode_snapshot(&mut reader)?;
    }
    if version >= 9 {
        keyspace.users =
            std::sync::Arc::new(Users::decode_snapshot(table::catalog(), &mut reader)?);
    }
    if !reader.is_done() {
        return Err(SnapshotError::TrailingBytes);
    }
    // Last, so that loading the keys notes none of them as new.
    keyspace.set_config(config);
    Ok((keyspace, now_ms))
}

/// A value, and whether it is a string built in place.
fn decode_value(reader: &mut Reader) -> Result<(Value, bool), SnapshotError> {
    let tag = reader.u8()?;
    let value = match tag {
        TAG_STRING | TAG_RAW_STRING => Value::String(reader.bytes()?.to_vec()),
        TAG_HASH => Value::Hash(HashValue::decode_snapshot(reader)?),
        TAG_LIST => Value::List(ListValue::decode_snapshot(reader)?),
        TAG_SET => Value::Set(Box::new(SetValue::decode_snapshot(reader)?)),
        TAG_ZSET => Value::ZSet(ZSetValue::decode_snapshot(reader)?),
        TAG_STREAM => Value::Stream(Box::new(StreamValue::decode_snapshot(reader)?)),
        tag => return Err(SnapshotError::UnknownType(tag)),
    };
    Ok((value, tag == TAG_RAW_STRING))
}
