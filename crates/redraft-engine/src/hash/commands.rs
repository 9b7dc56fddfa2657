//! The hash commands and their entries in the command table.

use crate::args::{int_arg, parse_i64, NOT_FLOAT};
use crate::longdouble::{LongDouble, Parsed};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::rng::Rng;
use crate::sample;
use crate::scan::{self, ScanOptions};
use crate::spec::{
    self, cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST, RANDOM,
};
use crate::spec::{ReadCtx, WriteCtx};

use super::value::HashValue;

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "hdel", -3, FAST, 1, 1, 1, Write(hdel),
        keys: "RW delete @1",
        docs: "hash 2.0.0",
        summary: "Removes fields from a hash",
        complexity: "O(N), N being the number of fields removed",
        history: "2.4.0 Takes several fields at once.",
        args: "key:key#0 *field:string",
    ),
    cmd!(
        "hexists", 3, FAST, 1, 1, 1, Read(hexists),
        keys: "RO @1",
        docs: "hash 2.0.0",
        summary: "Tells whether a hash has a field",
        complexity: "O(1)",
        args: "key:key#0 field:string",
    ),
    cmd!(
        "hget", 3, FAST, 1, 1, 1, Read(hget),
        keys: "RO access @1",
        docs: "hash 2.0.0",
        summary: "Reads one field of a hash",
        complexity: "O(1)",
        args: "key:key#0 field:string",
    ),
    cmd!(
        "hgetall", 2, 0, 1, 1, 1, Read(hgetall),
        tips: "nondeterministic_output_order",
        keys: "RO access @1",
        docs: "hash 2.0.0",
        summary: "Reads every field and value of a hash",
        complexity: "O(N), N being the hash's size",
        args: "key:key#0",
    ),
    cmd!(
        "hincrby", 4, DENYOOM | FAST, 1, 1, 1, Write(hincrby),
        keys: "RW access update @1",
        docs: "hash 2.0.0",
        summary: "Adds an integer to a hash field's integer value",
        complexity: "O(1)",
        args: "key:key#0 field:string increment:integer",
    ),
    cmd!(
        "hincrbyfloat", 4, DENYOOM | FAST, 1, 1, 1, Write(hincrbyfloat),
        keys: "RW access update @1",
        docs: "hash 2.6.0",
        summary: "Adds a decimal amount to a hash field's number",
        complexity: "O(1)",
        args: "key:key#0 field:string increment:double",
    ),
    cmd!(
        "hkeys", 2, 0, 1, 1, 1, Read(hkeys),
        tips: "nondeterministic_output_order",
        keys: "RO access @1",
        docs: "hash 2.0.0",
        summary: "Lists a hash's field names",
        complexity: "O(N), N being the hash's size",
        args: "key:key#0",
    ),
    cmd!(
        "hlen", 2, FAST, 1, 1, 1, Read(hlen),
        keys: "RO @1",
        docs: "hash 2.0.0",
        summary: "Counts a hash's fields",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "hmget", -3, FAST, 1, 1, 1, Read(hmget),
        keys: "RO access @1",
        docs: "hash 2.0.0",
        summary: "Reads several fields of a hash",
        complexity: "O(N), N being the number of fields asked for",
        args: "key:key#0 *field:string",
    ),
    cmd!(
        "hmset", -4, DENYOOM | FAST, 1, 1, 1, Write(hmset),
        keys: "RW update @1",
        docs: "hash 2.0.0 deprecated deprecated_since:4.0.0",
        summary: "Writes several hash fields (the older form of HSET)",
        complexity: "O(N), N being the number of fields written",
        replaced_by: "HSET, which takes several field-value pairs",
        args: "key:key#0 *field_value:block(field:string value:string)",
    ),
    cmd!(
        "hrandfield", -2, RANDOM, 1, 1, 1, Read(hrandfield),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "hash 6.2.0",
        summary: "Picks random fields of a hash, optionally with their values",
        complexity: "O(N), N being the number of fields picked",
        args: "key:key#0 ?options:block(count:integer ?withvalues:pure-token=WITHVALUES)",
    ),
    cmd!(
        "hscan", -3, 0, 1, 1, 1, Read(hscan),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "hash 2.8.0",
        summary: "Walks a hash's fields and values with a cursor",
        complexity: "O(1) per call; O(N) for a whole walk, N being the hash's size",
        args: "key:key#0 cursor:integer ?pattern:pattern=MATCH ?count:integer=COUNT",
    ),
    cmd!(
        "hset", -4, DENYOOM | FAST, 1, 1, 1, Write(hset),
        keys: "RW update @1",
        docs: "hash 2.0.0",
        summary: "Writes one or more fields of a hash",
        complexity: "O(1) per field written",
        history: "4.0.0 Takes several field-value pairs at once.",
        args: "key:key#0 *field_value:block(field:string value:string)",
    ),
    cmd!(
        "hsetnx", 4, DENYOOM | FAST, 1, 1, 1, Write(hsetnx),
        keys: "RW insert @1",
        docs: "hash 2.0.0",
        summary: "Writes a hash field only when it does not exist yet",
        complexity: "O(1)",
        args: "key:key#0 field:string value:string",
    ),
    cmd!(
        "hstrlen", 3, FAST, 1, 1, 1, Read(hstrlen),
        keys: "RO @1",
        docs: "hash 3.2.0",
        summary: "Gives the byte length of a hash field's value",
        complexity: "O(1)",
        args: "key:key#0 field:string",
    ),
    cmd!(
        "hvals", 2, 0, 1, 1, 1, Read(hvals),
        tips: "nondeterministic_output_order",
        keys: "RO access @1",
        docs: "hash 2.0.0",
        summary: "Lists a hash's values",
        complexity: "O(N), N being the hash's size",
        args: "key:key#0",
    ),
];

fn bulk(bytes: &[u8]) -> Reply {
    Reply::bulk(bytes)
}

fn integer(value: usize) -> CmdResult {
    Ok(Reply::Integer(value as i64))
}

/// The value of `argv[2]` in the hash at `argv[1]` (HGET, HSTRLEN, HEXISTS).
fn field<'a>(ctx: &'a ReadCtx, argv: &[Vec<u8>]) -> Result<Option<&'a [u8]>, Reply> {
    let hash = ctx.db().get_as::<HashValue>(&argv[1], ctx.now_ms)?;
    Ok(hash.and_then(|hash| hash.get(&argv[2])))
}

/// The one HSET behind HSET and HMSET: pairs of field and value; returns how many are new.
/// An "hset" event even when no field is new, as in Redis.
fn hset_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], name: &str) -> Result<usize, Reply> {
    if argv.len() % 2 == 1 {
        return Err(spec::wrong_arity(name));
    }
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let hash = ctx.db().get_or_create::<HashValue>(&argv[1], now)?;
    hash.convert_for(&argv[2..], &limits);
    let pairs = argv[2..].chunks_exact(2);
    let created = pairs
        .filter(|pair| hash.set(&pair[0], pair[1].clone(), &limits))
        .count();
    ctx.notify(Class::HASH, "hset", &argv[1]);
    // Redis counts every pair set, new or not.
    ctx.changed(argv[2..].len() as u64 / 2);
    Ok(created)
}

/// HSET key field value [field value ...]: how many fields are new.
pub fn hset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    integer(hset_generic(ctx, argv, "hset")?)
}

/// HMSET key field value [field value ...]: OK.
pub fn hmset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    hset_generic(ctx, argv, "hmset")?;
    Ok(Reply::ok())
}

/// HSETNX key field value: 1 when set, 0 when the field exists.
pub fn hsetnx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let (key, field) = (&argv[1], &argv[2]);
    let db = ctx.db();
    if db
        .get_as_mut::<HashValue>(key, now)?
        .is_some_and(|hash| hash.contains(field))
    {
        return integer(0);
    }
    let hash = db.get_or_create::<HashValue>(key, now)?;
    hash.convert_for(&argv[2..4], &limits);
    hash.set(field, argv[3].clone(), &limits);
    ctx.notify(Class::HASH, "hset", key);
    integer(1)
}

pub fn hget(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(field(ctx, argv)?.map_or(Reply::Nil, bulk))
}

pub fn hstrlen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    integer(field(ctx, argv)?.map_or(0, <[u8]>::len))
}

pub fn hexists(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    integer(usize::from(field(ctx, argv)?.is_some()))
}

/// HMGET key field [field ...]: a value or Nil per field; Nil for all when the key is absent.
pub fn hmget(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let hash = ctx.db().get_as::<HashValue>(&argv[1], ctx.now_ms)?;
    let value = |field: &Vec<u8>| {
        hash.and_then(|hash| hash.get(field))
            .map_or(Reply::Nil, bulk)
    };
    Ok(Reply::Array(argv[2..].iter().map(value).collect()))
}

/// HDEL key field [field ...]: how many were removed; an emptied hash is deleted.
pub fn hdel(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (now, key) = (ctx.now_ms, &argv[1]);
    let Some(hash) = ctx.db().get_as_mut::<HashValue>(key, now)? else {
        return integer(0);
    };
    let deleted = argv[2..].iter().filter(|field| hash.remove(field)).count();
    let emptied = hash.is_empty();
    if deleted > 0 {
        ctx.notify(Class::HASH, "hdel", key);
    }
    if emptied {
        ctx.db().remove(key, now);
        ctx.notify(Class::GENERIC, "del", key);
    }
    ctx.changed(deleted as u64);
    integer(deleted)
}

pub fn hlen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let hash = ctx.db().get_as::<HashValue>(&argv[1], ctx.now_ms)?;
    integer(hash.map_or(0, HashValue::len))
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
fn hgetall_generic(ctx: &ReadCtx, key: &[u8], listing: Listing) -> CmdResult {
    let hash = ctx.db().get_as::<HashValue>(key, ctx.now_ms)?;
    let pairs = hash.into_iter().flat_map(HashValue::iter);
    Ok(match listing {
        Listing::Fields => Reply::Array(pairs.map(|(f, _)| bulk(f)).collect()),
        Listing::Values => Reply::Array(pairs.map(|(_, v)| bulk(v)).collect()),
        Listing::Both => Reply::Map(pairs.map(|(f, v)| (bulk(f), bulk(v))).collect()),
    })
}

pub fn hkeys(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    hgetall_generic(ctx, &argv[1], Listing::Fields)
}

pub fn hvals(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    hgetall_generic(ctx, &argv[1], Listing::Values)
}

pub fn hgetall(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    hgetall_generic(ctx, &argv[1], Listing::Both)
}

/// What HINCRBY and HINCRBYFLOAT share: `add` turns the field's current value (None when
/// absent) into the bytes to store and the reply; nothing is stored when it fails. `event`
/// is the command's keyspace event.
fn hincr_generic(
    ctx: &mut WriteCtx,
    argv: &[Vec<u8>],
    event: &str,
    add: impl FnOnce(Option<&[u8]>) -> Result<(Vec<u8>, Reply), Reply>,
) -> CmdResult {
    let (now, limits) = (ctx.now_ms, ctx.keyspace.encoding);
    let (key, field) = (&argv[1], &argv[2]);
    let hash = ctx.db().get_as::<HashValue>(key, now)?;
    let (stored, reply) = add(hash.and_then(|hash| hash.get(field)))?;
    let hash = ctx.db().get_or_create::<HashValue>(key, now)?;
    hash.set(field, stored, &limits);
    ctx.notify(Class::HASH, event, key);
    Ok(reply)
}

/// HINCRBY key field increment: the field's value must be an integer as string2ll reads it;
/// the increment is read before the key.
pub fn hincrby(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let incr = int_arg(&argv[3])?;
    hincr_generic(ctx, argv, "hincrby", |current| {
        let current = match current {
            Some(bytes) => {
                parse_i64(bytes).ok_or_else(|| Reply::error("ERR hash value is not an integer"))?
            }
            None => 0,
        };
        let value = current
            .checked_add(incr)
            .ok_or_else(|| Reply::error("ERR increment or decrement would overflow"))?;
        Ok((value.to_string().into_bytes(), Reply::Integer(value)))
    })
}

/// HINCRBYFLOAT key field increment: x87 long double arithmetic and formatting, as Redis on
/// x86-64 (see [`LongDouble`]), like INCRBYFLOAT.
pub fn hincrbyfloat(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let nan_inf = || Reply::error("ERR increment would produce NaN or Infinity");
    let incr = match LongDouble::parse(&argv[3]) {
        None => return Err(Reply::error(NOT_FLOAT)),
        Some(Parsed::Infinite) => return Err(Reply::error("ERR value is NaN or Infinity")),
        Some(Parsed::Finite(incr)) => incr,
    };
    hincr_generic(ctx, argv, "hincrbyfloat", |current| {
        let current = match LongDouble::parse(current.unwrap_or(b"0")) {
            None => return Err(Reply::error("ERR hash value is not a float")),
            Some(Parsed::Infinite) => return Err(nan_inf()),
            Some(Parsed::Finite(current)) => current,
        };
        let text = current.checked_add(incr).ok_or_else(nan_inf)?.format();
        Ok((text.clone().into_bytes(), Reply::bulk(text)))
    })
}

/// HRANDFIELD key [count [WITHVALUES]]: one field (Nil when absent); with a count, distinct
/// fields (the whole hash, in order, when the count covers it) or, negative, fields drawn with
/// repetition. The choice comes from the context's seed; the arguments are read before the key.
pub fn hrandfield(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let mut rng = Rng::new(ctx.seed);
    let hash = || ctx.db().get_as::<HashValue>(&argv[1], ctx.now_ms);
    let Some(count) = argv.get(2) else {
        let Some(hash) = hash()? else {
            return Ok(Reply::Nil);
        };
        let at = rng.below(hash.len());
        return Ok(hash.iter().nth(at).map_or(Reply::Nil, |(f, _)| bulk(f)));
    };
    let (count, with_values) = sample::count_and_option(count, &argv[3..], "WITHVALUES")?;
    let Some(hash) = hash()?.filter(|_| count != 0) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let sample = sample::sample(count)?;
    let pairs: Vec<(&[u8], &[u8])> = hash.iter().collect();
    let picks = sample::sample_indices(&mut rng, pairs.len(), sample).into_iter();
    Ok(if with_values {
        Reply::Pairs(
            picks
                .map(|at| (bulk(pairs[at].0), bulk(pairs[at].1)))
                .collect(),
        )
    } else {
        Reply::Array(picks.map(|at| bulk(pairs[at].0)).collect())
    })
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is read before the key, the
/// options after it (see [`HashValue::scan`]).
pub fn hscan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = scan::scan_cursor(&argv[2])?;
    let Some(hash) = ctx.db().get_as::<HashValue>(&argv[1], ctx.now_ms)? else {
        return Ok(scan::scan_reply(0, Vec::new()));
    };
    let options = ScanOptions::parse(&argv[3..], scan::Options::MatchCount)?;
    let (pairs, next) = hash.scan(cursor, options.count);
    let found = pairs
        .into_iter()
        .filter(|(field, _)| options.matches(field))
        .flat_map(|(field, value)| [bulk(field), bulk(value)])
        .collect();
    Ok(scan::scan_reply(next, found))
}
