//! The string commands (t_string.c) and this module's entries in the command table.

use super::lcs::{self, Match};
use super::value::{check_string_length, overwrite, substring};
use crate::args::{self, int_arg, is, syntax_error, Args, NOT_FLOAT, NOT_INTEGER};
use crate::keyspace::{Db, Entry, Value};
use crate::longdouble::{LongDouble, Parsed};
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    self, cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST,
};
use crate::spec::{ReadCtx, WriteCtx};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "append", 3, DENYOOM | FAST, 1, 1, 1, Write(append),
        keys: "RW insert @1",
        docs: "string 2.0.0",
        summary: "Adds bytes to the end of a string, creating it when the key is missing",
        complexity: "O(1) amortized",
        args: "key:key#0 value:string",
    ),
    cmd!(
        "decr", 2, DENYOOM | FAST, 1, 1, 1, Write(decr),
        keys: "RW access update @1",
        docs: "string 1.0.0",
        summary: "Subtracts one from the integer stored at a key",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "decrby", 3, DENYOOM | FAST, 1, 1, 1, Write(decrby),
        keys: "RW access update @1",
        docs: "string 1.0.0",
        summary: "Subtracts an amount from the integer stored at a key",
        complexity: "O(1)",
        args: "key:key#0 decrement:integer",
    ),
    cmd!(
        "get", 2, FAST, 1, 1, 1, Read(get),
        keys: "RO access @1",
        docs: "string 1.0.0",
        summary: "Reads the string stored at a key",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "getdel", 2, FAST, 1, 1, 1, Write(getdel),
        keys: "RW access delete @1",
        docs: "string 6.2.0",
        summary: "Reads a string key's value and removes the key",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "getex", -2, FAST, 1, 1, 1, Write(getex),
        keys: "RW access update @1",
        docs: "string 6.2.0",
        summary: "Reads a string key's value and sets or clears its expiry",
        complexity: "O(1)",
        args: "key:key#0 ?expiration:oneof(seconds:integer=EX milliseconds:integer=PX unix-time-seconds:unix-time=EXAT unix-time-milliseconds:unix-time=PXAT persist:pure-token=PERSIST)",
    ),
    cmd!(
        "getrange", 4, 0, 1, 1, 1, Read(getrange),
        keys: "RO access @1",
        docs: "string 2.4.0",
        summary: "Reads part of a string, between two offsets",
        complexity: "O(N), N being the length returned",
        args: "key:key#0 start:integer end:integer",
    ),
    cmd!(
        "getset", 3, DENYOOM | FAST, 1, 1, 1, Write(getset),
        keys: "RW access update @1",
        docs: "string 1.0.0 deprecated deprecated_since:6.2.0",
        summary: "Stores a new string at a key and answers the one it replaced",
        complexity: "O(1)",
        replaced_by: "SET ... GET",
        args: "key:key#0 value:string",
    ),
    cmd!(
        "incr", 2, DENYOOM | FAST, 1, 1, 1, Write(incr),
        keys: "RW access update @1",
        docs: "string 1.0.0",
        summary: "Adds one to the integer stored at a key",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "incrby", 3, DENYOOM | FAST, 1, 1, 1, Write(incrby),
        keys: "RW access update @1",
        docs: "string 1.0.0",
        summary: "Adds an amount to the integer stored at a key",
        complexity: "O(1)",
        args: "key:key#0 increment:integer",
    ),
    cmd!(
        "incrbyfloat", 3, DENYOOM | FAST, 1, 1, 1, Write(incrbyfloat),
        keys: "RW access update @1",
        docs: "string 2.6.0",
        summary: "Adds a decimal amount to the number stored at a key",
        complexity: "O(1)",
        args: "key:key#0 increment:double",
    ),
    cmd!(
        "lcs", -3, 0, 1, 2, 1, Read(lcs),
        keys: "RO access @1 1/1/0",
        docs: "string 7.0.0",
        summary: "Finds the longest common subsequence of two strings, or its length, or where it matches",
        complexity: "O(N*M), N and M being the lengths of the two strings",
        args: "key1:key#0 key2:key#0 ?len:pure-token=LEN ?idx:pure-token=IDX ?len:integer=MINMATCHLEN ?withmatchlen:pure-token=WITHMATCHLEN",
    ),
    cmd!(
        "mget", -2, FAST, 1, -1, 1, Read(mget),
        tips: "request_policy:multi_shard",
        keys: "RO access @1 -1/1/0",
        docs: "string 1.0.0",
        summary: "Reads the strings stored at several keys",
        complexity: "O(N), N being the number of keys",
        args: "*key:key#0",
    ),
    cmd!(
        "mset", -3, DENYOOM, 1, -1, 2, Write(mset),
        tips: "request_policy:multi_shard response_policy:all_succeeded",
        keys: "OW update @1 -1/2/0",
        docs: "string 1.0.1",
        summary: "Stores several strings at once",
        complexity: "O(N), N being the number of keys set",
        args: "*key_value:block(key:key#0 value:string)",
    ),
    cmd!(
        "msetnx", -3, DENYOOM, 1, -1, 2, Write(msetnx),
        tips: "request_policy:multi_shard response_policy:agg_min",
        keys: "OW insert @1 -1/2/0",
        docs: "string 1.0.1",
        summary: "Stores several strings, only if none of the keys exists",
        complexity: "O(N), N being the number of keys set",
        args: "*key_value:block(key:key#0 value:string)",
    ),
    cmd!(
        "psetex", 4, DENYOOM, 1, 1, 1, Write(psetex),
        keys: "OW update @1",
        docs: "string 2.6.0",
        summary: "Stores a string with an expiry given in milliseconds",
        complexity: "O(1)",
        args: "key:key#0 milliseconds:integer value:string",
    ),
    cmd!(
        "set", -3, DENYOOM, 1, 1, 1, Write(set),
        keys: "RW access update variable_flags @1",
        find_keys: set_keys,
        docs: "string 1.0.0",
        summary: "Stores a string at a key, with optional expiry and conditions",
        complexity: "O(1)",
        history: "2.6.12 EX, PX, NX and XX were introduced.; 6.0.0 KEEPTTL was introduced.; 6.2.0 GET, EXAT and PXAT were introduced.; 7.0.0 NX and GET may be combined.",
        args: "key:key#0 value:string ?condition:oneof@2.6.12(nx:pure-token=NX xx:pure-token=XX) ?get:pure-token=GET@6.2.0 ?expiration:oneof(seconds:integer=EX@2.6.12 milliseconds:integer=PX@2.6.12 unix-time-seconds:unix-time=EXAT@6.2.0 unix-time-milliseconds:unix-time=PXAT@6.2.0 keepttl:pure-token=KEEPTTL@6.0.0)",
    ),
    cmd!(
        "setex", 4, DENYOOM, 1, 1, 1, Write(setex),
        keys: "OW update @1",
        docs: "string 2.0.0",
        summary: "Stores a string with an expiry given in seconds",
        complexity: "O(1)",
        args: "key:key#0 seconds:integer value:string",
    ),
    cmd!(
        "setnx", 3, DENYOOM | FAST, 1, 1, 1, Write(setnx),
        keys: "OW insert @1",
        docs: "string 1.0.0",
        summary: "Stores a string only when the key does not exist yet",
        complexity: "O(1)",
        args: "key:key#0 value:string",
    ),
    cmd!(
        "setrange", 4, DENYOOM, 1, 1, 1, Write(setrange),
        keys: "RW update @1",
        docs: "string 2.2.0",
        summary: "Overwrites part of a string from an offset, growing it as needed",
        complexity: "O(1) without growth, else O(M), M being the new length",
        args: "key:key#0 offset:integer value:string",
    ),
    cmd!(
        "strlen", 2, FAST, 1, 1, 1, Read(strlen),
        keys: "RO @1",
        docs: "string 2.2.0",
        summary: "Gives the byte length of a string",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    // SUBSTR is GETRANGE under its old name, as in Redis.
    cmd!(
        "substr", 4, 0, 1, 1, 1, Read(getrange),
        keys: "RO access @1",
        docs: "string 1.0.0 deprecated deprecated_since:2.0.0",
        summary: "Reads part of a string between two offsets (the old name of GETRANGE)",
        complexity: "O(N), N being the length returned",
        replaced_by: "GETRANGE",
        args: "key:key#0 start:integer end:integer",
    ),
];

/// SET's key for COMMAND GETKEYS, with what it does to it: read and updated with GET, else
/// overwritten.
fn set_keys(argv: &[Vec<u8>]) -> Option<Vec<(usize, &'static [&'static str])>> {
    let get = argv
        .iter()
        .skip(3)
        .any(|arg| arg.eq_ignore_ascii_case(b"get"));
    let flags: &[&str] = match get {
        true => &["RW", "access", "update"],
        false => &["OW", "update"],
    };
    Some(vec![(1, flags)])
}

fn string_entry(bytes: Vec<u8>, deadline_ms: Option<u64>) -> Entry {
    Entry::new(Value::String(bytes), deadline_ms)
}

/// GET's reply for `key`: the value, Nil, or WRONGTYPE (as Redis's getGenericCommand).
fn get_reply(db: &Db, key: &[u8], now_ms: u64) -> CmdResult {
    Ok(db
        .get_as::<Vec<u8>>(key, now_ms)?
        .map_or(Reply::Nil, |bytes| Reply::bulk(bytes.as_slice())))
}

/// How an expiry argument is to be read.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TimeUnit {
    /// EX: seconds from now.
    Seconds,
    /// PX: milliseconds from now.
    Millis,
    /// EXAT: Unix time in seconds.
    AtSeconds,
    /// PXAT: Unix time in milliseconds.
    AtMillis,
}

fn time_unit(option: &[u8]) -> Option<TimeUnit> {
    [
        ("EX", TimeUnit::Seconds),
        ("PX", TimeUnit::Millis),
        ("EXAT", TimeUnit::AtSeconds),
        ("PXAT", TimeUnit::AtMillis),
    ]
    .into_iter()
    .find(|(name, _)| is(option, name))
    .map(|(_, unit)| unit)
}

/// The absolute deadline an expiry argument asks for, as getExpireMillisecondsOrReply: the
/// number must be positive and the deadline must fit an i64.
fn deadline_ms(now_ms: u64, unit: TimeUnit, arg: &[u8], command: &str) -> Result<u64, Reply> {
    let value = int_arg(arg)?;
    let invalid = || args::invalid_expire_time(command);
    if value <= 0 {
        return Err(invalid());
    }
    let millis = match unit {
        TimeUnit::Seconds | TimeUnit::AtSeconds => value.checked_mul(1000).ok_or_else(invalid)?,
        TimeUnit::Millis | TimeUnit::AtMillis => value,
    };
    let deadline = match unit {
        TimeUnit::Seconds | TimeUnit::Millis => i64::try_from(now_ms)
            .ok()
            .and_then(|now| millis.checked_add(now))
            .ok_or_else(invalid)?,
        TimeUnit::AtSeconds | TimeUnit::AtMillis => millis,
    };
    u64::try_from(deadline).map_err(|_| invalid())
}

/// The options of SET and GETEX. The expiry's argument is kept unread: SET validates it
/// before anything else, GETEX only once the key is found.
#[derive(Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(TimeUnit, &'a [u8])>,
}

impl<'a> StringOptions<'a> {
    /// Parses the options as parseExtendedStringArgumentsOrReply: an option that SET (or
    /// GETEX) does not take, or that conflicts with one already given, is a syntax error, as
    /// is an expiry without its argument; repeating the same expiry option is allowed and the
    /// last one wins.
    fn parse(mut args: Args<'a>, for_set: bool) -> Result<StringOptions<'a>, Reply> {
        let mut parsed = StringOptions::default();
        while let Some(option) = args.next_arg() {
            let expiring = parsed.expire.map(|(unit, _)| unit);
            let unit = time_unit(option).filter(|&unit| {
                !parsed.keep_ttl && !parsed.persist && expiring.is_none_or(|e| e == unit)
            });
            if is(option, "NX") && for_set && !parsed.xx {
                parsed.nx = true;
            } else if is(option, "XX") && for_set && !parsed.nx {
                parsed.xx = true;
            } else if is(option, "GET") && for_set {
                parsed.get = true;
            } else if is(option, "KEEPTTL") && for_set && !parsed.persist && expiring.is_none() {
                parsed.keep_ttl = true;
            } else if is(option, "PERSIST") && !for_set && !parsed.keep_ttl && expiring.is_none() {
                parsed.persist = true;
            } else if let Some(unit) = unit {
                parsed.expire = Some((unit, args.bytes()?));
            } else {
                return Err(syntax_error());
            }
        }
        Ok(parsed)
    }
}

/// The one SET behind SET, SETNX, SETEX, PSETEX and GETSET (setGenericCommand): validate the
/// expiry, answer GET, honour NX/XX, then store (keeping the old deadline only with KEEPTTL).
/// Answers OK, or Nil when NX/XX prevented it; with GET, the old value either way.
fn set_generic(
    ctx: &mut WriteCtx,
    key: &[u8],
    value: &[u8],
    options: StringOptions,
    command: &str,
) -> CmdResult {
    let now = ctx.now_ms;
    let deadline = options
        .expire
        .map(|(unit, arg)| deadline_ms(now, unit, arg, command));
    let deadline = deadline.transpose()?;
    let old = options.get.then(|| get_reply(ctx.db(), key, now));
    let old = old.transpose()?;
    let existing = ctx.db().get(key, now);
    let found = existing.is_some();
    if (options.nx && found) || (options.xx && !found) {
        return Ok(old.unwrap_or(Reply::Nil));
    }
    let kept = existing.and_then(Entry::deadline_ms);
    let kept = kept.filter(|_| options.keep_ttl);
    let entry = string_entry(value.to_vec(), deadline.or(kept));
    ctx.db().insert(key, entry, now);
    ctx.notify(Class::STRING, "set", key);
    if deadline.is_some() {
        ctx.notify(Class::GENERIC, "expire", key);
    }
    ctx.changed(1);
    Ok(old.unwrap_or_else(Reply::ok))
}

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]
pub fn set(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let options = StringOptions::parse(Args::new(argv, 3), true)?;
    set_generic(ctx, &argv[1], &argv[2], options, "set")
}

/// SETNX key value: 1 if set, 0 if the key exists.
pub fn setnx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let options = StringOptions {
        nx: true,
        ..StringOptions::default()
    };
    let reply = set_generic(ctx, &argv[1], &argv[2], options, "setnx")?;
    Ok(Reply::Integer(i64::from(reply == Reply::ok())))
}

/// SETEX and PSETEX: key, expiry in `unit`, value.
fn set_expiring(ctx: &mut WriteCtx, argv: &[Vec<u8>], unit: TimeUnit, command: &str) -> CmdResult {
    let options = StringOptions {
        expire: Some((unit, &argv[2])),
        ..StringOptions::default()
    };
    set_generic(ctx, &argv[1], &argv[3], options, command)
}

pub fn setex(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    set_expiring(ctx, argv, TimeUnit::Seconds, "setex")
}

pub fn psetex(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    set_expiring(ctx, argv, TimeUnit::Millis, "psetex")
}

/// GETSET key value: SET key value GET (the deadline is dropped, as any plain SET does).
pub fn getset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let options = StringOptions {
        get: true,
        ..StringOptions::default()
    };
    set_generic(ctx, &argv[1], &argv[2], options, "getset")
}

pub fn get(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    get_reply(ctx.db(), &argv[1], ctx.now_ms)
}

pub fn getdel(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let old = get_reply(ctx.db(), &argv[1], now)?;
    if ctx.db().remove(&argv[1], now).is_some() {
        ctx.notify(Class::GENERIC, "del", &argv[1]);
    }
    Ok(old)
}

/// GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]. As in Redis, a missing key
/// answers Nil before the expiry argument is validated.
pub fn getex(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let options = StringOptions::parse(Args::new(argv, 2), false)?;
    let (key, now) = (&argv[1], ctx.now_ms);
    let Some(value) = ctx.db().get_as::<Vec<u8>>(key, now)? else {
        return Ok(Reply::Nil);
    };
    let value = Reply::bulk(value.as_slice());
    if let Some((unit, arg)) = options.expire {
        let deadline = deadline_ms(now, unit, arg, "getex")?;
        if deadline <= now {
            // Only EXAT/PXAT can name a past time; the key is gone from then on.
            ctx.db().remove(key, now);
            ctx.notify(Class::GENERIC, "del", key);
        } else {
            ctx.db().set_deadline(key, Some(deadline), now);
            ctx.notify(Class::GENERIC, "expire", key);
        }
    } else if options.persist {
        let entry = ctx.db().get(key, now);
        if entry.and_then(Entry::deadline_ms).is_some() {
            ctx.db().set_deadline(key, None, now);
            ctx.notify(Class::GENERIC, "persist", key);
        }
    }
    Ok(value)
}

/// MGET: a value per key, Nil for missing keys and for keys of another type (no WRONGTYPE).
pub fn mget(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let values = argv[1..].iter().map(|key| {
        let value = ctx.db().get_as::<Vec<u8>>(key, ctx.now_ms).ok().flatten();
        value.map_or(Reply::Nil, |bytes| Reply::bulk(bytes.as_slice()))
    });
    Ok(Reply::Array(values.collect()))
}

/// MSET and MSETNX: pairs of key and value, all stored without a deadline; with `nx`, none
/// when any key exists. Whether they were stored.
fn mset_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], nx: bool, name: &str) -> Result<bool, Reply> {
    let pairs = argv[1..].chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(spec::wrong_arity(name));
    }
    let now = ctx.now_ms;
    if nx && pairs.clone().any(|pair| ctx.db().contains(&pair[0], now)) {
        return Ok(false);
    }
    for pair in pairs {
        let entry = string_entry(pair[1].clone(), None);
        ctx.db().insert(&pair[0], entry, now);
        ctx.notify(Class::STRING, "set", &pair[0]);
    }
    Ok(true)
}

pub fn mset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    mset_generic(ctx, argv, false, "mset")?;
    Ok(Reply::ok())
}

pub fn msetnx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let stored = mset_generic(ctx, argv, true, "msetnx")?;
    Ok(Reply::Integer(i64::from(stored)))
}

/// APPEND key value: creates the key if missing (encoded as SET would); keeps its deadline
/// otherwise.
pub fn append(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (key, tail, now) = (&argv[1], &argv[2], ctx.now_ms);
    let len = match ctx.db().get_as_mut::<Vec<u8>>(key, now)? {
        Some(bytes) => {
            check_string_length(bytes.len() as u64, tail.len() as u64)?;
            bytes.extend_from_slice(tail);
            let len = bytes.len();
            // Built in place, even by an empty tail: "raw" from now on, as in Redis.
            ctx.db().mark_raw_string(key, now);
            len
        }
        None => {
            ctx.db().insert(key, string_entry(tail.clone(), None), now);
            tail.len()
        }
    };
    ctx.notify(Class::STRING, "append", key);
    Ok(Reply::count(len))
}

pub fn strlen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::count(
        ctx.db()
            .get_as::<Vec<u8>>(&argv[1], ctx.now_ms)?
            .map_or(0, Vec::len),
    ))
}

/// Stores `bytes` as the string at `key`, keeping its deadline (a new key has none).
fn replace(db: &mut Db, key: &[u8], now_ms: u64, bytes: Vec<u8>) {
    match db.get_mut(key, now_ms) {
        Some(entry) => entry.set_value(Value::String(bytes)),
        None => db.insert(key, string_entry(bytes, None), now_ms),
    }
}

/// The one INCR behind INCR, INCRBY, DECR, DECRBY (incrDecrCommand): the value must be an
/// integer as string2ll reads it; the deadline is kept.
fn incr_decr(ctx: &mut WriteCtx, key: &[u8], delta: i64) -> CmdResult {
    let now = ctx.now_ms;
    let current = match ctx.db().get_as::<Vec<u8>>(key, now)? {
        Some(bytes) => args::parse_i64(bytes).ok_or_else(|| Reply::error(NOT_INTEGER))?,
        None => 0,
    };
    let value = current.checked_add(delta);
    let value = value.ok_or_else(|| Reply::error("ERR increment or decrement would overflow"))?;
    replace(ctx.db(), key, now, value.to_string().into_bytes());
    ctx.notify(Class::STRING, "incrby", key);
    Ok(Reply::Integer(value))
}

pub fn incr(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    incr_decr(ctx, &argv[1], 1)
}

pub fn decr(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    incr_decr(ctx, &argv[1], -1)
}

pub fn incrby(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    incr_decr(ctx, &argv[1], int_arg(&argv[2])?)
}

pub fn decrby(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    // -i64::MIN does not exist; Redis has a reply of its own for it.
    let delta = int_arg(&argv[2])?.checked_neg();
    let delta = delta.ok_or_else(|| Reply::error("ERR decrement would overflow"))?;
    incr_decr(ctx, &argv[1], delta)
}

/// INCRBYFLOAT key increment: x87 long double arithmetic and formatting, as Redis on x86-64
/// (see [`LongDouble`]); the deadline is kept.
pub fn incrbyfloat(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (key, now) = (&argv[1], ctx.now_ms);
    let current = ctx
        .db()
        .get_as::<Vec<u8>>(key, now)?
        .map_or(&b"0"[..], Vec::as_slice);
    let not_float = || Reply::error(NOT_FLOAT);
    let current = LongDouble::parse(current).ok_or_else(not_float)?;
    let incr = LongDouble::parse(&argv[2]).ok_or_else(not_float)?;
    let infinite = || Reply::error("ERR increment would produce NaN or Infinity");
    let sum = match (current, incr) {
        (Parsed::Finite(a), Parsed::Finite(b)) => a.checked_add(b).ok_or_else(infinite)?,
        _ => return Err(infinite()),
    };
    let text = sum.format().into_bytes();
    replace(ctx.db(), key, now, text.clone());
    ctx.notify(Class::STRING, "incrbyfloat", key);
    Ok(Reply::bulk(text))
}

/// GETRANGE key start end: inclusive, negative indexes count from the end.
pub fn getrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (start, end) = (int_arg(&argv[2])?, int_arg(&argv[3])?);
    let bytes = ctx
        .db()
        .get_as::<Vec<u8>>(&argv[1], ctx.now_ms)?
        .map_or(&[][..], Vec::as_slice);
    Ok(Reply::bulk(substring(bytes, start, end)))
}

/// SETRANGE key offset value: zero-pads as needed; the deadline is kept. An empty patch
/// changes nothing and creates no key.
pub fn setrange(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (key, patch, now) = (&argv[1], &argv[3], ctx.now_ms);
    let offset = u64::try_from(int_arg(&argv[2])?);
    let offset = offset.map_err(|_| Reply::error("ERR offset is out of range"))?;
    let existing = ctx.db().get_as_mut::<Vec<u8>>(key, now)?;
    if patch.is_empty() {
        return Ok(Reply::count(existing.map_or(0, |bytes| bytes.len())));
    }
    check_string_length(offset, patch.len() as u64)?;
    let len = match existing {
        Some(bytes) => {
            overwrite(bytes, offset as usize, patch);
            bytes.len()
        }
        None => {
            let mut bytes = Vec::new();
            overwrite(&mut bytes, offset as usize, patch);
            let len = bytes.len();
            ctx.db().insert(key, string_entry(bytes, None), now);
            len
        }
    };
    // Built in place (or zero-padded new): "raw" whatever it holds, as in Redis.
    ctx.db().mark_raw_string(key, now);
    ctx.notify(Class::STRING, "setrange", key);
    Ok(Reply::count(len))
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
/// subsequence of two strings (a missing key is the empty string); with LEN its length; with
/// IDX a map of its runs (last first, those shorter than MINMATCHLEN left out, each with its
/// length under WITHMATCHLEN) and its length. As in Redis the keys' types are checked before
/// the options. The work is bounded (see [`lcs::LCS_CELLS_MAX`]).
pub fn lcs(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let string_at = |key: &[u8]| {
        let found = ctx.db().get_as::<Vec<u8>>(key, ctx.now_ms);
        let found =
            found.map_err(|_| Reply::error("ERR The specified keys must contain string values"))?;
        Ok::<_, Reply>(found.map_or(&[][..], Vec::as_slice))
    };
    let (a, b) = (string_at(&argv[1])?, string_at(&argv[2])?);
    let (mut len_only, mut idx, mut with_len, mut min_len) = (false, false, false, 0);
    let mut args = Args::new(argv, 3);
    while let Some(option) = args.next_arg() {
        if is(option, "IDX") {
            idx = true;
        } else if is(option, "LEN") {
            len_only = true;
        } else if is(option, "WITHMATCHLEN") {
            with_len = true;
        } else if is(option, "MINMATCHLEN") && !args.is_empty() {
            // A negative length is no minimum; one past the longest run leaves out every run.
            min_len = usize::try_from(args.int()?.max(0)).unwrap_or(usize::MAX);
        } else {
            return Err(syntax_error());
        }
    }
    if idx && len_only {
        return Err(Reply::error(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    if !lcs::within_bound(a, b) {
        return Err(Reply::error(lcs::TOO_LARGE));
    }
    if len_only {
        return Ok(Reply::count(lcs::lcs_len(a, b)));
    }
    let found = lcs::lcs(a, b, min_len);
    if !idx {
        return Ok(Reply::bulk(found.text));
    }
    let span =
        |(start, end): (usize, usize)| Reply::Array(vec![Reply::count(start), Reply::count(end)]);
    let run = |found: &Match| {
        let mut parts = vec![span(found.a), span(found.b)];
        if with_len {
            parts.push(Reply::count(found.len()));
        }
        Reply::Array(parts)
    };
    Ok(Reply::Map(vec![
        (
            Reply::bulk("matches"),
            Reply::Array(found.matches.iter().map(run).collect()),
        ),
        (Reply::bulk("len"), Reply::count(found.text.len())),
    ]))
}
