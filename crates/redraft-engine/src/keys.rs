//! Key-space commands (db.c, expire.c): DEL, EXISTS, the EXPIRE family over one generic
//! expire, the TTL family over one generic ttl, KEYS, SCAN, RENAME, RANDOMKEY, FLUSHDB.

use crate::args::{self, int_arg, is, reply, syntax_error};
use crate::engine::{ReadCtx, WriteCtx};
use crate::glob::glob_match;
use crate::keyspace::Db;
use crate::reply::Reply;

/// DEL and UNLINK: how many of the keys existed (and are now gone). UNLINK frees lazily in
/// Redis; here both free at once, which is invisible to clients.
fn del_generic(ctx: &mut WriteCtx, keys: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let db = ctx.db();
    let removed = keys.iter().filter(|key| db.remove(key, now).is_some()).count();
    Reply::Integer(removed as i64)
}

pub fn del(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    del_generic(ctx, &argv[1..])
}

pub fn unlink(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    del_generic(ctx, &argv[1..])
}

/// EXISTS: counts a key once per time it is named.
pub fn exists(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    let db = ctx.db();
    let count = argv[1..]
        .iter()
        .filter(|key| db.contains(key, ctx.now_ms))
        .count();
    Reply::Integer(count as i64)
}

pub fn type_(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    let name = ctx
        .db()
        .get(&argv[1], ctx.now_ms)
        .map_or("none", |entry| entry.value.type_name());
    Reply::Simple(name.to_string())
}

/// The conditions EXPIRE and friends accept after the time.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireFlags {
    fn parse(options: &[Vec<u8>]) -> Result<ExpireFlags, Reply> {
        let mut flags = ExpireFlags::default();
        for opt in options {
            let flag = if is(opt, "NX") {
                &mut flags.nx
            } else if is(opt, "XX") {
                &mut flags.xx
            } else if is(opt, "GT") {
                &mut flags.gt
            } else if is(opt, "LT") {
                &mut flags.lt
            } else {
                let text = args::text(opt);
                return Err(Reply::error(format!("ERR Unsupported option {text}")));
            };
            *flag = true;
        }
        if flags.nx && (flags.xx || flags.gt || flags.lt) {
            return Err(Reply::error(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if flags.gt && flags.lt {
            return Err(Reply::error(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(flags)
    }

    /// Whether the new deadline `when` may replace `current` (None: no deadline, which GT
    /// and LT treat as infinite).
    fn allow(&self, current: Option<i64>, when: i64) -> bool {
        match current {
            Some(current) => {
                !self.nx && !(self.gt && when <= current) && !(self.lt && when >= current)
            }
            None => !self.xx && !self.gt,
        }
    }
}

/// How EXPIRE-family commands read their time argument.
#[derive(Clone, Copy)]
struct ExpireKind {
    name: &'static str,
    seconds: bool,
    relative: bool,
}

/// The one EXPIRE behind EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT. Negative and past times are
/// allowed: they delete the key (and reply 1). Only overflow is an error.
fn expire_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], kind: ExpireKind) -> Reply {
    reply(expire_result(ctx, argv, kind))
}

fn expire_result(ctx: &mut WriteCtx, argv: &[Vec<u8>], kind: ExpireKind) -> Result<Reply, Reply> {
    let flags = ExpireFlags::parse(&argv[3..])?;
    let when = int_arg(&argv[2])?;
    let invalid = || args::invalid_expire_time(kind.name);
    let when = if kind.seconds {
        when.checked_mul(1000).ok_or_else(invalid)?
    } else {
        when
    };
    let now = ctx.now_ms;
    let base = if kind.relative { clamp_i64(now) } else { 0 };
    let when = when.checked_add(base).ok_or_else(invalid)?;
    let key = &argv[1];
    let Some(entry) = ctx.db().get(key, now) else {
        return Ok(Reply::Integer(0));
    };
    if !flags.allow(entry.expires_at_ms.map(clamp_i64), when) {
        return Ok(Reply::Integer(0));
    }
    match u64::try_from(when) {
        Ok(deadline) if deadline > now => ctx.db().set_deadline(key, Some(deadline), now),
        _ => ctx.db().remove(key, now).is_some(),
    };
    Ok(Reply::Integer(1))
}

/// Deadlines and times are below i64::MAX in practice; saturate rather than wrap otherwise.
fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub fn expire(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let kind = ExpireKind {
        name: "expire",
        seconds: true,
        relative: true,
    };
    expire_generic(ctx, argv, kind)
}

pub fn pexpire(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let kind = ExpireKind {
        name: "pexpire",
        seconds: false,
        relative: true,
    };
    expire_generic(ctx, argv, kind)
}

pub fn expireat(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let kind = ExpireKind {
        name: "expireat",
        seconds: true,
        relative: false,
    };
    expire_generic(ctx, argv, kind)
}

pub fn pexpireat(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let kind = ExpireKind {
        name: "pexpireat",
        seconds: false,
        relative: false,
    };
    expire_generic(ctx, argv, kind)
}

/// The one TTL behind TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for a key
/// without deadline; seconds are rounded to nearest as Redis does.
fn ttl_generic(ctx: &ReadCtx, key: &[u8], millis: bool, absolute: bool) -> Reply {
    let Some(entry) = ctx.db().get(key, ctx.now_ms) else {
        return Reply::Integer(-2);
    };
    let Some(deadline) = entry.expires_at_ms else {
        return Reply::Integer(-1);
    };
    let value = if absolute {
        clamp_i64(deadline)
    } else {
        clamp_i64(deadline.saturating_sub(ctx.now_ms))
    };
    Reply::Integer(if millis { value } else { value.saturating_add(500) / 1000 })
}

pub fn ttl(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &argv[1], false, false)
}

pub fn pttl(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &argv[1], true, false)
}

pub fn expiretime(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &argv[1], false, true)
}

pub fn pexpiretime(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &argv[1], true, true)
}

/// PERSIST: 1 if a deadline was removed, 0 if the key is missing or had none.
pub fn persist(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let db = ctx.db();
    let had_deadline = db
        .get(&argv[1], now)
        .is_some_and(|entry| entry.expires_at_ms.is_some());
    if had_deadline {
        db.set_deadline(&argv[1], None, now);
    }
    Reply::Integer(i64::from(had_deadline))
}

/// Whether a pattern restricts anything; Redis short-cuts a lone `*` (which its matcher would
/// not even match against the empty key).
fn matches_all(pattern: &[u8]) -> bool {
    pattern == b"*"
}

/// KEYS pattern, in keyspace order (the same on every replica).
pub fn keys(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    let pattern = &argv[1];
    let all = matches_all(pattern);
    let found = ctx
        .db()
        .iter_from(0, ctx.now_ms)
        .filter(|(key, _)| all || glob_match(pattern, key.bytes()))
        .map(|(key, _)| Reply::bulk(key.bytes()))
        .collect();
    Reply::Array(found)
}

/// The type names SCAN TYPE knows (Redis's, including types not implemented yet: asking for
/// them is valid and finds nothing).
const TYPE_NAMES: [&str; 6] = ["string", "list", "set", "zset", "hash", "stream"];

/// Default keys visited per SCAN call, as Redis.
const SCAN_COUNT_DEFAULT: usize = 10;

struct ScanOptions<'a> {
    count: usize,
    pattern: Option<&'a [u8]>,
    type_name: Option<&'static str>,
}

impl<'a> ScanOptions<'a> {
    fn parse(options: &'a [Vec<u8>]) -> Result<ScanOptions<'a>, Reply> {
        let mut parsed = ScanOptions {
            count: SCAN_COUNT_DEFAULT,
            pattern: None,
            type_name: None,
        };
        let mut i = 0;
        while i < options.len() {
            let (opt, value) = (&options[i], options.get(i + 1));
            match value {
                Some(value) if is(opt, "COUNT") => parsed.count = scan_count(value)?,
                Some(value) if is(opt, "MATCH") => {
                    parsed.pattern = Some(value).filter(|p| !matches_all(p)).map(Vec::as_slice)
                }
                Some(value) if is(opt, "TYPE") => parsed.type_name = Some(type_name(value)?),
                _ if is(opt, "NOVALUES") => {
                    return Err(Reply::error("ERR NOVALUES option can only be used in HSCAN"))
                }
                _ => return Err(syntax_error()),
            }
            i += 2;
        }
        Ok(parsed)
    }
}

fn scan_count(value: &[u8]) -> Result<usize, Reply> {
    let count = int_arg(value)?;
    if count < 1 {
        return Err(syntax_error());
    }
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

fn type_name(value: &[u8]) -> Result<&'static str, Reply> {
    TYPE_NAMES
        .into_iter()
        .find(|name| is(value, name))
        .ok_or_else(|| {
            let text = args::text(value);
            Reply::error(format!("ERR unknown type name '{text}'"))
        })
}

/// SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]. The cursor is the key hash to resume from,
/// so a key that exists throughout a scan is returned exactly once. A call visits about
/// COUNT keys but always finishes the group of keys that share the last hash, so the next
/// cursor is strictly greater and every call makes progress; 0 means the scan is over.
pub fn scan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(scan_result(ctx, argv))
}

fn scan_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let cursor = args::parse_digits_u64(&argv[1]).ok_or_else(|| Reply::error("ERR invalid cursor"))?;
    let options = ScanOptions::parse(&argv[2..])?;
    let mut found = Vec::new();
    let mut visited = 0usize;
    let mut last_hash = None;
    let mut next_cursor = 0u64;
    for (key, entry) in ctx.db().iter_from(cursor, ctx.now_ms) {
        if visited >= options.count && last_hash != Some(key.hash()) {
            next_cursor = key.hash();
            break;
        }
        visited += 1;
        last_hash = Some(key.hash());
        let type_ok = options.type_name.is_none_or(|t| t == entry.value.type_name());
        let match_ok = options.pattern.is_none_or(|p| glob_match(p, key.bytes()));
        if type_ok && match_ok {
            found.push(Reply::bulk(key.bytes()));
        }
    }
    let cursor = Reply::bulk(next_cursor.to_string());
    Ok(Reply::Array(vec![cursor, Reply::Array(found)]))
}

/// The one RENAME behind RENAME and RENAMENX: the value moves with its deadline.
fn rename_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], nx: bool) -> Reply {
    let (from, to) = (&argv[1], &argv[2]);
    let now = ctx.now_ms;
    let db = ctx.db();
    if !db.contains(from, now) {
        return Reply::error("ERR no such key");
    }
    let done = if nx { Reply::Integer(1) } else { Reply::ok() };
    if from == to {
        return if nx { Reply::Integer(0) } else { done };
    }
    if nx && db.contains(to, now) {
        return Reply::Integer(0);
    }
    if let Some(entry) = db.remove(from, now) {
        db.insert(to, entry);
    }
    done
}

pub fn rename(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    rename_generic(ctx, argv, false)
}

pub fn renamenx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    rename_generic(ctx, argv, true)
}

/// RANDOMKEY: the first live key at or after the hash `seed`, wrapping around; Nil when the
/// database is empty. The seed comes from the caller, so replicas given the same seed agree.
pub fn randomkey(ctx: &ReadCtx, _argv: &[Vec<u8>]) -> Reply {
    let db = ctx.db();
    let now = ctx.now_ms;
    db.iter_from(ctx.seed, now)
        .next()
        .or_else(|| db.iter_from(0, now).next())
        .map_or(Reply::Nil, |(key, _)| Reply::bulk(key.bytes()))
}

pub fn dbsize(ctx: &ReadCtx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.db().len(ctx.now_ms) as i64)
}

/// FLUSHDB / FLUSHALL accept nothing, ASYNC or SYNC; both free at once here.
fn flush_mode_ok(argv: &[Vec<u8>]) -> bool {
    match argv {
        [_] => true,
        [_, mode] => is(mode, "ASYNC") || is(mode, "SYNC"),
        _ => false,
    }
}

pub fn flushdb(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    if !flush_mode_ok(argv) {
        return syntax_error();
    }
    ctx.db().clear();
    Reply::ok()
}

pub fn flushall(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    if !flush_mode_ok(argv) {
        return syntax_error();
    }
    ctx.keyspace.dbs.iter_mut().for_each(Db::clear);
    Reply::ok()
}
