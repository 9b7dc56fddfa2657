//! The snapshot format: the whole keyspace as versioned bytes.
//!
//! Layout (integers little-endian): magic `RDRFSNAP`, format version (u32), engine time (u64),
//! the replicated configuration (five u64, see [`EncodingConfig::to_values`]), then for each of the 16 databases its entry count (u64) and its entries in keyspace order:
//! key (u32 length + bytes), deadline (u8 0/1 + u64), type tag (u8), value (per type).
//! Entries past their deadline are kept: a sweep entry deletes them, on every replica alike.

use crate::config::EncodingConfig;
use crate::hash::value::HashValue;
use crate::keyspace::{Entry, Keyspace, Value};
use crate::list::value::ListValue;
use crate::set::value::SetValue;
use crate::stream::value::StreamValue;
use crate::wire::{put_bytes, Reader};
use crate::zset::value::ZSetValue;
use crate::DATABASES;

pub use crate::wire::SnapshotError;

const MAGIC: &[u8; 8] = b"RDRFSNAP";
/// Version 2 added the replicated configuration after the engine time; version 1 snapshots
/// (without it) still load, with the default configuration.
const VERSION: u32 = 2;
const TAG_STRING: u8 = 0;
const TAG_HASH: u8 = 1;
const TAG_LIST: u8 = 2;
const TAG_SET: u8 = 3;
const TAG_ZSET: u8 = 4;
const TAG_STREAM: u8 = 5;

pub fn encode(keyspace: &Keyspace, now_ms: u64) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&now_ms.to_le_bytes());
    for value in keyspace.encoding.to_values() {
        out.extend_from_slice(&value.to_le_bytes());
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
            encode_value(&mut out, &entry.value);
        }
    }
    out
}

fn encode_value(out: &mut Vec<u8>, value: &Value) {
    let tag = match value {
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
    if version != 1 && version != VERSION {
        return Err(SnapshotError::UnsupportedVersion(version));
    }
    let now_ms = reader.u64()?;
    let mut keyspace = Keyspace::default();
    if version >= 2 {
        let mut values = [0u64; 5];
        for value in &mut values {
            *value = reader.u64()?;
        }
        keyspace.encoding = EncodingConfig::from_values(values);
    }
    for db_index in 0..DATABASES {
        let count = reader.u64()?;
        let db = &mut keyspace.dbs[db_index];
        for _ in 0..count {
            let key = reader.bytes()?.to_vec();
            let expires_at_ms = match reader.u8()? {
                0 => None,
                _ => Some(reader.u64()?),
            };
            let value = decode_value(&mut reader)?;
            db.insert(&key, Entry::new(value, expires_at_ms));
        }
    }
    if !reader.is_done() {
        return Err(SnapshotError::TrailingBytes);
    }
    Ok((keyspace, now_ms))
}

fn decode_value(reader: &mut Reader) -> Result<Value, SnapshotError> {
    match reader.u8()? {
        TAG_STRING => Ok(Value::String(reader.bytes()?.to_vec())),
        TAG_HASH => Ok(Value::Hash(HashValue::decode_snapshot(reader)?)),
        TAG_LIST => Ok(Value::List(ListValue::decode_snapshot(reader)?)),
        TAG_SET => Ok(Value::Set(Box::new(SetValue::decode_snapshot(reader)?))),
        TAG_ZSET => Ok(Value::ZSet(ZSetValue::decode_snapshot(reader)?)),
        TAG_STREAM => Ok(Value::Stream(Box::new(StreamValue::decode_snapshot(
            reader,
        )?))),
        tag => Err(SnapshotError::UnknownType(tag)),
    }
}
