//! String commands (t_string.c): the SET family over one generic set, the INCR family over
//! one generic incr/decr, ranges, and the multi-key MGET/MSET.

use crate::args::{self, int_arg, is, reply, syntax_error, NOT_FLOAT, NOT_INTEGER};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::keyspace::{Db, Entry, Value};
use crate::longdouble::{LongDouble, Parsed};
use crate::reply::Reply;
use crate::table;
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST,
};

/// Redis's default proto-max-bulk-len: the largest string SETRANGE and APPEND may build.
pub const STRING_LEN_MAX: u64 = 512 * 1024 * 1024;

/// The live string at `key`: Ok(None) when absent, WRONGTYPE for another type.
pub fn lookup_string<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<Option<&'a [u8]>, Reply> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(entry) => entry
            .value
            .as_string()
            .map(|bytes| Some(bytes.as_slice()))
            .ok_or_else(Reply::wrong_type),
    }
}

/// GET's reply for `key`: the value, Nil, or WRONGTYPE (as Redis's getGenericCommand).
fn get_reply(db: &Db, key: &[u8], now_ms: u64) -> Result<Reply, Reply> {
    Ok(lookup_string(db, key, now_ms)?.map_or(Reply::Nil, Reply::bulk))
}

fn string_entry(bytes: Vec<u8>, expires_at_ms: Option<u64>) -> Entry {
    Entry::new(Value::String(bytes), expires_at_ms)
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

/// The options of SET and GETEX, parsed as parseExtendedStringArgumentsOrReply: each option
/// is refused (syntax error) when it conflicts with one already given; repeating the same
/// expiry option is allowed and the last one wins.
#[derive(Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(TimeUnit, &'a [u8])>,
}

#[derive(Clone, Copy, PartialEq)]
enum OptionsFor {
    Set,
    GetEx,
}

impl<'a> StringOptions<'a> {
    fn parse(options: &'a [Vec<u8>], command: OptionsFor) -> Result<StringOptions<'a>, Reply> {
        let mut parsed = StringOptions::default();
        let mut i = 0;
        while i < options.len() {
            let next = options.get(i + 1).map(Vec::as_slice);
            i += parsed
                .accept(&options[i], next, command)
                .ok_or_else(syntax_error)?;
        }
        Ok(parsed)
    }

    /// Takes one option and its argument, if it has one: how many arguments it used, or None
    /// when the option is not allowed here.
    fn accept(&mut self, opt: &[u8], next: Option<&'a [u8]>, command: OptionsFor) -> Option<usize> {
        let set = command == OptionsFor::Set;
        let expire_kind = self.expire.map(|(unit, _)| unit);
        if is(opt, "NX") && set && !self.xx {
            self.nx = true;
        } else if is(opt, "XX") && set && !self.nx {
            self.xx = true;
        } else if is(opt, "GET") && set {
            self.get = true;
        } else if is(opt, "KEEPTTL") && set && !self.persist && expire_kind.is_none() {
            self.keep_ttl = true;
        } else if is(opt, "PERSIST") && !set && expire_kind.is_none() && !self.keep_ttl {
            self.persist = true;
        } else {
            let unit = time_unit(opt)?;
            let allowed = !self.keep_ttl && !self.persist && expire_kind.is_none_or(|k| k == unit);
            self.expire = Some((unit, next.filter(|_| allowed)?));
            return Some(2);
        }
        Some(1)
    }
}

fn time_unit(opt: &[u8]) -> Option<TimeUnit> {
    [
        ("EX", TimeUnit::Seconds),
        ("PX", TimeUnit::Millis),
        ("EXAT", TimeUnit::AtSeconds),
        ("PXAT", TimeUnit::AtMillis),
    ]
    .into_iter()
    .find(|(name, _)| is(opt, name))
    .map(|(_, unit)| unit)
}

pub fn get(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(get_reply(ctx.db(), &argv[1], ctx.now_ms))
}

/// What setGenericCommand needs besides the key and value.
struct SetRequest<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    expire: Option<(TimeUnit, &'a [u8])>,
    /// The lower-case command name, for the invalid-expire error.
    command: &'static str,
    /// Replies when the value was set, and when NX/XX prevented it (ignored with GET).
    ok: Reply,
    aborted: Reply,
}

/// The one SET behind SET, SETNX, SETEX, PSETEX: validate the expiry, answer GET, honour
/// NX/XX, then store (keeping the old deadline only with KEEPTTL).
fn set_generic(ctx: &mut WriteCtx, key: &[u8], value: &[u8], request: SetRequest) -> Reply {
    reply(set_result(ctx, key, value, request))
}

fn set_result(
    ctx: &mut WriteCtx,
    key: &[u8],
    value: &[u8],
    request: SetRequest,
) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let deadline = request
        .expire
        .map(|(unit, arg)| deadline_ms(now, unit, arg, request.command))
        .transpose()?;
    let old = if request.get {
        Some(get_reply(ctx.db(), key, now)?)
    } else {
        None
    };
    let existing = ctx.db().get(key, now);
    let found = existing.is_some();
    if (request.nx && found) || (request.xx && !found) {
        return Ok(old.unwrap_or(request.aborted));
    }
    let kept = existing
        .and_then(Entry::deadline_ms)
        .filter(|_| request.keep_ttl);
    ctx.db()
        .insert(key, string_entry(value.to_vec(), deadline.or(kept)));
    Ok(old.unwrap_or(request.ok))
}

impl SetRequest<'_> {
    fn plain(command: &'static str) -> SetRequest<'static> {
        SetRequest {
            nx: false,
            xx: false,
            get: false,
            keep_ttl: false,
            expire: None,
            command,
            ok: Reply::ok(),
            aborted: Reply::Nil,
        }
    }
}

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]
pub fn set(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let options = match StringOptions::parse(&argv[3..], OptionsFor::Set) {
        Ok(options) => options,
        Err(syntax) => return syntax,
    };
    let request = SetRequest {
        nx: options.nx,
        xx: options.xx,
        get: options.get,
        keep_ttl: options.keep_ttl,
        expire: options.expire,
        ..SetRequest::plain("set")
    };
    set_generic(ctx, &argv[1], &argv[2], request)
}

pub fn setnx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let request = SetRequest {
        nx: true,
        ok: Reply::Integer(1),
        aborted: Reply::Integer(0),
        ..SetRequest::plain("setnx")
    };
    set_generic(ctx, &argv[1], &argv[2], request)
}

pub fn setex(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let request = SetRequest {
        expire: Some((TimeUnit::Seconds, &argv[2])),
        ..SetRequest::plain("setex")
    };
    set_generic(ctx, &argv[1], &argv[3], request)
}

pub fn psetex(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let request = SetRequest {
        expire: Some((TimeUnit::Millis, &argv[2])),
        ..SetRequest::plain("psetex")
    };
    set_generic(ctx, &argv[1], &argv[3], request)
}

/// GETSET key value: SET key value GET (the deadline is dropped, as any plain SET does).
pub fn getset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let request = SetRequest {
        get: true,
        ..SetRequest::plain("getset")
    };
    set_generic(ctx, &argv[1], &argv[2], request)
}

pub fn getdel(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let old = match get_reply(ctx.db(), &argv[1], now) {
        Ok(old) => old,
        Err(error) => return error,
    };
    ctx.db().remove(&argv[1], now);
    old
}

/// GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]. As in Redis, a missing key
/// answers Nil before the expiry argument is validated.
pub fn getex(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(getex_result(ctx, argv))
}

fn getex_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let options = StringOptions::parse(&argv[2..], OptionsFor::GetEx)?;
    let key = &argv[1];
    let now = ctx.now_ms;
    let Some(value) = lookup_string(ctx.db(), key, now)? else {
        return Ok(Reply::Nil);
    };
    let value = Reply::bulk(value);
    if let Some((unit, arg)) = options.expire {
        let deadline = deadline_ms(now, unit, arg, "getex")?;
        if deadline <= now {
            // Only EXAT/PXAT can name a past time; the key is gone from then on.
            ctx.db().remove(key, now);
        } else {
            ctx.db().set_deadline(key, Some(deadline), now);
        }
    } else if options.persist {
        ctx.db().set_deadline(key, None, now);
    }
    Ok(value)
}

/// MGET: a value per key, Nil for missing keys and for keys of another type (no WRONGTYPE).
pub fn mget(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    let db = ctx.db();
    let replies = argv[1..]
        .iter()
        .map(|key| match lookup_string(db, key, ctx.now_ms) {
            Ok(Some(bytes)) => Reply::bulk(bytes),
            _ => Reply::Nil,
        })
        .collect();
    Reply::Array(replies)
}

/// MSET and MSETNX: pairs of key and value; MSETNX sets nothing if any key exists.
fn mset_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], nx: bool, name: &str) -> Reply {
    let pairs = argv[1..].chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return table::wrong_arity(name);
    }
    let now = ctx.now_ms;
    if nx
        && argv[1..]
            .iter()
            .step_by(2)
            .any(|key| ctx.db().contains(key, now))
    {
        return Reply::Integer(0);
    }
    for pair in argv[1..].chunks_exact(2) {
        ctx.db()
            .insert(&pair[0], string_entry(pair[1].clone(), None));
    }
    if nx {
        Reply::Integer(1)
    } else {
        Reply::ok()
    }
}

pub fn mset(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    mset_generic(ctx, argv, false, "mset")
}

pub fn msetnx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    mset_generic(ctx, argv, true, "msetnx")
}

/// Whether a string of `len` bytes may grow by `extra` (checkStringLength).
fn check_string_length(len: u64, extra: u64) -> Result<(), Reply> {
    match len.checked_add(extra) {
        Some(total) if total <= STRING_LEN_MAX => Ok(()),
        _ => Err(Reply::error(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

/// APPEND key value: creates the key if missing; keeps its deadline otherwise.
pub fn append(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(append_result(ctx, &argv[1], &argv[2]))
}

fn append_result(ctx: &mut WriteCtx, key: &[u8], tail: &[u8]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    match ctx.db().get_mut(key, now) {
        Some(entry) => {
            let bytes = entry.value.as_string_mut().ok_or_else(Reply::wrong_type)?;
            check_string_length(bytes.len() as u64, tail.len() as u64)?;
            bytes.extend_from_slice(tail);
            Ok(Reply::Integer(bytes.len() as i64))
        }
        None => {
            ctx.db().insert(key, string_entry(tail.to_vec(), None));
            Ok(Reply::Integer(tail.len() as i64))
        }
    }
}

pub fn strlen(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    match lookup_string(ctx.db(), &argv[1], ctx.now_ms) {
        Ok(value) => Reply::Integer(value.map_or(0, |bytes| bytes.len() as i64)),
        Err(error) => error,
    }
}

/// The one INCR behind INCR, INCRBY, DECR, DECRBY: the value must be an integer as string2ll
/// reads it; the deadline is kept.
fn incr_decr(ctx: &mut WriteCtx, key: &[u8], delta: i64) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let overflow = || Reply::error("ERR increment or decrement would overflow");
    match ctx.db().get_mut(key, now) {
        Some(entry) => {
            let bytes = entry.value.as_string_mut().ok_or_else(Reply::wrong_type)?;
            let current = args::parse_i64(bytes).ok_or_else(|| Reply::error(NOT_INTEGER))?;
            let value = current.checked_add(delta).ok_or_else(overflow)?;
            *bytes = value.to_string().into_bytes();
            Ok(Reply::Integer(value))
        }
        None => {
            let entry = string_entry(delta.to_string().into_bytes(), None);
            ctx.db().insert(key, entry);
            Ok(Reply::Integer(delta))
        }
    }
}

pub fn incr(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(incr_decr(ctx, &argv[1], 1))
}

pub fn decr(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(incr_decr(ctx, &argv[1], -1))
}

pub fn incrby(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(int_arg(&argv[2]).and_then(|delta| incr_decr(ctx, &argv[1], delta)))
}

pub fn decrby(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(int_arg(&argv[2]).and_then(|delta| {
        // -i64::MIN does not exist; Redis has a reply of its own for it.
        let negated = delta
            .checked_neg()
            .ok_or_else(|| Reply::error("ERR decrement would overflow"))?;
        incr_decr(ctx, &argv[1], negated)
    }))
}

/// INCRBYFLOAT key increment: x87 long double arithmetic and formatting, as Redis on x86-64
/// (see [`LongDouble`]); the deadline is kept.
pub fn incrbyfloat(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(incrbyfloat_result(ctx, &argv[1], &argv[2]))
}

fn incrbyfloat_result(ctx: &mut WriteCtx, key: &[u8], incr: &[u8]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let current = lookup_string(ctx.db(), key, now)?.unwrap_or(b"0");
    let not_float = || Reply::error(NOT_FLOAT);
    let current = LongDouble::parse(current).ok_or_else(not_float)?;
    let incr = LongDouble::parse(incr).ok_or_else(not_float)?;
    let infinite = || Reply::error("ERR increment would produce NaN or Infinity");
    let sum = match (current, incr) {
        (Parsed::Finite(a), Parsed::Finite(b)) => a.checked_add(b).ok_or_else(infinite)?,
        _ => return Err(infinite()),
    };
    let text = sum.format().into_bytes();
    match ctx.db().get_mut(key, now) {
        Some(entry) => entry.value = Value::String(text.clone()),
        None => ctx.db().insert(key, string_entry(text.clone(), None)),
    }
    Ok(Reply::bulk(text))
}

/// GETRANGE key start end: inclusive, negative indexes count from the end.
pub fn getrange(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(getrange_result(ctx, argv))
}

fn getrange_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let start = int_arg(&argv[2])?;
    let end = int_arg(&argv[3])?;
    let bytes = lookup_string(ctx.db(), &argv[1], ctx.now_ms)?.unwrap_or_default();
    Ok(Reply::bulk(substring(bytes, start, end)))
}

/// Redis 7's GETRANGE index rules: negative indexes count from the end and are then clamped
/// into the string, so a range wholly before the start still yields the first byte (Redis 8
/// changed this; our differential reference is Redis 7).
fn substring(bytes: &[u8], start: i64, end: i64) -> &[u8] {
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    let len = bytes.len() as i64;
    let from_end = |index: i64| if index < 0 { index + len } else { index };
    let start = from_end(start).max(0);
    let end = from_end(end).max(0).min(len - 1);
    if len == 0 || start > end {
        return &[];
    }
    &bytes[start as usize..=end as usize]
}

/// SETRANGE key offset value: zero-pads as needed; the deadline is kept.
pub fn setrange(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(setrange_result(ctx, &argv[1], &argv[2], &argv[3]))
}

fn setrange_result(
    ctx: &mut WriteCtx,
    key: &[u8],
    offset: &[u8],
    patch: &[u8],
) -> Result<Reply, Reply> {
    let offset = int_arg(offset)?;
    let offset = u64::try_from(offset).map_err(|_| Reply::error("ERR offset is out of range"))?;
    let now = ctx.now_ms;
    let Some(entry) = ctx.db().get_mut(key, now) else {
        if patch.is_empty() {
            return Ok(Reply::Integer(0));
        }
        check_string_length(offset, patch.len() as u64)?;
        let mut bytes = Vec::new();
        overwrite(&mut bytes, offset as usize, patch);
        let len = bytes.len() as i64;
        ctx.db().insert(key, string_entry(bytes, None));
        return Ok(Reply::Integer(len));
    };
    let bytes = entry.value.as_string_mut().ok_or_else(Reply::wrong_type)?;
    if !patch.is_empty() {
        check_string_length(offset, patch.len() as u64)?;
        overwrite(bytes, offset as usize, patch);
    }
    Ok(Reply::Integer(bytes.len() as i64))
}

/// Writes `patch` at `offset`, zero-filling any gap. The caller has bounded offset + len.
fn overwrite(bytes: &mut Vec<u8>, offset: usize, patch: &[u8]) {
    let end = offset + patch.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[offset..end].copy_from_slice(patch);
}

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("append", 3, DENYOOM | FAST, 1, 1, 1, Write(legacy!(append))),
    cmd!("decr", 2, DENYOOM | FAST, 1, 1, 1, Write(legacy!(decr))),
    cmd!("decrby", 3, DENYOOM | FAST, 1, 1, 1, Write(legacy!(decrby))),
    cmd!("get", 2, FAST, 1, 1, 1, Read(legacy!(get))),
    cmd!("getdel", 2, FAST, 1, 1, 1, Write(legacy!(getdel))),
    cmd!("getex", -2, FAST, 1, 1, 1, Write(legacy!(getex))),
    cmd!("getrange", 4, 0, 1, 1, 1, Read(legacy!(getrange))),
    cmd!("getset", 3, DENYOOM | FAST, 1, 1, 1, Write(legacy!(getset))),
    cmd!("incr", 2, DENYOOM | FAST, 1, 1, 1, Write(legacy!(incr))),
    cmd!("incrby", 3, DENYOOM | FAST, 1, 1, 1, Write(legacy!(incrby))),
    cmd!(
        "incrbyfloat",
        3,
        DENYOOM | FAST,
        1,
        1,
        1,
        Write(legacy!(incrbyfloat))
    ),
    cmd!("mget", -2, FAST, 1, -1, 1, Read(legacy!(mget))),
    cmd!("mset", -3, DENYOOM, 1, -1, 2, Write(legacy!(mset))),
    cmd!("msetnx", -3, DENYOOM, 1, -1, 2, Write(legacy!(msetnx))),
    cmd!("psetex", 4, DENYOOM, 1, 1, 1, Write(legacy!(psetex))),
    cmd!("set", -3, DENYOOM, 1, 1, 1, Write(legacy!(set))),
    cmd!("setex", 4, DENYOOM, 1, 1, 1, Write(legacy!(setex))),
    cmd!("setnx", 3, DENYOOM | FAST, 1, 1, 1, Write(legacy!(setnx))),
    cmd!("setrange", 4, DENYOOM, 1, 1, 1, Write(legacy!(setrange))),
    cmd!("strlen", 2, FAST, 1, 1, 1, Read(legacy!(strlen))),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{apply, bulk, err, int, ok, read};
    use crate::Engine;

    const SYNTAX: &str = "ERR syntax error";

    fn engine_with(pairs: &[(&str, &str)]) -> Engine {
        let mut engine = Engine::new();
        for (key, value) in pairs {
            assert_eq!(apply(&mut engine, 1000, &["SET", key, value]), ok());
        }
        engine
    }

    #[test]
    fn get_returns_value_or_nil() {
        let engine = engine_with(&[("k", "v")]);
        assert_eq!(read(&engine, 1000, &["GET", "k"]), bulk("v"));
        assert_eq!(read(&engine, 1000, &["GET", "nope"]), Reply::Nil);
    }

    #[test]
    fn arity_is_checked_by_the_dispatcher() {
        let mut engine = Engine::new();
        assert_eq!(
            apply(&mut engine, 0, &["GET"]),
            err("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(
            apply(&mut engine, 0, &["set", "k"]),
            err("ERR wrong number of arguments for 'set' command")
        );
    }

    #[test]
    fn set_plain_replaces_value_and_clears_ttl() {
        let mut engine = Engine::new();
        assert_eq!(
            apply(&mut engine, 1000, &["SET", "k", "a", "EX", "10"]),
            ok()
        );
        assert_eq!(apply(&mut engine, 1000, &["SET", "k", "b"]), ok());
        assert_eq!(read(&engine, 1000, &["GET", "k"]), bulk("b"));
        assert_eq!(read(&engine, 1000, &["TTL", "k"]), int(-1));
    }

    #[test]
    fn set_expiry_options_set_absolute_deadlines() {
        let mut engine = Engine::new();
        apply(&mut engine, 1000, &["SET", "ex", "v", "EX", "10"]);
        apply(&mut engine, 1000, &["SET", "px", "v", "px", "1500"]);
        apply(&mut engine, 1000, &["SET", "exat", "v", "EXAT", "20"]);
        apply(&mut engine, 1000, &["SET", "pxat", "v", "PXAT", "25000"]);
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "ex"]), int(11_000));
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "px"]), int(2500));
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "exat"]), int(20_000));
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "pxat"]), int(25_000));
        // Expired exactly at the deadline.
        assert_eq!(read(&engine, 2499, &["GET", "px"]), bulk("v"));
        assert_eq!(read(&engine, 2500, &["GET", "px"]), Reply::Nil);
    }

    #[test]
    fn set_with_a_past_absolute_time_leaves_the_key_absent() {
        let mut engine = Engine::new();
        assert_eq!(
            apply(&mut engine, 5000, &["SET", "k", "v", "PXAT", "100"]),
            ok()
        );
        assert_eq!(read(&engine, 5000, &["GET", "k"]), Reply::Nil);
        assert_eq!(read(&engine, 5000, &["DBSIZE"]), int(0));
    }

    #[test]
    fn set_nx_xx_and_keepttl() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["SET", "k", "a", "XX"]), Reply::Nil);
        assert_eq!(apply(&mut engine, 0, &["SET", "k", "a", "NX"]), ok());
        assert_eq!(apply(&mut engine, 0, &["SET", "k", "b", "NX"]), Reply::Nil);
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "c", "XX", "PX", "100"]),
            ok()
        );
        assert_eq!(apply(&mut engine, 0, &["SET", "k", "d", "KEEPTTL"]), ok());
        assert_eq!(read(&engine, 0, &["GET", "k"]), bulk("d"));
        assert_eq!(read(&engine, 0, &["PTTL", "k"]), int(100));
        assert_eq!(apply(&mut engine, 0, &["SET", "new", "v", "KEEPTTL"]), ok());
        assert_eq!(read(&engine, 0, &["PTTL", "new"]), int(-1));
        // A key past its deadline counts as missing for NX and XX.
        assert_eq!(
            apply(&mut engine, 100, &["SET", "k", "e", "XX"]),
            Reply::Nil
        );
        assert_eq!(apply(&mut engine, 100, &["SET", "k", "e", "NX"]), ok());
    }

    #[test]
    fn set_get_returns_the_old_value_in_every_combination() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["SET", "k", "a", "GET"]), Reply::Nil);
        assert_eq!(apply(&mut engine, 0, &["SET", "k", "b", "GET"]), bulk("a"));
        // NX with GET: not set, the old value is still returned.
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "c", "NX", "GET"]),
            bulk("b")
        );
        assert_eq!(read(&engine, 0, &["GET", "k"]), bulk("b"));
        assert_eq!(
            apply(&mut engine, 0, &["SET", "x", "c", "XX", "GET"]),
            Reply::Nil
        );
        assert_eq!(read(&engine, 0, &["EXISTS", "x"]), int(0));
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "d", "GET", "EX", "5"]),
            bulk("b")
        );
        assert_eq!(read(&engine, 0, &["TTL", "k"]), int(5));
    }

    #[test]
    fn set_option_conflicts_are_syntax_errors() {
        let mut engine = Engine::new();
        for bad in [
            &["SET", "k", "v", "NX", "XX"][..],
            &["SET", "k", "v", "XX", "NX"],
            &["SET", "k", "v", "EX", "1", "PX", "1"],
            &["SET", "k", "v", "PX", "1", "EXAT", "1"],
            &["SET", "k", "v", "EXAT", "1", "PXAT", "1"],
            &["SET", "k", "v", "PXAT", "1", "EX", "1"],
            &["SET", "k", "v", "KEEPTTL", "EX", "1"],
            &["SET", "k", "v", "EX", "1", "KEEPTTL"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "PERSIST"],
            &["SET", "k", "v", "FOO"],
        ] {
            assert_eq!(apply(&mut engine, 0, bad), err(SYNTAX), "{bad:?}");
        }
        // Repeating the same option is allowed; the last value wins.
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "v", "EX", "1", "EX", "7"]),
            ok()
        );
        assert_eq!(read(&engine, 0, &["TTL", "k"]), int(7));
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "v", "nx", "NX"]),
            Reply::Nil
        );
    }

    #[test]
    fn set_invalid_expire_times() {
        let mut engine = Engine::new();
        let invalid = err("ERR invalid expire time in 'set' command");
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "v", "EX", "0"]),
            invalid
        );
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "v", "PX", "-5"]),
            invalid
        );
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "v", "EXAT", "0"]),
            invalid
        );
        let huge = "9223372036854775807";
        assert_eq!(
            apply(&mut engine, 0, &["SET", "k", "v", "EX", huge]),
            invalid
        );
        assert_eq!(
            apply(&mut engine, 10, &["SET", "k", "v", "PX", huge]),
            invalid
        );
        assert_eq!(
            apply(&mut engine, 10, &["SET", "k", "v", "PXAT", huge]),
            ok()
        );
        assert_eq!(
            apply(&mut engine, 10, &["SET", "k", "v", "EX", "ten"]),
            err(args::NOT_INTEGER)
        );
        assert_eq!(read(&engine, 10, &["PEXPIRETIME", "k"]), int(i64::MAX));
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["SETNX", "k", "a"]), int(1));
        assert_eq!(apply(&mut engine, 0, &["SETNX", "k", "b"]), int(0));
        assert_eq!(read(&engine, 0, &["GET", "k"]), bulk("a"));
        assert_eq!(apply(&mut engine, 0, &["SETEX", "k", "3", "c"]), ok());
        assert_eq!(read(&engine, 0, &["PTTL", "k"]), int(3000));
        assert_eq!(apply(&mut engine, 0, &["PSETEX", "k", "30", "d"]), ok());
        assert_eq!(read(&engine, 0, &["PTTL", "k"]), int(30));
        assert_eq!(read(&engine, 30, &["GET", "k"]), Reply::Nil);
        assert_eq!(
            apply(&mut engine, 0, &["SETEX", "k", "0", "c"]),
            err("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            apply(&mut engine, 0, &["PSETEX", "k", "-1", "c"]),
            err("ERR invalid expire time in 'psetex' command")
        );
        assert_eq!(
            apply(&mut engine, 0, &["SETEX", "k", "x", "c"]),
            err(args::NOT_INTEGER)
        );
    }

    #[test]
    fn getset_returns_old_value_and_drops_the_deadline() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["GETSET", "k", "a"]), Reply::Nil);
        apply(&mut engine, 0, &["EXPIRE", "k", "100"]);
        assert_eq!(apply(&mut engine, 0, &["GETSET", "k", "b"]), bulk("a"));
        assert_eq!(read(&engine, 0, &["TTL", "k"]), int(-1));
    }

    #[test]
    fn getdel_returns_and_deletes() {
        let mut engine = engine_with(&[("k", "v")]);
        assert_eq!(apply(&mut engine, 1000, &["GETDEL", "k"]), bulk("v"));
        assert_eq!(apply(&mut engine, 1000, &["GETDEL", "k"]), Reply::Nil);
        apply(&mut engine, 1000, &["SET", "t", "v", "PX", "10"]);
        assert_eq!(apply(&mut engine, 1010, &["GETDEL", "t"]), Reply::Nil);
    }

    #[test]
    fn getex_sets_or_removes_the_deadline() {
        let mut engine = engine_with(&[("k", "v")]);
        assert_eq!(apply(&mut engine, 1000, &["GETEX", "k"]), bulk("v"));
        assert_eq!(read(&engine, 1000, &["TTL", "k"]), int(-1));
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "k", "EX", "5"]),
            bulk("v")
        );
        assert_eq!(read(&engine, 1000, &["PTTL", "k"]), int(5000));
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "k", "PX", "50"]),
            bulk("v")
        );
        assert_eq!(read(&engine, 1000, &["PTTL", "k"]), int(50));
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "k", "EXAT", "9"]),
            bulk("v")
        );
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "k"]), int(9000));
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "k", "PXAT", "8000"]),
            bulk("v")
        );
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "k"]), int(8000));
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "k", "PERSIST"]),
            bulk("v")
        );
        assert_eq!(read(&engine, 1000, &["TTL", "k"]), int(-1));
        // A past absolute time returns the value, then the key is gone.
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "k", "PXAT", "999"]),
            bulk("v")
        );
        assert_eq!(read(&engine, 1000, &["EXISTS", "k"]), int(0));
        assert_eq!(engine.keyspace().dbs[0].stored_len(), 0);
    }

    #[test]
    fn getex_errors_and_missing_key() {
        let mut engine = engine_with(&[("k", "v")]);
        for bad in [
            &["GETEX", "k", "NX"][..],
            &["GETEX", "k", "GET"],
            &["GETEX", "k", "KEEPTTL"],
            &["GETEX", "k", "EX", "1", "PERSIST"],
            &["GETEX", "k", "PERSIST", "PX", "1"],
            &["GETEX", "k", "EX"],
            &["GETEX", "k", "EX", "1", "PX", "1"],
        ] {
            assert_eq!(apply(&mut engine, 1000, bad), err(SYNTAX), "{bad:?}");
        }
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "k", "EX", "0"]),
            err("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "k", "EX", "x"]),
            err(args::NOT_INTEGER)
        );
        // Missing key: Nil before the time is even looked at, as in Redis.
        assert_eq!(
            apply(&mut engine, 1000, &["GETEX", "nope", "EX", "x"]),
            Reply::Nil
        );
    }

    #[test]
    fn mget_and_mset() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["MSET", "a", "1", "b", "2"]), ok());
        assert_eq!(
            read(&engine, 0, &["MGET", "a", "x", "b", "a"]),
            Reply::Array(vec![bulk("1"), Reply::Nil, bulk("2"), bulk("1")])
        );
        assert_eq!(
            apply(&mut engine, 0, &["MSET", "a", "1", "b"]),
            err("ERR wrong number of arguments for 'mset' command")
        );
        apply(&mut engine, 0, &["PEXPIRE", "a", "10"]);
        assert_eq!(apply(&mut engine, 0, &["MSET", "a", "3"]), ok());
        assert_eq!(read(&engine, 0, &["PTTL", "a"]), int(-1));
    }

    #[test]
    fn msetnx_sets_all_or_nothing() {
        let mut engine = Engine::new();
        assert_eq!(
            apply(&mut engine, 0, &["MSETNX", "a", "1", "b", "2"]),
            int(1)
        );
        assert_eq!(
            apply(&mut engine, 0, &["MSETNX", "c", "3", "b", "9"]),
            int(0)
        );
        assert_eq!(read(&engine, 0, &["EXISTS", "c"]), int(0));
        assert_eq!(read(&engine, 0, &["GET", "b"]), bulk("2"));
        // The same key twice in one call is fine: the last value wins.
        assert_eq!(
            apply(&mut engine, 0, &["MSETNX", "d", "1", "d", "2"]),
            int(1)
        );
        assert_eq!(read(&engine, 0, &["GET", "d"]), bulk("2"));
        assert_eq!(
            apply(&mut engine, 0, &["MSETNX", "a", "1", "b"]),
            err("ERR wrong number of arguments for 'msetnx' command")
        );
    }

    #[test]
    fn append_creates_extends_and_keeps_ttl() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["APPEND", "k", "ab"]), int(2));
        apply(&mut engine, 0, &["PEXPIRE", "k", "100"]);
        assert_eq!(apply(&mut engine, 0, &["APPEND", "k", "cde"]), int(5));
        assert_eq!(read(&engine, 0, &["GET", "k"]), bulk("abcde"));
        assert_eq!(read(&engine, 0, &["PTTL", "k"]), int(100));
        // Past the deadline APPEND starts a new key.
        assert_eq!(apply(&mut engine, 100, &["APPEND", "k", "x"]), int(1));
        assert_eq!(read(&engine, 100, &["PTTL", "k"]), int(-1));
    }

    #[test]
    fn string_length_cap_matches_proto_max_bulk_len() {
        let too_big = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        assert_eq!(check_string_length(STRING_LEN_MAX - 1, 1), Ok(()));
        assert_eq!(check_string_length(STRING_LEN_MAX, 1), Err(too_big.clone()));
        assert_eq!(check_string_length(u64::MAX, 1), Err(too_big));
    }

    #[test]
    fn strlen_counts_bytes() {
        let engine = engine_with(&[("k", "héllo")]);
        assert_eq!(read(&engine, 1000, &["STRLEN", "k"]), int(6));
        assert_eq!(read(&engine, 1000, &["STRLEN", "nope"]), int(0));
    }

    #[test]
    fn incr_family_counts_and_keeps_ttl() {
        let mut engine = Engine::new();
        assert_eq!(apply(&mut engine, 0, &["INCR", "n"]), int(1));
        assert_eq!(apply(&mut engine, 0, &["INCRBY", "n", "10"]), int(11));
        assert_eq!(apply(&mut engine, 0, &["DECR", "n"]), int(10));
        assert_eq!(apply(&mut engine, 0, &["DECRBY", "n", "-5"]), int(15));
        assert_eq!(apply(&mut engine, 0, &["DECRBY", "m", "3"]), int(-3));
        assert_eq!(read(&engine, 0, &["GET", "n"]), bulk("15"));
        apply(&mut engine, 0, &["PEXPIRE", "n", "100"]);
        assert_eq!(apply(&mut engine, 0, &["INCR", "n"]), int(16));
        assert_eq!(read(&engine, 0, &["PTTL", "n"]), int(100));
        assert_eq!(
            apply(&mut engine, 100, &["INCR", "n"]),
            int(1),
            "expired counts as 0"
        );
    }

    #[test]
    fn incr_family_errors() {
        let mut engine = engine_with(&[("s", "abc"), ("sp", " 1"), ("z", "01")]);
        let not_int = err(args::NOT_INTEGER);
        assert_eq!(apply(&mut engine, 1000, &["INCR", "s"]), not_int);
        assert_eq!(apply(&mut engine, 1000, &["INCR", "sp"]), not_int);
        assert_eq!(apply(&mut engine, 1000, &["DECR", "z"]), not_int);
        assert_eq!(apply(&mut engine, 1000, &["INCRBY", "n", "+1"]), not_int);
        assert_eq!(apply(&mut engine, 1000, &["DECRBY", "n", "1.5"]), not_int);
        let overflow = err("ERR increment or decrement would overflow");
        apply(&mut engine, 1000, &["SET", "max", "9223372036854775807"]);
        assert_eq!(apply(&mut engine, 1000, &["INCR", "max"]), overflow);
        apply(&mut engine, 1000, &["SET", "min", "-9223372036854775808"]);
        assert_eq!(apply(&mut engine, 1000, &["DECR", "min"]), overflow);
        assert_eq!(apply(&mut engine, 1000, &["INCRBY", "min", "-1"]), overflow);
        assert_eq!(
            apply(&mut engine, 1000, &["DECRBY", "n", "-9223372036854775808"]),
            err("ERR decrement would overflow")
        );
        assert_eq!(
            read(&engine, 1000, &["GET", "max"]),
            bulk("9223372036854775807")
        );
    }

    #[test]
    fn incrbyfloat_formats_like_redis() {
        let mut engine = Engine::new();
        assert_eq!(
            apply(&mut engine, 0, &["INCRBYFLOAT", "f", "10.5"]),
            bulk("10.5")
        );
        assert_eq!(
            apply(&mut engine, 0, &["INCRBYFLOAT", "f", "0.1"]),
            bulk("10.6")
        );
        assert_eq!(
            apply(&mut engine, 0, &["INCRBYFLOAT", "f", "-10.6"]),
            bulk("0")
        );
        apply(&mut engine, 0, &["SET", "g", "5.0e3"]);
        apply(&mut engine, 0, &["PEXPIRE", "g", "100"]);
        assert_eq!(
            apply(&mut engine, 0, &["INCRBYFLOAT", "g", "2.0e2"]),
            bulk("5200")
        );
        assert_eq!(read(&engine, 0, &["GET", "g"]), bulk("5200"));
        assert_eq!(read(&engine, 0, &["PTTL", "g"]), int(100));
        apply(&mut engine, 0, &["SET", "i", "1"]);
        assert_eq!(
            apply(&mut engine, 0, &["INCRBYFLOAT", "i", "-1.1"]),
            bulk("-0.1")
        );
    }

    #[test]
    fn incrbyfloat_errors() {
        let mut engine = engine_with(&[("s", "abc"), ("big", "1e4932")]);
        let not_float = err(NOT_FLOAT);
        assert_eq!(
            apply(&mut engine, 1000, &["INCRBYFLOAT", "s", "1"]),
            not_float
        );
        assert_eq!(
            apply(&mut engine, 1000, &["INCRBYFLOAT", "n", "x"]),
            not_float
        );
        assert_eq!(
            apply(&mut engine, 1000, &["INCRBYFLOAT", "n", " 1"]),
            not_float
        );
        assert_eq!(
            apply(&mut engine, 1000, &["INCRBYFLOAT", "n", "nan"]),
            not_float
        );
        let nan_inf = err("ERR increment would produce NaN or Infinity");
        assert_eq!(
            apply(&mut engine, 1000, &["INCRBYFLOAT", "n", "inf"]),
            nan_inf
        );
        assert_eq!(
            apply(&mut engine, 1000, &["INCRBYFLOAT", "big", "1e4932"]),
            nan_inf
        );
        assert_eq!(read(&engine, 1000, &["EXISTS", "n"]), int(0));
    }

    #[test]
    fn getrange_indexes_like_redis() {
        let engine = engine_with(&[("k", "Hello World")]);
        let range = |start: &str, end: &str| read(&engine, 1000, &["GETRANGE", "k", start, end]);
        assert_eq!(range("0", "4"), bulk("Hello"));
        assert_eq!(range("-5", "-1"), bulk("World"));
        assert_eq!(range("0", "-1"), bulk("Hello World"));
        assert_eq!(range("5", "3"), bulk(""));
        assert_eq!(range("-100", "2"), bulk("Hel"));
        assert_eq!(range("0", "100"), bulk("Hello World"));
        assert_eq!(range("20", "30"), bulk(""));
        assert_eq!(
            range("-100", "-50"),
            bulk("H"),
            "Redis 7 clamps both ends to 0"
        );
        assert_eq!(range("-1", "-5"), bulk(""));
        assert_eq!(
            range("9223372036854775807", "-9223372036854775808"),
            bulk("")
        );
        assert_eq!(
            range("-9223372036854775808", "9223372036854775807"),
            bulk("Hello World")
        );
        assert_eq!(
            read(&engine, 1000, &["GETRANGE", "nope", "0", "-1"]),
            bulk("")
        );
        assert_eq!(range("a", "1"), err(args::NOT_INTEGER));
        assert_eq!(range("0", "1.5"), err(args::NOT_INTEGER));
    }

    #[test]
    fn setrange_patches_and_pads() {
        let mut engine = engine_with(&[("k", "Hello World")]);
        assert_eq!(
            apply(&mut engine, 1000, &["SETRANGE", "k", "6", "Redis"]),
            int(11)
        );
        assert_eq!(read(&engine, 1000, &["GET", "k"]), bulk("Hello Redis"));
        assert_eq!(
            apply(&mut engine, 1000, &["SETRANGE", "k", "0", ""]),
            int(11)
        );
        assert_eq!(
            apply(&mut engine, 1000, &["SETRANGE", "new", "3", "ab"]),
            int(5)
        );
        assert_eq!(
            read(&engine, 1000, &["GET", "new"]),
            Reply::bulk(b"\0\0\0ab".to_vec())
        );
        assert_eq!(
            apply(&mut engine, 1000, &["SETRANGE", "none", "3", ""]),
            int(0)
        );
        assert_eq!(read(&engine, 1000, &["EXISTS", "none"]), int(0));
        assert_eq!(
            apply(&mut engine, 1000, &["SETRANGE", "k", "-1", "x"]),
            err("ERR offset is out of range")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["SETRANGE", "k", "536870912", "x"]),
            err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["SETRANGE", "k", "x", "x"]),
            err(args::NOT_INTEGER)
        );
    }

    #[test]
    fn wrongtype_helper_rejects_non_strings() {
        // No other type exists yet: check the error line the type modules share.
        assert_eq!(
            Reply::wrong_type(),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
    }
}
