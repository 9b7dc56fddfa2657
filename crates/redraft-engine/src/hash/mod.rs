//! Hash commands (t_hash.c) and the hash value type: a listpack (pairs in insertion order,
//! packed in one allocation, see [`PackedPairs`]) while small, a hash table past Redis's
//! default thresholds. HSET and HMSET share one generic set, HKEYS/HVALS/HGETALL one generic
//! listing.

use std::collections::BTreeMap;

use crate::args::{self, int_arg, is, reply, syntax_error, NOT_FLOAT};
use crate::config::EncodingConfig;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{key_hash, Db, Entry, Value};
use crate::longdouble::{LongDouble, Parsed};
use crate::packed_pairs::{BytesKey, PackedPairs};
use crate::reply::Reply;
use crate::rng::Rng;
use crate::sample::{self, Sample};
use crate::scan::{self, ScanOptions};
use crate::snapshot::{put_bytes, Reader, SnapshotError};
use crate::table::{
    self, cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST, RANDOM,
};

/// The default hash-max-listpack-entries (Redis 7.0's, config.c and redis.conf alike; 128 is
/// the sorted sets' limit); the threshold itself is replicated configuration (config.rs).
#[cfg(test)]
const LISTPACK_ENTRIES_MAX: usize = 512;
/// The default hash-max-listpack-value.
#[cfg(test)]
const LISTPACK_VALUE_MAX: usize = 64;

/// Snapshot tags of the two encodings.
const ENCODING_LISTPACK: u8 = 0;
const ENCODING_TABLE: u8 = 1;

/// A hash value. Like Redis it never converts back from a hash table to a listpack.
#[derive(Clone, Debug, PartialEq)]
pub struct HashValue {
    repr: Repr,
}

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    /// Field/value pairs in insertion order (an update keeps its place), as a listpack.
    Listpack(PackedPairs<BytesKey>),
    /// Ordered by (FNV-1a hash of the field, field): an order that depends on the contents
    /// alone, and a cursor for HSCAN. Boxed so that the small encoding sets the inline size.
    Table(Box<Table>),
}

/// Field → value, keyed by (FNV-1a hash of the field, field).
type Table = BTreeMap<(u64, Vec<u8>), Vec<u8>>;

impl Default for HashValue {
    fn default() -> Self {
        HashValue {
            repr: Repr::Listpack(PackedPairs::default()),
        }
    }
}

fn table_key(field: &[u8]) -> (u64, Vec<u8>) {
    (key_hash(field), field.to_vec())
}

fn too_long(bytes: &[u8], limits: &EncodingConfig) -> bool {
    bytes.len() as u64 > limits.hash_value()
}

impl HashValue {
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(pairs) => pairs.len(),
            Repr::Table(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// The heap bytes of a listpack's buffer (None for a hash table): tests bound it so that
    /// small hashes stay one allocation.
    pub fn listpack_bytes(&self) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(pairs) => Some(pairs.heap_bytes()),
            Repr::Table(_) => None,
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(pairs) => pairs.find(|slot| slot.key == field).map(|slot| slot.value),
            Repr::Table(map) => map.get(&table_key(field)).map(Vec::as_slice),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Pairs in the encoding's order: insertion order for a listpack, hash order otherwise.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.repr {
            Repr::Listpack(pairs) => Box::new(pairs.iter().map(|slot| (slot.key, slot.value))),
            Repr::Table(map) => {
                Box::new(map.iter().map(|((_, f), v)| (f.as_slice(), v.as_slice())))
            }
        }
    }

    /// Sets `field` to `value`; true when the field is new. As hashTypeSet: a field or value
    /// too long for a listpack converts first, too many fields convert after.
    pub fn set(&mut self, field: &[u8], value: Vec<u8>, limits: &EncodingConfig) -> bool {
        if too_long(field, limits) || too_long(&value, limits) {
            self.convert();
        }
        match &mut self.repr {
            Repr::Listpack(pairs) => {
                if let Some(slot) = pairs.find(|slot| slot.key == field) {
                    let span = slot.span;
                    pairs.replace(span, field, &value);
                    return false;
                }
                pairs.push(field, &value);
                if pairs.len() as u64 > limits.hash_entries() {
                    self.convert();
                }
                true
            }
            Repr::Table(map) => map.insert(table_key(field), value).is_none(),
        }
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(pairs) => match pairs.find(|slot| slot.key == field) {
                Some(slot) => {
                    let span = slot.span;
                    pairs.remove(span);
                    true
                }
                None => false,
            },
            Repr::Table(map) => map.remove(&table_key(field)).is_some(),
        }
    }

    /// Converts to a hash table when any argument about to be stored is too long for a
    /// listpack, whether or not it ends up stored (hashTypeTryConversion).
    fn convert_for(&mut self, args: &[Vec<u8>], limits: &EncodingConfig) {
        if args.iter().any(|arg| too_long(arg, limits)) {
            self.convert();
        }
    }

    fn convert(&mut self) {
        if let Repr::Listpack(pairs) = &self.repr {
            let map = pairs
                .iter()
                .map(|slot| (table_key(slot.key), slot.value.to_vec()))
                .collect();
            self.repr = Repr::Table(Box::new(map));
        }
    }

    /// Appends this value in the snapshot format: encoding (u8), pair count (u32), then each
    /// field and value in the encoding's order.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        out.push(match self.repr {
            Repr::Listpack(_) => ENCODING_LISTPACK,
            Repr::Table(_) => ENCODING_TABLE,
        });
        let len = u32::try_from(self.len()).expect("hashes are bounded below 4G fields");
        out.extend_from_slice(&len.to_le_bytes());
        for (field, value) in self.iter() {
            put_bytes(out, field);
            put_bytes(out, value);
        }
    }

    /// Reads a value back, refusing one no command could have built (an unknown encoding, a
    /// repeated field). A listpack of any size loads: the thresholds are configuration, and a
    /// value built under higher ones keeps its encoding until a write converts it.
    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<HashValue, SnapshotError> {
        let encoding = reader.u8()?;
        let len = reader.u32()?;
        // There is no error variant for bad contents; they report the encoding byte.
        let invalid = SnapshotError::UnknownType(encoding);
        let mut pairs = Vec::new();
        for _ in 0..len {
            let field = reader.bytes()?.to_vec();
            let value = reader.bytes()?.to_vec();
            pairs.push((field, value));
        }
        let repr = match encoding {
            ENCODING_LISTPACK => {
                let mut fields: Vec<&[u8]> = pairs.iter().map(|(f, _)| f.as_slice()).collect();
                fields.sort_unstable();
                fields.dedup();
                if fields.len() != pairs.len() {
                    return Err(invalid);
                }
                Repr::Listpack(PackedPairs::from_pairs(
                    pairs.iter().map(|(f, v)| (f.as_slice(), v.as_slice())),
                ))
            }
            ENCODING_TABLE => {
                let mut map = Box::new(BTreeMap::new());
                for (field, value) in pairs {
                    if map.insert(table_key(&field), value).is_some() {
                        return Err(invalid);
                    }
                }
                Repr::Table(map)
            }
            _ => return Err(invalid),
        };
        Ok(HashValue { repr })
    }
}

/// The live hash at `key`: Ok(None) when absent, WRONGTYPE for another type.
fn lookup<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<Option<&'a HashValue>, Reply> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::Hash(hash),
            ..
        }) => Ok(Some(hash)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

fn lookup_mut<'a>(
    db: &'a mut Db,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a mut HashValue>, Reply> {
    match db.get_mut(key, now_ms) {
        None => Ok(None),
        Some(entry) => match &mut entry.value {
            Value::Hash(hash) => Ok(Some(hash)),
            _ => Err(Reply::wrong_type()),
        },
    }
}

/// The hash at `key`, created empty when absent (hashTypeLookupWriteOrCreate). Callers store
/// at least one field before returning, so no empty hash is left behind.
fn lookup_or_create<'a>(
    db: &'a mut Db,
    key: &[u8],
    now_ms: u64,
) -> Result<&'a mut HashValue, Reply> {
    if db.get_mut(key, now_ms).is_none() {
        let entry = Entry {
            value: Value::Hash(HashValue::default()),
            expires_at_ms: None,
        };
        db.insert(key, entry);
    }
    lookup_mut(db, key, now_ms).map(|hash| hash.expect("a hash was just stored"))
}

fn bulk(bytes: &[u8]) -> Reply {
    Reply::bulk(bytes)
}

/// The one HSET behind HSET and HMSET: pairs of field and value; returns how many are new.
fn hset_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], name: &str) -> Result<usize, Reply> {
    if argv.len() % 2 == 1 {
        return Err(table::wrong_arity(name));
    }
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let hash = lookup_or_create(ctx.db(), &argv[1], now)?;
    hash.convert_for(&argv[2..], &limits);
    let mut created = 0;
    for pair in argv[2..].chunks_exact(2) {
        if hash.set(&pair[0], pair[1].clone(), &limits) {
            created += 1;
        }
    }
    Ok(created)
}

/// HSET key field value [field value ...]: how many fields are new.
pub fn hset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(hset_generic(ctx, argv, "hset").map(|created| Reply::Integer(created as i64)))
}

/// HMSET key field value [field value ...]: OK.
pub fn hmset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(hset_generic(ctx, argv, "hmset").map(|_| Reply::ok()))
}

/// HSETNX key field value: 1 when set, 0 when the field exists.
pub fn hsetnx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(hsetnx_result(ctx, argv))
}

fn hsetnx_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let (key, field) = (&argv[1], &argv[2]);
    if lookup_mut(ctx.db(), key, now)?.is_some_and(|hash| hash.contains(field)) {
        return Ok(Reply::Integer(0));
    }
    let limits = ctx.keyspace.encoding;
    let hash = lookup_or_create(ctx.db(), key, now)?;
    hash.convert_for(&argv[2..4], &limits);
    hash.set(field, argv[3].clone(), &limits);
    Ok(Reply::Integer(1))
}

pub fn hget(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup(ctx.db(), &argv[1], ctx.now_ms).map(|hash| {
        hash.and_then(|hash| hash.get(&argv[2]))
            .map_or(Reply::Nil, bulk)
    }))
}

/// HMGET key field [field ...]: a value or Nil per field; Nil for all when the key is absent.
pub fn hmget(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup(ctx.db(), &argv[1], ctx.now_ms).map(|hash| {
        let values = argv[2..]
            .iter()
            .map(|field| {
                hash.and_then(|hash| hash.get(field))
                    .map_or(Reply::Nil, bulk)
            })
            .collect();
        Reply::Array(values)
    }))
}

/// HDEL key field [field ...]: how many were removed; an emptied hash is deleted.
pub fn hdel(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(hdel_result(ctx, argv))
}

fn hdel_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let key = &argv[1];
    let Some(hash) = lookup_mut(ctx.db(), key, now)? else {
        return Ok(Reply::Integer(0));
    };
    let deleted = argv[2..].iter().filter(|field| hash.remove(field)).count();
    if hash.is_empty() {
        ctx.db().remove(key, now);
    }
    Ok(Reply::Integer(deleted as i64))
}

pub fn hlen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(
        lookup(ctx.db(), &argv[1], ctx.now_ms)
            .map(|hash| Reply::Integer(hash.map_or(0, HashValue::len) as i64)),
    )
}

pub fn hstrlen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup(ctx.db(), &argv[1], ctx.now_ms).map(|hash| {
        let len = hash
            .and_then(|hash| hash.get(&argv[2]))
            .map_or(0, <[u8]>::len);
        Reply::Integer(len as i64)
    }))
}

pub fn hexists(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup(ctx.db(), &argv[1], ctx.now_ms).map(|hash| {
        let found = hash.is_some_and(|hash| hash.contains(&argv[2]));
        Reply::Integer(i64::from(found))
    }))
}

/// Which halves of each pair a listing returns.
#[derive(Clone, Copy, PartialEq)]
enum Listing {
    Fields,
    Values,
    Both,
}

/// The one listing behind HKEYS, HVALS and HGETALL (genericHgetallCommand), in the encoding's
/// order. HGETALL is a map (RESP3), the others flat arrays.
fn hgetall_generic(ctx: &ReadCtx, key: &[u8], listing: Listing) -> Reply {
    reply(lookup(ctx.db(), key, ctx.now_ms).map(|hash| {
        let pairs = hash.into_iter().flat_map(HashValue::iter);
        match listing {
            Listing::Fields => Reply::Array(pairs.map(|(f, _)| bulk(f)).collect()),
            Listing::Values => Reply::Array(pairs.map(|(_, v)| bulk(v)).collect()),
            Listing::Both => Reply::Map(pairs.map(|(f, v)| (bulk(f), bulk(v))).collect()),
        }
    }))
}

pub fn hkeys(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    hgetall_generic(ctx, &argv[1], Listing::Fields)
}

pub fn hvals(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    hgetall_generic(ctx, &argv[1], Listing::Values)
}

pub fn hgetall(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    hgetall_generic(ctx, &argv[1], Listing::Both)
}

/// HINCRBY key field increment: the field's value must be an integer as string2ll reads it.
pub fn hincrby(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(hincrby_result(ctx, argv))
}

fn hincrby_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let incr = int_arg(&argv[3])?;
    let now = ctx.now_ms;
    let (key, field) = (&argv[1], &argv[2]);
    let current = match lookup(ctx.db(), key, now)?.and_then(|hash| hash.get(field)) {
        Some(bytes) => args::parse_i64(bytes)
            .ok_or_else(|| Reply::error("ERR hash value is not an integer"))?,
        None => 0,
    };
    let value = current
        .checked_add(incr)
        .ok_or_else(|| Reply::error("ERR increment or decrement would overflow"))?;
    let limits = ctx.keyspace.encoding;
    lookup_or_create(ctx.db(), key, now)?.set(field, value.to_string().into_bytes(), &limits);
    Ok(Reply::Integer(value))
}

/// HINCRBYFLOAT key field increment: x87 long double arithmetic and formatting, as Redis on
/// x86-64 (see [`LongDouble`]), like INCRBYFLOAT.
pub fn hincrbyfloat(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(hincrbyfloat_result(ctx, argv))
}

fn hincrbyfloat_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let nan_inf = || Reply::error("ERR increment would produce NaN or Infinity");
    let incr = match LongDouble::parse(&argv[3]) {
        None => return Err(Reply::error(NOT_FLOAT)),
        Some(Parsed::Infinite) => return Err(Reply::error("ERR value is NaN or Infinity")),
        Some(Parsed::Finite(incr)) => incr,
    };
    let now = ctx.now_ms;
    let (key, field) = (&argv[1], &argv[2]);
    let current = lookup(ctx.db(), key, now)?
        .and_then(|hash| hash.get(field))
        .unwrap_or(b"0");
    let current = match LongDouble::parse(current) {
        None => return Err(Reply::error("ERR hash value is not a float")),
        Some(Parsed::Infinite) => return Err(nan_inf()),
        Some(Parsed::Finite(current)) => current,
    };
    let text = current.checked_add(incr).ok_or_else(nan_inf)?.format();
    let limits = ctx.keyspace.encoding;
    lookup_or_create(ctx.db(), key, now)?.set(field, text.clone().into_bytes(), &limits);
    Ok(Reply::bulk(text))
}

/// HRANDFIELD key [count [WITHVALUES]]: one field (Nil when absent); with a count, distinct
/// fields (the whole hash, in order, when the count covers it) or, negative, fields drawn with
/// repetition. The choice comes from the context's seed.
pub fn hrandfield(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(hrandfield_result(ctx, argv))
}

fn hrandfield_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let mut rng = Rng::new(ctx.seed);
    let Some(count) = argv.get(2) else {
        let Some(hash) = lookup(ctx.db(), &argv[1], ctx.now_ms)? else {
            return Ok(Reply::Nil);
        };
        let at = rng.below(hash.len());
        return Ok(hash.iter().nth(at).map_or(Reply::Nil, |(f, _)| bulk(f)));
    };
    let count = sample::signed_count(count)?;
    let with_values = match argv.get(3) {
        None => false,
        Some(opt) if argv.len() == 4 && is(opt, "WITHVALUES") => true,
        Some(_) => return Err(syntax_error()),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(Reply::error("ERR value is out of range"));
    }
    let Some(hash) = lookup(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let sample: Sample = sample::sample(count)?;
    let pairs: Vec<(&[u8], &[u8])> = hash.iter().collect();
    let picks = sample::sample_indices(&mut rng, pairs.len(), sample);
    if with_values {
        let chosen = picks
            .into_iter()
            .map(|at| (bulk(pairs[at].0), bulk(pairs[at].1)));
        return Ok(Reply::Pairs(chosen.collect()));
    }
    Ok(Reply::Array(
        picks.into_iter().map(|at| bulk(pairs[at].0)).collect(),
    ))
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: a listpack is returned whole with cursor 0
/// (as Redis does); a hash table is paged by field hash, so every field present for the whole
/// scan is returned exactly once.
pub fn hscan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(hscan_result(ctx, argv))
}

fn hscan_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let cursor = scan::scan_cursor(&argv[2])?;
    let Some(hash) = lookup(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(scan::scan_reply(0, Vec::new()));
    };
    let options = ScanOptions::parse(&argv[3..], scan::Options::MatchCount)?;
    let (pairs, next) = match &hash.repr {
        Repr::Listpack(pairs) => (pairs.iter().map(|slot| (slot.key, slot.value)).collect(), 0),
        Repr::Table(map) => scan::scan_page(
            map.range((cursor, Vec::new())..)
                .map(|((hash, f), v)| (*hash, (f.as_slice(), v.as_slice()))),
            options.count,
        ),
    };
    let found = pairs
        .into_iter()
        .filter(|(field, _)| options.matches(field))
        .flat_map(|(field, value)| [bulk(field), bulk(value)])
        .collect();
    Ok(scan::scan_reply(next, found))
}

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("hdel", -3, FAST, 1, 1, 1, Write(legacy!(hdel))),
    cmd!("hexists", 3, FAST, 1, 1, 1, Read(legacy!(hexists))),
    cmd!("hget", 3, FAST, 1, 1, 1, Read(legacy!(hget))),
    cmd!("hgetall", 2, 0, 1, 1, 1, Read(legacy!(hgetall))),
    cmd!(
        "hincrby",
        4,
        DENYOOM | FAST,
        1,
        1,
        1,
        Write(legacy!(hincrby))
    ),
    cmd!(
        "hincrbyfloat",
        4,
        DENYOOM | FAST,
        1,
        1,
        1,
        Write(legacy!(hincrbyfloat))
    ),
    cmd!("hkeys", 2, 0, 1, 1, 1, Read(legacy!(hkeys))),
    cmd!("hlen", 2, FAST, 1, 1, 1, Read(legacy!(hlen))),
    cmd!("hmget", -3, FAST, 1, 1, 1, Read(legacy!(hmget))),
    cmd!("hmset", -4, DENYOOM | FAST, 1, 1, 1, Write(legacy!(hmset))),
    cmd!("hrandfield", -2, RANDOM, 1, 1, 1, Read(legacy!(hrandfield))),
    cmd!("hscan", -3, 0, 1, 1, 1, Read(legacy!(hscan))),
    cmd!("hset", -4, DENYOOM | FAST, 1, 1, 1, Write(legacy!(hset))),
    cmd!("hsetnx", 4, DENYOOM | FAST, 1, 1, 1, Write(legacy!(hsetnx))),
    cmd!("hstrlen", 3, FAST, 1, 1, 1, Read(legacy!(hstrlen))),
    cmd!("hvals", 2, 0, 1, 1, 1, Read(legacy!(hvals))),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::splice_value;
    use crate::testutil::{apply, bulk, bulks, err, int, ok, read, read_seeded};
    use crate::Engine;

    const WRONGTYPE: &str = crate::reply::WRONGTYPE;

    fn engine_with_hash(pairs: &[&str]) -> Engine {
        let mut engine = Engine::new();
        let mut parts = vec!["HSET", "h"];
        parts.extend_from_slice(pairs);
        apply(&mut engine, 1000, &parts);
        apply(&mut engine, 1000, &["SET", "s", "string"]);
        engine
    }

    fn hash_of(engine: &Engine, key: &str) -> HashValue {
        match &engine.keyspace().dbs[0]
            .get(key.as_bytes(), 0)
            .unwrap()
            .value
        {
            Value::Hash(hash) => hash.clone(),
            other => panic!("not a hash: {other:?}"),
        }
    }

    fn map(pairs: &[(&str, &str)]) -> Reply {
        Reply::Map(pairs.iter().map(|(f, v)| (bulk(f), bulk(v))).collect())
    }

    fn items(reply: Reply) -> Vec<Reply> {
        match reply {
            Reply::Array(items) => items,
            Reply::Pairs(pairs) => pairs.into_iter().flat_map(|(f, v)| [f, v]).collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn hset_counts_new_fields_and_keeps_insertion_order() {
        let mut engine = Engine::new();
        assert_eq!(
            apply(&mut engine, 0, &["HSET", "h", "b", "1", "a", "2"]),
            int(2)
        );
        assert_eq!(
            apply(&mut engine, 0, &["HSET", "h", "b", "3", "c", "4", "c", "5"]),
            int(1)
        );
        assert_eq!(
            read(&engine, 0, &["HGETALL", "h"]),
            map(&[("b", "3"), ("a", "2"), ("c", "5")])
        );
        assert_eq!(hash_of(&engine, "h").encoding_name(), "listpack");
        assert_eq!(
            apply(&mut engine, 0, &["HMSET", "h", "d", "6"]),
            ok(),
            "HMSET replies OK"
        );
        assert_eq!(read(&engine, 0, &["HLEN", "h"]), int(4));
    }

    #[test]
    fn hset_errors() {
        let mut engine = engine_with_hash(&["f", "v"]);
        assert_eq!(
            apply(&mut engine, 1000, &["HSET", "h", "f", "v", "g"]),
            err("ERR wrong number of arguments for 'hset' command")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HMSET", "h", "f", "v", "g"]),
            err("ERR wrong number of arguments for 'hmset' command")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HSET", "h", "f"]),
            err("ERR wrong number of arguments for 'hset' command")
        );
        for parts in [
            &["HSET", "s", "f", "v"][..],
            &["HMSET", "s", "f", "v"],
            &["HSETNX", "s", "f", "v"],
            &["HDEL", "s", "f"],
            &["HINCRBY", "s", "f", "1"],
            &["HINCRBYFLOAT", "s", "f", "1"],
        ] {
            assert_eq!(apply(&mut engine, 1000, parts), err(WRONGTYPE), "{parts:?}");
        }
        for parts in [
            &["HGET", "s", "f"][..],
            &["HMGET", "s", "f"],
            &["HGETALL", "s"],
            &["HKEYS", "s"],
            &["HVALS", "s"],
            &["HLEN", "s"],
            &["HSTRLEN", "s", "f"],
            &["HEXISTS", "s", "f"],
            &["HRANDFIELD", "s"],
            &["HRANDFIELD", "s", "2"],
            &["HSCAN", "s", "0"],
        ] {
            assert_eq!(read(&engine, 1000, parts), err(WRONGTYPE), "{parts:?}");
        }
    }

    #[test]
    fn hset_keeps_the_deadline_and_a_past_deadline_starts_afresh() {
        let mut engine = engine_with_hash(&["f", "v"]);
        apply(&mut engine, 1000, &["PEXPIRE", "h", "100"]);
        assert_eq!(apply(&mut engine, 1000, &["HSET", "h", "g", "w"]), int(1));
        assert_eq!(read(&engine, 1000, &["PTTL", "h"]), int(100));
        assert_eq!(apply(&mut engine, 1100, &["HSET", "h", "g", "w"]), int(1));
        assert_eq!(read(&engine, 1100, &["HLEN", "h"]), int(1));
        assert_eq!(read(&engine, 1100, &["PTTL", "h"]), int(-1));
    }

    #[test]
    fn long_values_and_many_fields_convert_to_a_hash_table() {
        let mut engine = Engine::new();
        let long = "x".repeat(LISTPACK_VALUE_MAX);
        apply(&mut engine, 0, &["HSET", "h", "f", &long]);
        assert_eq!(hash_of(&engine, "h").encoding_name(), "listpack");
        let longer = "x".repeat(LISTPACK_VALUE_MAX + 1);
        // An existing field updated with a long value converts too.
        apply(&mut engine, 0, &["HSET", "h", "f", &longer]);
        assert_eq!(hash_of(&engine, "h").encoding_name(), "hashtable");
        // HSETNX on an existing field stores nothing and does not convert.
        apply(&mut engine, 0, &["HSET", "n", "f", "v"]);
        assert_eq!(
            apply(&mut engine, 0, &["HSETNX", "n", "f", &longer]),
            int(0)
        );
        assert_eq!(hash_of(&engine, "n").encoding_name(), "listpack");
        // HSET converts on a long argument even when the value stored is a short one.
        apply(&mut engine, 0, &["HSET", "m", "f", &longer, "f", "short"]);
        assert_eq!(hash_of(&engine, "m").encoding_name(), "hashtable");
        for i in 0..LISTPACK_ENTRIES_MAX {
            apply(&mut engine, 0, &["HSET", "big", &format!("f{i}"), "v"]);
        }
        assert_eq!(hash_of(&engine, "big").encoding_name(), "listpack");
        apply(&mut engine, 0, &["HSET", "big", "one-more", "v"]);
        assert_eq!(hash_of(&engine, "big").encoding_name(), "hashtable");
        // Never back, even when small again.
        for i in 0..LISTPACK_ENTRIES_MAX {
            apply(&mut engine, 0, &["HDEL", "big", &format!("f{i}")]);
        }
        assert_eq!(hash_of(&engine, "big").encoding_name(), "hashtable");
        assert_eq!(
            read(&engine, 0, &["HGETALL", "big"]),
            map(&[("one-more", "v")])
        );
        // HINCRBYFLOAT producing a long value converts.
        apply(&mut engine, 0, &["HSET", "f", "x", "1"]);
        apply(&mut engine, 0, &["HINCRBYFLOAT", "f", "x", "1e70"]);
        assert_eq!(hash_of(&engine, "f").encoding_name(), "hashtable");
    }

    #[test]
    fn a_small_hash_is_one_small_allocation() {
        // The keyspace holds values inline: the listpack encoding must keep them small.
        assert!(std::mem::size_of::<HashValue>() <= 16);
        let mut engine = Engine::new();
        let mut argv = vec!["HSET".to_string(), "h".to_string()];
        for i in 0..10 {
            argv.extend([format!("field:{i}"), format!("value:{i}")]);
        }
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        apply(&mut engine, 0, &argv);
        // 10 × (2 length bytes + 7 + 7) + the 1-byte count.
        assert_eq!(hash_of(&engine, "h").listpack_bytes(), Some(161));
        apply(&mut engine, 0, &["HSET", "h", "field:3", "v"]);
        assert_eq!(
            hash_of(&engine, "h").listpack_bytes(),
            Some(155),
            "no slack"
        );
        apply(&mut engine, 0, &["HDEL", "h", "field:0"]);
        assert_eq!(hash_of(&engine, "h").listpack_bytes(), Some(139));
        let fields = items(read(&engine, 0, &["HKEYS", "h"]));
        assert_eq!(fields[2], bulk("field:3"), "an update keeps its place");
    }

    #[test]
    fn hsetnx_sets_only_new_fields() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["HSETNX", "h", "f", "1"]), int(1));
        assert_eq!(apply(&mut engine, 0, &["HSETNX", "h", "f", "2"]), int(0));
        assert_eq!(read(&engine, 0, &["HGET", "h", "f"]), bulk("1"));
    }

    #[test]
    fn hget_hmget_hexists_hstrlen() {
        let engine = engine_with_hash(&["f", "hello", "g", ""]);
        assert_eq!(read(&engine, 1000, &["HGET", "h", "f"]), bulk("hello"));
        assert_eq!(read(&engine, 1000, &["HGET", "h", "x"]), Reply::Nil);
        assert_eq!(read(&engine, 1000, &["HGET", "nope", "f"]), Reply::Nil);
        assert_eq!(
            read(&engine, 1000, &["HMGET", "h", "g", "x", "f"]),
            Reply::Array(vec![bulk(""), Reply::Nil, bulk("hello")])
        );
        assert_eq!(
            read(&engine, 1000, &["HMGET", "nope", "a", "b"]),
            Reply::Array(vec![Reply::Nil, Reply::Nil])
        );
        assert_eq!(read(&engine, 1000, &["HEXISTS", "h", "g"]), int(1));
        assert_eq!(read(&engine, 1000, &["HEXISTS", "h", "x"]), int(0));
        assert_eq!(read(&engine, 1000, &["HEXISTS", "nope", "x"]), int(0));
        assert_eq!(read(&engine, 1000, &["HSTRLEN", "h", "f"]), int(5));
        assert_eq!(read(&engine, 1000, &["HSTRLEN", "h", "x"]), int(0));
        assert_eq!(read(&engine, 1000, &["HSTRLEN", "nope", "x"]), int(0));
        assert_eq!(read(&engine, 1000, &["HLEN", "nope"]), int(0));
    }

    #[test]
    fn hdel_counts_and_deletes_an_emptied_hash() {
        let mut engine = engine_with_hash(&["a", "1", "b", "2"]);
        assert_eq!(
            apply(&mut engine, 1000, &["HDEL", "h", "a", "x", "a"]),
            int(1)
        );
        assert_eq!(apply(&mut engine, 1000, &["HDEL", "nope", "a"]), int(0));
        assert_eq!(apply(&mut engine, 1000, &["HDEL", "h", "b"]), int(1));
        assert_eq!(read(&engine, 1000, &["EXISTS", "h"]), int(0));
    }

    #[test]
    fn hkeys_hvals_hgetall() {
        let engine = engine_with_hash(&["z", "1", "a", "2"]);
        assert_eq!(read(&engine, 1000, &["HKEYS", "h"]), bulks(&["z", "a"]));
        assert_eq!(read(&engine, 1000, &["HVALS", "h"]), bulks(&["1", "2"]));
        assert_eq!(
            read(&engine, 1000, &["HGETALL", "h"]),
            map(&[("z", "1"), ("a", "2")])
        );
        assert_eq!(read(&engine, 1000, &["HKEYS", "nope"]), bulks(&[]));
        assert_eq!(read(&engine, 1000, &["HVALS", "nope"]), bulks(&[]));
        assert_eq!(read(&engine, 1000, &["HGETALL", "nope"]), map(&[]));
    }

    #[test]
    fn hincrby_counts_and_checks() {
        let mut engine = engine_with_hash(&["n", "10", "s", "abc", "z", "007"]);
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "h", "n", "5"]),
            int(15)
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "h", "new", "-3"]),
            int(-3)
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "k", "f", "2"]),
            int(2)
        );
        assert_eq!(read(&engine, 1000, &["HGET", "h", "n"]), bulk("15"));
        let not_int = err("ERR hash value is not an integer");
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "h", "s", "1"]),
            not_int
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "h", "z", "1"]),
            not_int
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "h", "n", "x"]),
            err(args::NOT_INTEGER)
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "s", "n", "x"]),
            err(args::NOT_INTEGER),
            "the increment is checked before the type"
        );
        let overflow = err("ERR increment or decrement would overflow");
        apply(
            &mut engine,
            1000,
            &["HSET", "h", "max", "9223372036854775807"],
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "h", "max", "1"]),
            overflow
        );
        assert_eq!(
            apply(
                &mut engine,
                1000,
                &["HINCRBY", "h", "new", "-9223372036854775807"]
            ),
            overflow
        );
        assert_eq!(
            apply(&mut engine, 1000, &["HINCRBY", "e", "f", "x"]),
            err(args::NOT_INTEGER)
        );
        assert_eq!(read(&engine, 1000, &["EXISTS", "e"]), int(0));
    }

    #[test]
    fn hincrbyfloat_formats_like_redis() {
        let mut engine = engine_with_hash(&["f", "10.5", "e", "5.0e3", "i", "inf", "s", "x"]);
        let float = |engine: &mut Engine, field: &str, incr: &str| {
            apply(engine, 1000, &["HINCRBYFLOAT", "h", field, incr])
        };
        assert_eq!(float(&mut engine, "f", "0.1"), bulk("10.6"));
        assert_eq!(float(&mut engine, "e", "2.0e2"), bulk("5200"));
        assert_eq!(float(&mut engine, "new", "-1.1"), bulk("-1.1"));
        assert_eq!(read(&engine, 1000, &["HGET", "h", "e"]), bulk("5200"));
        assert_eq!(float(&mut engine, "f", "x"), err(NOT_FLOAT));
        assert_eq!(float(&mut engine, "f", "nan"), err(NOT_FLOAT));
        assert_eq!(
            float(&mut engine, "f", "inf"),
            err("ERR value is NaN or Infinity")
        );
        assert_eq!(
            float(&mut engine, "s", "1"),
            err("ERR hash value is not a float")
        );
        let nan_inf = err("ERR increment would produce NaN or Infinity");
        assert_eq!(float(&mut engine, "i", "1"), nan_inf);
        apply(&mut engine, 1000, &["HSET", "h", "big", "1e4932"]);
        assert_eq!(float(&mut engine, "big", "1e4932"), nan_inf);
    }

    #[test]
    fn hrandfield_without_count() {
        let engine = engine_with_hash(&["a", "1", "b", "2", "c", "3"]);
        let mut seen = Vec::new();
        for seed in 0..50 {
            let reply = read_seeded(&engine, 1000, seed, &["HRANDFIELD", "h"]);
            assert!([bulk("a"), bulk("b"), bulk("c")].contains(&reply));
            if !seen.contains(&reply) {
                seen.push(reply);
            }
        }
        assert_eq!(seen.len(), 3, "every field comes up");
        assert_eq!(read(&engine, 1000, &["HRANDFIELD", "nope"]), Reply::Nil);
    }

    #[test]
    fn hrandfield_with_counts() {
        let engine = engine_with_hash(&["a", "1", "b", "2", "c", "3", "d", "4"]);
        let rand = |seed: u64, parts: &[&str]| {
            let mut argv = vec!["HRANDFIELD", "h"];
            argv.extend_from_slice(parts);
            items(read_seeded(&engine, 1000, seed, &argv))
        };
        for seed in 0..20 {
            let mut distinct = rand(seed, &["3"]);
            assert_eq!(distinct.len(), 3);
            distinct.sort_by_key(|r| format!("{r:?}"));
            distinct.dedup();
            assert_eq!(distinct.len(), 3);
            assert_eq!(rand(seed, &["-10"]).len(), 10);
            let pairs = rand(seed, &["-5", "withvalues"]);
            assert_eq!(pairs.len(), 10);
            for pair in pairs.chunks(2) {
                let Reply::Bulk(field) = &pair[0] else {
                    panic!()
                };
                let expected = match field.as_slice() {
                    b"a" => "1",
                    b"b" => "2",
                    b"c" => "3",
                    _ => "4",
                };
                assert_eq!(pair[1], bulk(expected));
            }
        }
        // A count covering the hash gives the whole hash in order.
        assert_eq!(
            rand(1, &["10", "WITHVALUES"]),
            items(bulks(&["a", "1", "b", "2", "c", "3", "d", "4"]))
        );
        assert_eq!(rand(1, &["0"]), vec![]);
        assert_eq!(
            read(&engine, 1000, &["HRANDFIELD", "nope", "-5"]),
            bulks(&[])
        );
        assert_eq!(
            read(&engine, 1000, &["HRANDFIELD", "nope", "5"]),
            bulks(&[])
        );
    }

    #[test]
    fn hrandfield_errors() {
        let engine = engine_with_hash(&["a", "1"]);
        let rand = |parts: &[&str]| {
            let mut argv = vec!["HRANDFIELD"];
            argv.extend_from_slice(parts);
            read(&engine, 1000, &argv)
        };
        assert_eq!(rand(&["h", "x"]), err(args::NOT_INTEGER));
        assert_eq!(rand(&["nope", "x"]), err(args::NOT_INTEGER));
        assert_eq!(
            rand(&["h", "-9223372036854775808"]),
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(rand(&["h", "1", "WITHSCORES"]), err(args::SYNTAX_ERROR));
        assert_eq!(
            rand(&["h", "1", "WITHVALUES", "x"]),
            err(args::SYNTAX_ERROR)
        );
        assert_eq!(
            rand(&["h", "-4611686018427387904", "WITHVALUES"]),
            err("ERR value is out of range")
        );
        assert_eq!(
            rand(&["h", "4611686018427387904", "WITHVALUES"]),
            err("ERR value is out of range")
        );
        assert_eq!(
            rand(&["h", "-4611686018427387903"]),
            err("ERR value is out of range"),
            "repeated picks are bounded"
        );
        assert_eq!(rand(&["h", "4611686018427387903"]), bulks(&["a"]));
        assert_eq!(rand(&["s", "1", "x"]), err(args::SYNTAX_ERROR));
    }

    #[test]
    fn hscan_returns_a_listpack_whole_and_pages_a_hash_table() {
        let mut engine = engine_with_hash(&["a1", "1", "b1", "2", "a2", "3"]);
        assert_eq!(
            read(&engine, 1000, &["HSCAN", "h", "0", "COUNT", "1"]),
            Reply::Array(vec![bulk("0"), bulks(&["a1", "1", "b1", "2", "a2", "3"])])
        );
        assert_eq!(
            read(&engine, 1000, &["HSCAN", "h", "0", "MATCH", "a*"]),
            Reply::Array(vec![bulk("0"), bulks(&["a1", "1", "a2", "3"])])
        );
        assert_eq!(
            read(&engine, 1000, &["HSCAN", "nope", "0", "BOGUS"]),
            Reply::Array(vec![bulk("0"), bulks(&[])])
        );
        for i in 0..600 {
            apply(
                &mut engine,
                1000,
                &["HSET", "big", &format!("f{i}"), &i.to_string()],
            );
        }
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        let mut calls = 0;
        loop {
            let reply = read(&engine, 1000, &["HSCAN", "big", &cursor, "COUNT", "7"]);
            let mut parts = items(reply).into_iter();
            let Some(Reply::Bulk(next)) = parts.next() else {
                panic!()
            };
            let found = items(parts.next().unwrap());
            assert!(found.len() <= 2 * 8, "about COUNT fields per call");
            seen.extend(found.chunks(2).map(|pair| pair[0].clone()));
            cursor = String::from_utf8(next).unwrap();
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert!(calls > 60);
        assert_eq!(seen.len(), 600);
        seen.sort_by_key(|r| format!("{r:?}"));
        seen.dedup();
        assert_eq!(seen.len(), 600);
    }

    #[test]
    fn hscan_errors() {
        let engine = engine_with_hash(&["a", "1"]);
        let scan = |parts: &[&str]| {
            let mut argv = vec!["HSCAN"];
            argv.extend_from_slice(parts);
            read(&engine, 1000, &argv)
        };
        assert_eq!(scan(&["h", "x"]), err("ERR invalid cursor"));
        assert_eq!(scan(&["s", "x"]), err("ERR invalid cursor"));
        assert_eq!(scan(&["s", "0", "BOGUS"]), err(WRONGTYPE));
        assert_eq!(scan(&["h", "0", "COUNT", "0"]), err(args::SYNTAX_ERROR));
        assert_eq!(scan(&["h", "0", "COUNT", "x"]), err(args::NOT_INTEGER));
        assert_eq!(scan(&["h", "0", "TYPE", "hash"]), err(args::SYNTAX_ERROR));
        assert_eq!(scan(&["h", "0", "MATCH"]), err(args::SYNTAX_ERROR));
    }

    #[test]
    fn snapshot_round_trips_both_encodings_and_rejects_bad_contents() {
        let mut engine = Engine::new();
        apply(&mut engine, 1000, &["HSET", "h", "a", "1", "b", "2"]);
        let mut big = Engine::new();
        for i in 0..600 {
            apply(&mut big, 1000, &["HSET", "h", &format!("f{i}"), "v"]);
        }
        for engine in [engine, big] {
            let bytes = engine.encode_snapshot();
            let decoded = Engine::decode_snapshot(&bytes).unwrap();
            assert_eq!(hash_of(&decoded, "h"), hash_of(&engine, "h"));
            assert_eq!(decoded.encode_snapshot(), bytes);
        }
        let decode = |value: &[u8]| {
            let mut only = Engine::new();
            apply(&mut only, 1000, &["HSET", "h", "f", "v"]);
            Engine::decode_snapshot(&splice_value(&only, value))
        };
        let mut dup = vec![ENCODING_LISTPACK];
        dup.extend_from_slice(&2u32.to_le_bytes());
        for _ in 0..2 {
            put_bytes(&mut dup, b"f");
            put_bytes(&mut dup, b"v");
        }
        assert!(decode(&dup).is_err());
        dup[0] = ENCODING_TABLE;
        assert!(decode(&dup).is_err());
        dup[0] = 7;
        assert!(decode(&dup).is_err());
        let mut long = vec![ENCODING_LISTPACK];
        long.extend_from_slice(&1u32.to_le_bytes());
        put_bytes(&mut long, &[b'x'; LISTPACK_VALUE_MAX + 1]);
        put_bytes(&mut long, b"v");
        // A listpack past today's thresholds is valid: they are configuration, and a value
        // built under higher ones keeps its encoding until its next write.
        assert!(decode(&long).is_ok());
        long[0] = ENCODING_TABLE;
        assert!(decode(&long).is_ok());
    }

    #[test]
    fn the_replicated_thresholds_decide_conversions() {
        use crate::testutil::{config_set, encoding};
        let mut e = Engine::new();
        config_set(&mut e, "hash-max-listpack-entries", "2");
        apply(&mut e, 1000, &["HSET", "h", "a", "1", "b", "2"]);
        assert_eq!(encoding(&e, "h"), "listpack");
        apply(&mut e, 1000, &["HSET", "h", "c", "3"]);
        assert_eq!(encoding(&e, "h"), "hashtable");
        config_set(&mut e, "hash-max-listpack-value", "3");
        apply(&mut e, 1000, &["HSET", "short", "f", "abc"]);
        apply(&mut e, 1000, &["HSET", "long", "f", "abcd"]);
        assert_eq!(encoding(&e, "short"), "listpack");
        assert_eq!(encoding(&e, "long"), "hashtable");
    }
}
