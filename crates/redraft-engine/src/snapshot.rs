//! The snapshot format: the whole keyspace as versioned bytes.
//!
//! Layout (integers little-endian): magic `RDRFSNAP`, format version (u32), engine time (u64),
//! the replicated configuration (five u64, see [`EncodingConfig::to_values`]), then for each of the 16 databases its entry count (u64) and its entries in keyspace order:
//! key (u32 length + bytes), deadline (u8 0/1 + u64), type tag (u8), value (per type).
//! Entries past their deadline are kept: a sweep entry deletes them, on every replica alike.

use thiserror::Error;

use crate::config::EncodingConfig;
use crate::hash::HashValue;
use crate::keyspace::{Entry, Keyspace, Value};
use crate::list::ListValue;
use crate::set::SetValue;
use crate::stream::StreamValue;
use crate::zset::ZSetValue;
use crate::DATABASES;

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

#[derive(Debug, Error, PartialEq)]
pub enum SnapshotError {
    #[error("not a redraft snapshot (bad magic)")]
    BadMagic,
    #[error("unsupported snapshot format version {0}")]
    UnsupportedVersion(u32),
    #[error("snapshot truncated")]
    Truncated,
    #[error("unknown value type tag {0}")]
    UnknownType(u8),
    #[error("trailing bytes after the last database")]
    TrailingBytes,
}

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
    match value {
        Value::String(bytes) => {
            out.push(TAG_STRING);
            put_bytes(out, bytes);
        }
        Value::Hash(hash) => {
            out.push(TAG_HASH);
            hash.encode_snapshot(out);
        }
        Value::List(list) => {
            out.push(TAG_LIST);
            list.encode_snapshot(out);
        }
        Value::Set(set) => {
            out.push(TAG_SET);
            set.encode_snapshot(out);
        }
        Value::ZSet(zset) => {
            out.push(TAG_ZSET);
            zset.encode_snapshot(out);
        }
        Value::Stream(stream) => {
            out.push(TAG_STREAM);
            stream.encode_snapshot(out);
        }
    }
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("values are bounded below 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

pub fn decode(bytes: &[u8]) -> Result<(Keyspace, u64), SnapshotError> {
    let mut reader = Reader { bytes };
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
    if !reader.bytes.is_empty() {
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

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if self.bytes.len() < n {
            return Err(SnapshotError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, SnapshotError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(buf))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, SnapshotError> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(buf))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], SnapshotError> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}
