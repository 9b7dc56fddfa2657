//! DUMP and RESTORE (cluster.c's dumpCommand/restoreCommand) with Redis 7.0's serialization
//! (rdb.c's rdbSaveObject/rdbLoadObject), so values move between redis-server and redraft in
//! both directions.
//!
//! A payload is the RDB type byte, the object, the RDB version (2 bytes little-endian, 10 for
//! 7.0) and the CRC-64 of everything before it (8 bytes little-endian). DUMP writes what Redis
//! 7.0 writes for the same value and encoding (listpack blobs for compact hashes and sorted
//! sets, an intset for integer sets, quicklist nodes of listpacks for lists, LZF for long
//! strings), so small values dump to identical bytes. RESTORE reads everything 7.0 writes and
//! the older types it still loads (ziplists, the plain list, the text-score sorted set).
//! Streams are written as 7.0's STREAM_LISTPACKS_2 with live entries only (see
//! [`stream`]).

mod codec;
mod stream;

use std::collections::BTreeSet;

use codec::{Bad, Element, Input};

use crate::args::{self, is, reply, syntax_error};
use crate::config::EncodingConfig;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::hash::HashValue;
use crate::keyspace::{Entry, Value};
use crate::list::{End, ListValue};
use crate::ostree::cmp_entries;
use crate::reply::Reply;
use crate::score;
use crate::set::SetValue;
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM,
};
use crate::zset::ZSetValue;

/// RDB_VERSION of Redis 7.0: payloads of a newer version are refused.
const RDB_VERSION: u16 = 10;

const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
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
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = codec::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
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
fn verify(payload: &[u8]) -> Result<&[u8], PayloadError> {
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

fn elements_to_bytes(elements: Vec<Element>) -> Vec<Vec<u8>> {
    elements.into_iter().map(Element::into_bytes).collect()
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
                    CONTAINER_PACKED if kind == TYPE_LIST_QUICKLIST_2 => {
                        items.extend(elements_to_bytes(codec::parse_listpack(&blob)?))
                    }
                    CONTAINER_PACKED => {
                        items.extend(elements_to_bytes(codec::parse_ziplist(&blob)?))
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
            let elements = if kind == TYPE_ZSET_LISTPACK {
                codec::parse_listpack(&blob)?
            } else {
                codec::parse_ziplist(&blob)?
            };
            let pairs = pairs(elements_to_bytes(elements))?;
            let entries = pairs
                .into_iter()
                .map(|(member, score)| Ok((codec::parse_double(&score)?, member)))
                .collect::<codec::Result<Vec<_>>>()?;
            zset_value(entries, limits)?
        }
        TYPE_HASH => {
            let count = input.count(2)?;
            let mut fields = Vec::with_capacity(count);
            for _ in 0..count {
                fields.push((input.string()?, input.string()?));
            }
            hash_value(fields, limits)?
        }
        TYPE_HASH_LISTPACK | TYPE_HASH_ZIPLIST => {
            let blob = input.string()?;
            let elements = if kind == TYPE_HASH_LISTPACK {
                codec::parse_listpack(&blob)?
            } else {
                codec::parse_ziplist(&blob)?
            };
            hash_value(pairs(elements_to_bytes(elements))?, limits)?
        }
        TYPE_STREAM_LISTPACKS_2 => Value::Stream(Box::new(stream::load_stream(input)?)),
        _ => return Err(Bad),
    };
    Ok(value)
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

// ---------------------------------------------------------------------------------------
// Commands.

pub fn dump(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    match ctx.db().get(&argv[1], ctx.now_ms) {
        None => Reply::Nil,
        Some(entry) => Reply::bulk(serialize(&entry.value)),
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], checking in Redis's
/// order: options, an existing key, the TTL, the payload. IDLETIME and FREQ are validated and
/// otherwise ignored (no LRU/LFU here).
pub fn restore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(restore_result(ctx, argv))
}

fn restore_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let mut replace = false;
    let mut absttl = false;
    let mut idle = false;
    let mut freq = false;
    let mut i = 4;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if is(&argv[i], "REPLACE") {
            replace = true;
        } else if is(&argv[i], "ABSTTL") {
            absttl = true;
        } else if is(&argv[i], "IDLETIME") && more && !freq {
            if args::int_arg(&argv[i + 1])? < 0 {
                return Err(Reply::error("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = true;
            i += 1;
        } else if is(&argv[i], "FREQ") && more && !idle {
            let value = args::int_arg(&argv[i + 1])?;
            if !(0..=255).contains(&value) {
                return Err(Reply::error(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = true;
            i += 1;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    let key = &argv[1];
    let now = ctx.now_ms;
    if !replace && ctx.db().get(key, now).is_some() {
        return Err(Reply::error(BUSYKEY));
    }
    let ttl = args::int_arg(&argv[2])?;
    if ttl < 0 {
        return Err(Reply::error("ERR Invalid TTL value, must be >= 0"));
    }
    let limits = ctx.keyspace.encoding;
    let value = deserialize(&argv[3], &limits).map_err(|error| error.reply())?;
    if replace {
        ctx.db().remove(key, now);
    }
    let deadline = match ttl {
        0 => None,
        ttl if absttl => Some(ttl as u64),
        ttl => Some((ttl as u64).saturating_add(now)),
    };
    if deadline.is_some_and(|deadline| deadline <= now) {
        return Ok(Reply::ok());
    }
    ctx.db().insert(key, Entry::new(value, deadline));
    Ok(Reply::ok())
}

pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("dump", 2, 0, 1, 1, 1, Read(legacy!(dump))),
    cmd!("restore", -4, DENYOOM, 1, 1, 1, Write(legacy!(restore))),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{apply, argv, bulk, err, int, ok, read};
    use crate::Engine;

    fn dump_bytes(engine: &Engine, now: u64, key: &str) -> Vec<u8> {
        match read(engine, now, &["DUMP", key]) {
            Reply::Bulk(bytes) => bytes,
            other => panic!("DUMP {key}: {other:?}"),
        }
    }

    fn restore_argv(key: &str, ttl: &str, payload: &[u8], options: &[&str]) -> Vec<Vec<u8>> {
        let mut cmd = argv(&["RESTORE", key, ttl]);
        cmd.push(payload.to_vec());
        cmd.extend(argv(options));
        cmd
    }

    /// Dumps `key`, restores it under `copy`, and checks the value and encoding are equal.
    fn round_trip(engine: &mut Engine, key: &str) -> Vec<u8> {
        let payload = dump_bytes(engine, 1, key);
        assert_eq!(
            apply(engine, 1, restore_argv("copy", "0", &payload, &["REPLACE"])),
            ok()
        );
        let db = &engine.keyspace().dbs[0];
        let original = &db.get(key.as_bytes(), 1).unwrap().value;
        let copy = &db.get(b"copy", 1).unwrap().value;
        match (original, copy) {
            // Nodes are rebuilt from the live entries: tombstones are not carried over.
            (Value::Stream(a), Value::Stream(b)) => {
                assert!(a.entries == b.entries, "{key} entries");
                assert!(a.groups == b.groups, "{key} groups");
                assert_eq!(
                    (a.last_id, a.first_id, a.max_deleted_id, a.entries_added),
                    (b.last_id, b.first_id, b.max_deleted_id, b.entries_added)
                );
            }
            _ => assert!(original == copy, "{key} differs after a round trip"),
        }
        payload
    }

    #[test]
    fn strings_round_trip_with_redis_bytes() {
        let mut engine = Engine::new();
        apply(&mut engine, 1, &["SET", "s", "hello"]);
        let payload = round_trip(&mut engine, "s");
        // The payload Redis 7.0 gives for "hello".
        let mut expected = vec![0u8, 5];
        expected.extend_from_slice(b"hello");
        expected.extend_from_slice(&[10, 0]);
        let crc = codec::crc64(0, &expected);
        expected.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(payload, expected);
        for value in [
            "12",
            "-300",
            "70000",
            "12345678901",
            "x".repeat(300).as_str(),
            "",
        ] {
            apply(&mut engine, 1, &["SET", "s", value]);
            round_trip(&mut engine, "s");
        }
        let long = "abcdefghij".repeat(20);
        apply(&mut engine, 1, &["SET", "s", &long]);
        let payload = round_trip(&mut engine, "s");
        assert!(
            payload.len() < long.len(),
            "long strings are LZF-compressed"
        );
        assert_eq!(payload[1], 0xc3);
    }

    #[test]
    fn collections_round_trip_in_both_encodings() {
        let mut engine = Engine::new();
        let big: Vec<String> = (0..600).map(|i| format!("m{i}")).collect();
        let long = "v".repeat(100);
        apply(&mut engine, 1, &["RPUSH", "l", "a", "1", "-5000", &long]);
        round_trip(&mut engine, "l");
        let mut cmd = vec!["RPUSH", "biglist"];
        cmd.extend(big.iter().map(String::as_str));
        cmd.extend([long.as_str(); 200]);
        apply(&mut engine, 1, &cmd);
        let payload = round_trip(&mut engine, "biglist");
        assert!(payload[1] > 1, "a long list spans several quicklist nodes");

        apply(&mut engine, 1, &["SADD", "ints", "3", "-1", "100000"]);
        assert_eq!(round_trip(&mut engine, "ints")[0], TYPE_SET_INTSET);
        apply(&mut engine, 1, &["SADD", "strs", "a", "b", "3"]);
        assert_eq!(round_trip(&mut engine, "strs")[0], TYPE_SET);

        apply(
            &mut engine,
            1,
            &["ZADD", "z", "1.5", "a", "-inf", "b", "3", "c"],
        );
        assert_eq!(round_trip(&mut engine, "z")[0], TYPE_ZSET_LISTPACK);
        apply(&mut engine, 1, &["ZADD", "zbig", "1", &long, "2", "x"]);
        assert_eq!(round_trip(&mut engine, "zbig")[0], TYPE_ZSET_2);

        apply(&mut engine, 1, &["HSET", "h", "f", "1", "g", "two"]);
        assert_eq!(round_trip(&mut engine, "h")[0], TYPE_HASH_LISTPACK);
        apply(&mut engine, 1, &["HSET", "hbig", "f", &long]);
        assert_eq!(round_trip(&mut engine, "hbig")[0], TYPE_HASH);

        let mut cmd = vec!["SADD", "bigset"];
        cmd.extend(big.iter().map(String::as_str));
        apply(&mut engine, 1, &cmd);
        round_trip(&mut engine, "bigset");
    }

    #[test]
    fn dump_of_a_missing_key_is_nil() {
        let engine = Engine::new();
        assert_eq!(read(&engine, 1, &["DUMP", "nope"]), Reply::Nil);
    }

    #[test]
    fn streams_round_trip_with_groups() {
        let mut engine = Engine::new();
        for i in 1..300 {
            let id = format!("{i}-{}", i % 3);
            let value = "v".repeat(i % 70);
            if i % 5 == 0 {
                apply(&mut engine, 1, &["XADD", "st", &id, "other", &value]);
            } else {
                apply(&mut engine, 1, &["XADD", "st", &id, "f", &value, "g", "12"]);
            }
        }
        apply(&mut engine, 1, &["XDEL", "st", "7-1", "8-2"]);
        apply(&mut engine, 1, &["XGROUP", "CREATE", "st", "g1", "0"]);
        apply(&mut engine, 1, &["XGROUP", "CREATE", "st", "g2", "$"]);
        apply(
            &mut engine,
            5,
            &[
                "XREADGROUP",
                "GROUP",
                "g1",
                "alice",
                "COUNT",
                "3",
                "STREAMS",
                "st",
                ">",
            ],
        );
        apply(
            &mut engine,
            6,
            &[
                "XREADGROUP",
                "GROUP",
                "g1",
                "bob",
                "COUNT",
                "2",
                "STREAMS",
                "st",
                ">",
            ],
        );
        apply(&mut engine, 7, &["XACK", "st", "g1", "2-2"]);
        apply(
            &mut engine,
            7,
            &["XGROUP", "CREATECONSUMER", "st", "g2", "carol"],
        );
        let payload = round_trip(&mut engine, "st");
        assert_eq!(payload[0], TYPE_STREAM_LISTPACKS_2);
        let body = &payload[..payload.len() - 10];
        for cut in (0..body.len()).step_by(13) {
            assert!(deserialize(&with_footer(&body[..cut]), &EncodingConfig::default()).is_err());
        }
        for at in (0..body.len()).step_by(7) {
            let mut changed = body.to_vec();
            changed[at] ^= 0x21;
            let _ = deserialize(&with_footer(&changed), &EncodingConfig::default());
        }
        // An emptied stream with a group still dumps and loads.
        apply(&mut engine, 1, &["XADD", "e", "1-1", "f", "v"]);
        apply(&mut engine, 1, &["XGROUP", "CREATE", "e", "g", "$"]);
        apply(&mut engine, 1, &["XDEL", "e", "1-1"]);
        round_trip(&mut engine, "e");
    }

    #[test]
    fn restore_checks_options_key_ttl_then_payload() {
        let mut engine = Engine::new();
        apply(&mut engine, 1, &["SET", "s", "v"]);
        let payload = dump_bytes(&engine, 1, "s");
        let run = |engine: &mut Engine, key: &str, ttl: &str, payload: &[u8], opts: &[&str]| {
            apply(engine, 1, restore_argv(key, ttl, payload, opts))
        };
        assert_eq!(run(&mut engine, "s", "0", &payload, &[]), err(BUSYKEY));
        assert_eq!(
            run(&mut engine, "s", "x", &payload, &["BOGUS"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut engine, "n", "0", &payload, &["IDLETIME"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut engine, "n", "0", &payload, &["IDLETIME", "-1"]),
            err("ERR Invalid IDLETIME value, must be >= 0")
        );
        assert_eq!(
            run(&mut engine, "n", "0", &payload, &["FREQ", "256"]),
            err("ERR Invalid FREQ value, must be >= 0 and <= 255")
        );
        assert_eq!(
            run(&mut engine, "n", "0", &payload, &["FREQ", "x"]),
            err(args::NOT_INTEGER)
        );
        assert_eq!(
            run(
                &mut engine,
                "n",
                "0",
                &payload,
                &["FREQ", "1", "IDLETIME", "1"]
            ),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut engine, "n", "-1", &payload, &[]),
            err("ERR Invalid TTL value, must be >= 0")
        );
        assert_eq!(
            run(&mut engine, "n", "1.5", &payload, &[]),
            err(args::NOT_INTEGER)
        );
        assert_eq!(
            run(&mut engine, "n", "0", b"short", &[]),
            err(CHECKSUM_ERROR)
        );
        let mut corrupt = payload.clone();
        corrupt[2] ^= 1;
        assert_eq!(
            run(&mut engine, "n", "0", &corrupt, &[]),
            err(CHECKSUM_ERROR)
        );
        assert_eq!(
            run(
                &mut engine,
                "n",
                "0",
                &payload,
                &["IDLETIME", "5", "REPLACE"]
            ),
            ok()
        );
        assert_eq!(read(&engine, 1, &["GET", "n"]), bulk("v"));
        assert_eq!(
            run(&mut engine, "s", "0", &payload, &["replace", "freq", "3"]),
            ok()
        );
    }

    #[test]
    fn restore_ttls_relative_absolute_and_past() {
        let mut engine = Engine::new();
        apply(&mut engine, 1000, &["SET", "s", "v"]);
        let payload = dump_bytes(&engine, 1000, "s");
        let cmd = restore_argv("a", "500", &payload, &[]);
        assert_eq!(apply(&mut engine, 1000, cmd), ok());
        assert_eq!(read(&engine, 1000, &["PTTL", "a"]), int(500));
        let cmd = restore_argv("b", "5000", &payload, &["ABSTTL"]);
        assert_eq!(apply(&mut engine, 1000, cmd), ok());
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "b"]), int(5000));
        // A deadline already past: OK, and the key is gone (deleted with REPLACE).
        let cmd = restore_argv("s", "999", &payload, &["ABSTTL", "REPLACE"]);
        assert_eq!(apply(&mut engine, 1000, cmd), ok());
        assert_eq!(read(&engine, 1000, &["EXISTS", "s"]), int(0));
        let cmd = restore_argv("c", "1000", &payload, &["ABSTTL"]);
        assert_eq!(apply(&mut engine, 1000, cmd), ok());
        assert_eq!(read(&engine, 1000, &["EXISTS", "c"]), int(0));
    }

    fn with_footer(body: &[u8]) -> Vec<u8> {
        let mut out = body.to_vec();
        out.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = codec::crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    #[test]
    fn corrupt_payloads_are_errors_never_panics() {
        assert_eq!(
            deserialize(b"", &EncodingConfig::default()),
            Err(PayloadError::Checksum)
        );
        let mut newer = with_footer(&[0, 1, b'x']);
        newer[3] = 11;
        assert_eq!(
            deserialize(&newer, &EncodingConfig::default()),
            Err(PayloadError::Checksum)
        );
        for body in [
            &[99u8][..],
            &[TYPE_SET, 0],
            &[TYPE_LIST, 0x80, 0xff, 0xff, 0xff, 0xff],
            &[
                TYPE_ZSET_2,
                0x81,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
            ],
            &[TYPE_STRING, 0xc3, 1, 0x3f, 0],
            &[TYPE_STRING, 0x05, b'a'],
            &[19, 0],
        ] {
            assert_eq!(
                deserialize(&with_footer(body), &EncodingConfig::default()),
                Err(PayloadError::BadFormat),
                "{body:?}"
            );
        }
        // Every truncation and every single-byte change of real payloads: no panic.
        let mut engine = Engine::new();
        let long = "q".repeat(80);
        apply(&mut engine, 1, &["HSET", "h", "f", "1", "g", "two"]);
        apply(&mut engine, 1, &["ZADD", "z", "1.5", "a", "2", &long]);
        apply(&mut engine, 1, &["SADD", "s", "1", "2"]);
        apply(&mut engine, 1, &["RPUSH", "l", "a", "b"]);
        for key in ["h", "z", "s", "l"] {
            let payload = dump_bytes(&engine, 1, key);
            let body = &payload[..payload.len() - 10];
            for cut in 0..body.len() {
                assert!(
                    deserialize(&with_footer(&body[..cut]), &EncodingConfig::default()).is_err()
                );
            }
            for at in 0..body.len() {
                for flip in [1u8, 0x80, 0xff] {
                    let mut changed = body.to_vec();
                    changed[at] ^= flip;
                    let _ = deserialize(&with_footer(&changed), &EncodingConfig::default());
                }
            }
        }
    }

    #[test]
    fn duplicates_nan_and_empty_values_are_bad_data() {
        let mut body = vec![TYPE_HASH_LISTPACK];
        codec::put_string(&mut body, &codec::listpack([&b"f"[..], b"1", b"f", b"2"]));
        assert_eq!(
            deserialize(&with_footer(&body), &EncodingConfig::default()),
            Err(PayloadError::BadFormat)
        );
        let mut body = vec![TYPE_ZSET_2, 1];
        codec::put_string(&mut body, b"m");
        body.extend_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(
            deserialize(&with_footer(&body), &EncodingConfig::default()),
            Err(PayloadError::BadFormat)
        );
        let mut body = vec![TYPE_HASH_LISTPACK];
        codec::put_string(&mut body, &codec::listpack(std::iter::empty()));
        assert_eq!(
            deserialize(&with_footer(&body), &EncodingConfig::default()),
            Err(PayloadError::BadFormat)
        );
        let mut body = vec![TYPE_SET, 2];
        codec::put_string(&mut body, b"a");
        codec::put_string(&mut body, b"a");
        assert_eq!(
            deserialize(&with_footer(&body), &EncodingConfig::default()),
            Err(PayloadError::BadFormat)
        );
    }

    #[test]
    fn older_types_load() {
        // RDB_TYPE_LIST, text-score ZSET, HASH_ZIPLIST.
        let mut body = vec![TYPE_LIST, 2];
        codec::put_string(&mut body, b"a");
        codec::put_string(&mut body, b"7");
        let Value::List(list) =
            deserialize(&with_footer(&body), &EncodingConfig::default()).unwrap()
        else {
            panic!("list");
        };
        assert_eq!(
            list.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
            [b"a".to_vec(), b"7".to_vec()]
        );
        let mut body = vec![TYPE_ZSET, 2];
        codec::put_string(&mut body, b"a");
        body.extend_from_slice(&[3, b'2', b'.', b'5']);
        codec::put_string(&mut body, b"b");
        body.push(255);
        let Value::ZSet(zset) =
            deserialize(&with_footer(&body), &EncodingConfig::default()).unwrap()
        else {
            panic!("zset");
        };
        assert_eq!(
            zset.entries(),
            vec![(f64::NEG_INFINITY, b"b".to_vec()), (2.5, b"a".to_vec())]
        );
        let mut zl = vec![0u8; 10];
        zl.extend_from_slice(&[0, 0x01, b'f', 3, 0xf2]);
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[..4].copy_from_slice(&total.to_le_bytes());
        zl[8..10].copy_from_slice(&2u16.to_le_bytes());
        let mut body = vec![TYPE_HASH_ZIPLIST];
        codec::put_string(&mut body, &zl);
        let Value::Hash(hash) =
            deserialize(&with_footer(&body), &EncodingConfig::default()).unwrap()
        else {
            panic!("hash");
        };
        assert_eq!(hash.get(b"f"), Some(&b"1"[..]));
    }
}
