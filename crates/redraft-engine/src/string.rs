//! String commands (t_string.c): the SET family over one generic set, the INCR family over
//! one generic incr/decr, ranges, and the multi-key MGET/MSET.

use crate::args::{self, int_arg, is, reply, syntax_error, NOT_FLOAT, NOT_INTEGER};
use crate::engine::{ReadCtx, WriteCtx};
use crate::keyspace::{Db, Entry, Value};
use crate::longdouble::{LongDouble, Parsed};
use crate::reply::Reply;
use crate::table;

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Redis's default proto-max-bulk-len: the largest string SETRANGE and APPEND may build.
pub const STRING_LEN_MAX: u64 = 512 * 1024 * 1024;

pub fn wrongtype() -> Reply {
    Reply::error(WRONGTYPE)
}

/// The live string at `key`: Ok(None) when absent, WRONGTYPE for another type.
pub fn lookup_string<'a>(db: &'a Db, key: &[u8], now_ms: u64) -> Result<Option<&'a [u8]>, Reply> {
    match db.get(key, now_ms) {
        None => Ok(None),
        Some(entry) => entry
            .value
            .as_string()
            .map(|bytes| Some(bytes.as_slice()))
            .ok_or_else(wrongtype),
    }
}

/// GET's reply for `key`: the value, Nil, or WRONGTYPE (as Redis's getGenericCommand).
fn get_reply(db: &Db, key: &[u8], now_ms: u64) -> Result<Reply, Reply> {
    Ok(lookup_string(db, key, now_ms)?.map_or(Reply::Nil, Reply::bulk))
}

fn string_entry(bytes: Vec<u8>, expires_at_ms: Option<u64>) -> Entry {
    Entry {
        value: Value::String(bytes),
        expires_at_ms,
    }
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
            i += parsed.accept(&options[i], next, command).ok_or_else(syntax_error)?;
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
    let now = ctx.now_ms;
    let deadline = match request.expire {
        Some((unit, arg)) => match deadline_ms(now, unit, arg, request.command) {
            Ok(deadline) => Some(deadline),
            Err(error) => return error,
        },
        None => None,
    };
    let old = if request.get {
        match get_reply(ctx.db(), key, now) {
            Ok(old) => Some(old),
            Err(error) => return error,
        }
    } else {
        None
    };
    let existing = ctx.db().get(key, now);
    let found = existing.is_some();
    if (request.nx && found) || (request.xx && !found) {
        return old.unwrap_or(request.aborted);
    }
    let kept = existing.and_then(|entry| entry.expires_at_ms);
    let expires_at_ms = deadline.or(if request.keep_ttl { kept } else { None });
    ctx.db().insert(key, string_entry(value.to_vec(), expires_at_ms));
    old.unwrap_or(request.ok)
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
        Err(error) => return error,
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
    if argv.len() % 2 == 0 {
        return table::wrong_arity(name);
    }
    let now = ctx.now_ms;
    if nx && argv[1..].iter().step_by(2).any(|key| ctx.db().contains(key, now)) {
        return Reply::Integer(0);
    }
    for pair in argv[1..].chunks_exact(2) {
        ctx.db().insert(&pair[0], string_entry(pair[1].clone(), None));
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
            let bytes = entry.value.as_string_mut().ok_or_else(wrongtype)?;
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
            let bytes = entry.value.as_string_mut().ok_or_else(wrongtype)?;
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
        (Parsed::Finite(a), Parsed::Finite(b)) => a.add(b).ok_or_else(infinite)?,
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

/// Redis's GETRANGE index rules (7.2 onwards): an end before the string's start, or a start
/// past its end, gives the empty string.
fn substring(bytes: &[u8], start: i64, end: i64) -> &[u8] {
    let len = bytes.len() as i64;
    let start = if start < 0 { start + len } else { start };
    let end = if end < 0 { end + len } else { end };
    if len == 0 || start >= len || end < 0 || start > end {
        return &[];
    }
    let start = start.max(0) as usize;
    let end = end.min(len - 1) as usize;
    &bytes[start..=end]
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
    let bytes = entry.value.as_string_mut().ok_or_else(wrongtype)?;
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
