//! Key-space commands (db.c, expire.c): DEL, EXISTS, the EXPIRE family over one generic
//! expire, the TTL family over one generic ttl, KEYS, SCAN, RENAME, RANDOMKEY, FLUSHDB.

use crate::args::{self, int_arg, is, reply, syntax_error};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::glob::glob_match;
use crate::keyspace::{Db, Value};
use crate::reply::Reply;
use crate::scan::{self, scan_cursor, scan_page, scan_reply, ScanOptions};
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM, FAST, RANDOM,
};

/// DEL and UNLINK: how many of the keys existed (and are now gone). UNLINK frees lazily in
/// Redis; here both free at once, which is invisible to clients.
fn del_generic(ctx: &mut WriteCtx, keys: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let db = ctx.db();
    let removed = keys
        .iter()
        .filter(|key| db.remove(key, now).is_some())
        .count();
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
                return Err(args::client_error(format!("ERR Unsupported option {text}")));
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
                let refused =
                    self.nx || (self.gt && when <= current) || (self.lt && when >= current);
                !refused
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
    if !flags.allow(entry.deadline_ms().map(clamp_i64), when) {
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
    let Some(deadline) = entry.deadline_ms() else {
        return Reply::Integer(-1);
    };
    let value = if absolute {
        clamp_i64(deadline)
    } else {
        clamp_i64(deadline.saturating_sub(ctx.now_ms))
    };
    Reply::Integer(if millis {
        value
    } else {
        value.saturating_add(500) / 1000
    })
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

/// SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]. The cursor is the key hash to resume from,
/// so a key that exists throughout a scan is returned exactly once. A call visits about
/// COUNT keys but always finishes the group of keys that share the last hash, so the next
/// cursor is strictly greater and every call makes progress; 0 means the scan is over.
pub fn scan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(scan_result(ctx, argv))
}

fn scan_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let cursor = scan_cursor(&argv[1])?;
    let options = ScanOptions::parse(&argv[2..], scan::Options::MatchCountType)?;
    let entries = ctx
        .db()
        .iter_from(cursor, ctx.now_ms)
        .map(|(key, entry)| (key.hash(), (key, entry)));
    let (visited, next_cursor) = scan_page(entries, options.count);
    let found = visited
        .into_iter()
        .filter(|(_, entry)| {
            options
                .type_name
                .is_none_or(|t| is(t, entry.value.type_name()))
        })
        .filter(|(key, _)| options.matches(key.bytes()))
        .map(|(key, _)| Reply::bulk(key.bytes()))
        .collect();
    Ok(scan_reply(next_cursor, found))
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

/// This module's entries in the command table (see [`crate::table`]).
/// Redis's OBJ_SHARED_REFCOUNT: the refcount OBJECT REFCOUNT reports for a shared integer.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis's OBJ_SHARED_INTEGERS: integer strings below this are shared objects.
const SHARED_INTEGERS: i64 = 10_000;
/// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
const EMBSTR_SIZE_LIMIT: usize = 44;

/// The OBJECT ENCODING of a string value, judged from its bytes as Redis's tryObjectEncoding
/// judges a value written by SET: "int" for an integer of up to 20 characters, "embstr" up
/// to 44 bytes, "raw" beyond. (Redis also reports "raw" for short strings built in place by
/// APPEND, SETRANGE or SETBIT; the engine does not track that history.)
pub fn string_encoding(bytes: &[u8]) -> &'static str {
    if bytes.len() <= 20 && args::parse_i64(bytes).is_some() {
        "int"
    } else if bytes.len() <= EMBSTR_SIZE_LIMIT {
        "embstr"
    } else {
        "raw"
    }
}

/// OBJECT ENCODING's name for any value.
pub fn encoding_name(value: &Value) -> &'static str {
    match value {
        Value::String(bytes) => string_encoding(bytes),
        Value::Hash(hash) => hash.encoding_name(),
        Value::List(list) => list.encoding_name(),
        Value::Set(set) => set.encoding_name(),
        Value::ZSet(zset) => zset.encoding_name(),
        Value::Stream(stream) => stream.encoding_name(),
    }
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key, OBJECT HELP. The engine keeps no access
/// clock: IDLETIME is always 0, and FREQ answers as Redis does under the default
/// (non-LFU) eviction policy.
pub fn object(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    let sub = &argv[1];
    let known = ["help", "encoding", "refcount", "idletime", "freq"]
        .into_iter()
        .find(|name| is(sub, name));
    let Some(name) = known else {
        return args::client_error(format!(
            "ERR unknown subcommand '{}'. Try OBJECT HELP.",
            String::from_utf8_lossy(&args::c_str(sub)[..args::c_str(sub).len().min(128)])
        ));
    };
    let arity = if name == "help" { 2 } else { 3 };
    if argv.len() != arity {
        return Reply::error(format!(
            "ERR wrong number of arguments for 'object|{name}' command"
        ));
    }
    if name == "help" {
        return Reply::Array(
            OBJECT_HELP
                .iter()
                .map(|line| Reply::Simple((*line).into()))
                .collect(),
        );
    }
    let Some(entry) = ctx.db().get(&argv[2], ctx.now_ms) else {
        return Reply::Nil;
    };
    match name {
        "encoding" => Reply::bulk(encoding_name(&entry.value)),
        "refcount" => {
            let shared = match &entry.value {
                Value::String(bytes) => {
                    bytes.len() <= 20
                        && args::parse_i64(bytes).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n))
                }
                _ => false,
            };
            Reply::Integer(if shared { SHARED_REFCOUNT } else { 1 })
        }
        "idletime" => Reply::Integer(0),
        _ => Reply::error(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
             Please note that when switching between policies at runtime LRU and LFU data \
             will take some time to adjust.",
        ),
    }
}

/// A database index argument (getIntFromObjectOrReply, then selectDb's range check).
fn db_index(arg: &[u8], not_int: &str) -> Result<usize, Reply> {
    let id = args::parse_i64(arg)
        .filter(|id| i32::try_from(*id).is_ok())
        .ok_or_else(|| Reply::error(not_int))?;
    usize::try_from(id)
        .ok()
        .filter(|id| *id < crate::DATABASES)
        .ok_or_else(|| Reply::error("ERR DB index is out of range"))
}

const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// COPY source destination [DB index] [REPLACE]: the value and its deadline.
pub fn copy(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(copy_result(ctx, argv))
}

fn copy_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let mut replace = false;
    let mut dst = ctx.db;
    let mut j = 3;
    while j < argv.len() {
        let additional = argv.len() - j - 1;
        if is(&argv[j], "replace") {
            replace = true;
        } else if is(&argv[j], "db") && additional >= 1 {
            dst = db_index(&argv[j + 1], args::NOT_INTEGER)?;
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let (key, newkey) = (&argv[1], &argv[2]);
    if dst == ctx.db && key == newkey {
        return Err(Reply::error(SAME_OBJECT));
    }
    let now = ctx.now_ms;
    let Some(entry) = ctx.db().get(key, now).cloned() else {
        return Ok(Reply::Integer(0));
    };
    let target = &mut ctx.keyspace.dbs[dst];
    if target.get_mut(newkey, now).is_some() && !replace {
        return Ok(Reply::Integer(0));
    }
    target.insert(newkey, entry);
    Ok(Reply::Integer(1))
}

/// MOVE key db: moves the key (with its deadline) unless the target holds it already.
pub fn move_(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(move_result(ctx, argv))
}

fn move_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let dst = db_index(&argv[2], args::NOT_INTEGER)?;
    if dst == ctx.db {
        return Err(Reply::error(SAME_OBJECT));
    }
    let now = ctx.now_ms;
    let key = &argv[1];
    if ctx.db().get_mut(key, now).is_none() {
        return Ok(Reply::Integer(0));
    }
    if ctx.keyspace.dbs[dst].get_mut(key, now).is_some() {
        return Ok(Reply::Integer(0));
    }
    let entry = ctx.db().remove(key, now).expect("live key");
    ctx.keyspace.dbs[dst].insert(key, entry);
    Ok(Reply::Integer(1))
}

/// SWAPDB index1 index2: the two databases trade their whole contents, deadlines included.
pub fn swapdb(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    let first = int_or(&argv[1], "ERR invalid first DB index");
    let second = int_or(&argv[2], "ERR invalid second DB index");
    let (first, second) = match (first, second) {
        (Err(e), _) | (_, Err(e)) => return e,
        (Ok(a), Ok(b)) => (a, b),
    };
    let valid = |id: i64| usize::try_from(id).ok().filter(|id| *id < crate::DATABASES);
    let (Some(first), Some(second)) = (valid(first), valid(second)) else {
        return Reply::error("ERR DB index is out of range");
    };
    ctx.keyspace.dbs.swap(first, second);
    Reply::ok()
}

fn int_or(arg: &[u8], error: &str) -> Result<i64, Reply> {
    args::parse_i64(arg)
        .filter(|id| i32::try_from(*id).is_ok())
        .ok_or_else(|| Reply::error(error))
}

pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("copy", -3, DENYOOM, 1, 2, 1, Write(legacy!(copy))),
    cmd!("dbsize", 1, FAST, 0, 0, 0, Read(legacy!(dbsize))),
    cmd!("del", -2, 0, 1, -1, 1, Write(legacy!(del))),
    cmd!("exists", -2, FAST, 1, -1, 1, Read(legacy!(exists))),
    cmd!("expire", -3, FAST, 1, 1, 1, Write(legacy!(expire))),
    cmd!("expireat", -3, FAST, 1, 1, 1, Write(legacy!(expireat))),
    cmd!("expiretime", 2, FAST, 1, 1, 1, Read(legacy!(expiretime))),
    cmd!("flushall", -1, 0, 0, 0, 0, Write(legacy!(flushall))),
    cmd!("flushdb", -1, 0, 0, 0, 0, Write(legacy!(flushdb))),
    cmd!("keys", 2, 0, 0, 0, 0, Read(legacy!(keys))),
    cmd!("move", 3, FAST, 1, 1, 1, Write(legacy!(move_))),
    cmd!("object", -2, 0, 2, 2, 1, Read(legacy!(object))),
    cmd!("persist", 2, FAST, 1, 1, 1, Write(legacy!(persist))),
    cmd!("pexpire", -3, FAST, 1, 1, 1, Write(legacy!(pexpire))),
    cmd!("pexpireat", -3, FAST, 1, 1, 1, Write(legacy!(pexpireat))),
    cmd!("pexpiretime", 2, FAST, 1, 1, 1, Read(legacy!(pexpiretime))),
    cmd!("pttl", 2, FAST, 1, 1, 1, Read(legacy!(pttl))),
    cmd!("randomkey", 1, RANDOM, 0, 0, 0, Read(legacy!(randomkey))),
    cmd!("rename", 3, 0, 1, 2, 1, Write(legacy!(rename))),
    cmd!("renamenx", 3, FAST, 1, 2, 1, Write(legacy!(renamenx))),
    cmd!("scan", -2, 0, 0, 0, 0, Read(legacy!(scan))),
    cmd!("swapdb", 3, FAST, 0, 0, 0, Write(legacy!(swapdb))),
    cmd!("ttl", 2, FAST, 1, 1, 1, Read(legacy!(ttl))),
    cmd!("type", 2, FAST, 1, 1, 1, Read(legacy!(type_))),
    cmd!("unlink", -2, FAST, 1, -1, 1, Write(legacy!(unlink))),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::entry::LogCommand;
    use crate::testutil::{apply, bulk, bulks, err, int, ok, read, read_seeded};
    use crate::Engine;

    fn engine_with(keys: &[&str]) -> Engine {
        let mut engine = Engine::new();
        for key in keys {
            assert_eq!(apply(&mut engine, 1000, &["SET", key, "v"]), ok());
        }
        engine
    }

    fn sorted(reply: Reply) -> Vec<Vec<u8>> {
        let Reply::Array(items) = reply else {
            panic!("not an array: {reply:?}");
        };
        let mut keys: Vec<Vec<u8>> = items
            .into_iter()
            .map(|item| match item {
                Reply::Bulk(bytes) => bytes,
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn del_and_unlink_count_existing_keys() {
        let mut engine = engine_with(&["a", "b", "c"]);
        assert_eq!(
            apply(&mut engine, 1000, &["DEL", "a", "b", "x", "a"]),
            int(2)
        );
        assert_eq!(apply(&mut engine, 1000, &["UNLINK", "c", "c"]), int(1));
        assert_eq!(read(&engine, 1000, &["DBSIZE"]), int(0));
        apply(&mut engine, 1000, &["SET", "t", "v", "PX", "5"]);
        assert_eq!(
            apply(&mut engine, 1005, &["DEL", "t"]),
            int(0),
            "expired is absent"
        );
    }

    #[test]
    fn exists_counts_repeats() {
        let engine = engine_with(&["a", "b"]);
        assert_eq!(read(&engine, 1000, &["EXISTS", "a", "a", "b", "x"]), int(3));
    }

    #[test]
    fn type_names_strings_and_none() {
        let engine = engine_with(&["a"]);
        assert_eq!(
            read(&engine, 1000, &["TYPE", "a"]),
            Reply::Simple("string".into())
        );
        assert_eq!(
            read(&engine, 1000, &["TYPE", "x"]),
            Reply::Simple("none".into())
        );
    }

    #[test]
    fn expire_family_sets_deadlines_in_each_unit() {
        let mut engine = engine_with(&["a", "b", "c", "d"]);
        assert_eq!(apply(&mut engine, 1000, &["EXPIRE", "a", "10"]), int(1));
        assert_eq!(apply(&mut engine, 1000, &["PEXPIRE", "b", "10"]), int(1));
        assert_eq!(apply(&mut engine, 1000, &["EXPIREAT", "c", "10"]), int(1));
        assert_eq!(
            apply(&mut engine, 1000, &["PEXPIREAT", "d", "10000"]),
            int(1)
        );
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "a"]), int(11_000));
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "b"]), int(1010));
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "c"]), int(10_000));
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "d"]), int(10_000));
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "missing", "10"]),
            int(0)
        );
        // Exactly at the deadline the key is gone.
        assert_eq!(read(&engine, 1009, &["EXISTS", "b"]), int(1));
        assert_eq!(read(&engine, 1010, &["EXISTS", "b"]), int(0));
        assert_eq!(apply(&mut engine, 1010, &["EXPIRE", "b", "10"]), int(0));
    }

    #[test]
    fn expire_in_the_past_deletes_and_replies_one() {
        let mut engine = engine_with(&["a", "b", "c"]);
        assert_eq!(apply(&mut engine, 1000, &["EXPIRE", "a", "-1"]), int(1));
        assert_eq!(apply(&mut engine, 1000, &["PEXPIRE", "b", "0"]), int(1));
        assert_eq!(
            apply(&mut engine, 1000, &["PEXPIREAT", "c", "1000"]),
            int(1)
        );
        assert_eq!(read(&engine, 1000, &["DBSIZE"]), int(0));
        assert_eq!(engine.keyspace().dbs[0].stored_len(), 0);
    }

    #[test]
    fn expire_conditions_nx_xx_gt_lt() {
        let mut engine = engine_with(&["k"]);
        let e = |engine: &mut Engine, args: &[&str]| {
            let mut argv = vec!["PEXPIRE", "k"];
            argv.extend_from_slice(args);
            apply(engine, 1000, &argv)
        };
        assert_eq!(e(&mut engine, &["100", "XX"]), int(0));
        assert_eq!(
            e(&mut engine, &["100", "GT"]),
            int(0),
            "no deadline is infinite"
        );
        assert_eq!(e(&mut engine, &["100", "LT"]), int(1));
        assert_eq!(e(&mut engine, &["50", "NX"]), int(0));
        assert_eq!(e(&mut engine, &["200", "XX"]), int(1));
        assert_eq!(e(&mut engine, &["100", "GT"]), int(0));
        assert_eq!(e(&mut engine, &["300", "gt"]), int(1));
        assert_eq!(e(&mut engine, &["300", "LT"]), int(0));
        assert_eq!(e(&mut engine, &["250", "LT", "XX"]), int(1));
        assert_eq!(read(&engine, 1000, &["PTTL", "k"]), int(250));
        apply(&mut engine, 1000, &["PERSIST", "k"]);
        assert_eq!(e(&mut engine, &["50", "NX"]), int(1));
    }

    #[test]
    fn expire_option_errors() {
        let mut engine = engine_with(&["k"]);
        let incompatible =
            err("ERR NX and XX, GT or LT options at the same time are not compatible");
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "1", "NX", "XX"]),
            incompatible
        );
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "1", "GT", "NX"]),
            incompatible
        );
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "1", "NX", "LT"]),
            incompatible
        );
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "1", "GT", "LT"]),
            err("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "1", "foo"]),
            err("ERR Unsupported option foo")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "1", "a\r\nb"]),
            err("ERR Unsupported option a  b")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "1", "\0bin"]),
            err("ERR Unsupported option ")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "1.5"]),
            err(args::NOT_INTEGER)
        );
        let max = "9223372036854775807";
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIRE", "k", "9223372036854776"]),
            err("ERR invalid expire time in 'expire' command")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["PEXPIRE", "k", max]),
            err("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["EXPIREAT", "k", "-9223372036854776"]),
            err("ERR invalid expire time in 'expireat' command")
        );
        assert_eq!(apply(&mut engine, 1000, &["PEXPIREAT", "k", max]), int(1));
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "k"]), int(i64::MAX));
    }

    #[test]
    fn ttl_family_reports_missing_persistent_and_rounded() {
        let mut engine = engine_with(&["p"]);
        apply(&mut engine, 1000, &["SET", "t", "v", "PX", "2500"]);
        for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            assert_eq!(read(&engine, 1000, &[cmd, "missing"]), int(-2), "{cmd}");
            assert_eq!(read(&engine, 1000, &[cmd, "p"]), int(-1), "{cmd}");
        }
        assert_eq!(read(&engine, 1000, &["PTTL", "t"]), int(2500));
        assert_eq!(
            read(&engine, 1000, &["TTL", "t"]),
            int(3),
            "2.5 s rounds up"
        );
        assert_eq!(read(&engine, 1001, &["TTL", "t"]), int(2));
        assert_eq!(read(&engine, 1000, &["PEXPIRETIME", "t"]), int(3500));
        assert_eq!(read(&engine, 1000, &["EXPIRETIME", "t"]), int(4));
        assert_eq!(read(&engine, 3499, &["PTTL", "t"]), int(1));
        assert_eq!(read(&engine, 3500, &["PTTL", "t"]), int(-2));
    }

    #[test]
    fn persist_removes_the_deadline() {
        let mut engine = engine_with(&["k", "p"]);
        apply(&mut engine, 1000, &["EXPIRE", "k", "10"]);
        assert_eq!(apply(&mut engine, 1000, &["PERSIST", "k"]), int(1));
        assert_eq!(read(&engine, 1000, &["TTL", "k"]), int(-1));
        assert_eq!(apply(&mut engine, 1000, &["PERSIST", "k"]), int(0));
        assert_eq!(apply(&mut engine, 1000, &["PERSIST", "p"]), int(0));
        assert_eq!(apply(&mut engine, 1000, &["PERSIST", "x"]), int(0));
        assert_eq!(read(&engine, 100_000, &["GET", "k"]), bulk("v"));
    }

    #[test]
    fn keys_matches_globs_and_skips_expired() {
        let mut engine = engine_with(&["hello", "hallo", "hxllo", "world", "h*llo"]);
        apply(&mut engine, 1000, &["PEXPIRE", "world", "1"]);
        let keys = |pattern: &str| sorted(read(&engine, 1000, &["KEYS", pattern]));
        let expect = |items: &[&str]| sorted(bulks(items));
        assert_eq!(
            keys("*"),
            expect(&["hello", "hallo", "hxllo", "world", "h*llo"])
        );
        assert_eq!(keys("h[ae]llo"), expect(&["hello", "hallo"]));
        assert_eq!(keys("h[^e]llo"), expect(&["hallo", "hxllo", "h*llo"]));
        assert_eq!(keys("h\\*llo"), expect(&["h*llo"]));
        assert_eq!(keys("w?rld"), expect(&["world"]));
        assert_eq!(sorted(read(&engine, 1001, &["KEYS", "w*"])), expect(&[]));
    }

    #[test]
    fn keys_order_is_the_keyspace_order() {
        let engine = engine_with(&["a", "b", "c", "d"]);
        let expected: Vec<Reply> = engine.keyspace().dbs[0]
            .iter_from(0, 1000)
            .map(|(key, _)| Reply::bulk(key.bytes()))
            .collect();
        assert_eq!(read(&engine, 1000, &["KEYS", "*"]), Reply::Array(expected));
    }

    /// Follows SCAN cursors from 0 to the end; returns every key seen (with repeats).
    fn full_scan(engine: &Engine, now: u64, options: &[&str]) -> Vec<Vec<u8>> {
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        for _ in 0..10_000 {
            let mut argv = vec!["SCAN", cursor.as_str()];
            argv.extend_from_slice(options);
            let Reply::Array(parts) = read(engine, now, &argv) else {
                panic!("SCAN reply is not an array");
            };
            let [Reply::Bulk(next), keys] = <[Reply; 2]>::try_from(parts).expect("two parts")
            else {
                panic!("bad SCAN reply");
            };
            seen.extend(sorted(keys));
            cursor = String::from_utf8(next).expect("cursor text");
            if cursor == "0" {
                return seen;
            }
        }
        panic!("SCAN never finished");
    }

    #[test]
    fn scan_returns_every_key_once_in_small_pages() {
        let names: Vec<String> = (0..100).map(|i| format!("key:{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let engine = engine_with(&refs);
        let mut seen = full_scan(&engine, 1000, &["COUNT", "7"]);
        seen.sort();
        let mut expected: Vec<Vec<u8>> = names.iter().map(|n| n.clone().into_bytes()).collect();
        expected.sort();
        assert_eq!(seen, expected);
        assert_eq!(full_scan(&engine, 1000, &[]).len(), 100);
    }

    #[test]
    fn scan_pages_hold_count_keys_and_cursors_are_hashes() {
        let engine = engine_with(&["a", "b", "c", "d", "e"]);
        let Reply::Array(parts) = read(&engine, 1000, &["SCAN", "0", "COUNT", "2"]) else {
            panic!()
        };
        let hashes: Vec<u64> = engine.keyspace().dbs[0]
            .iter_from(0, 1000)
            .map(|(k, _)| k.hash())
            .collect();
        assert_eq!(parts[0], bulk(&hashes[2].to_string()));
        let Reply::Array(keys) = &parts[1] else {
            panic!()
        };
        assert_eq!(keys.len(), 2);
        assert_eq!(
            read(&engine, 1000, &["SCAN", &u64::MAX.to_string()]),
            Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
        );
    }

    #[test]
    fn scan_cursors_strictly_increase_until_zero() {
        let mut engine = Engine::new();
        for i in 0..30 {
            apply(&mut engine, 0, &["SET", &format!("k{i}"), "v"]);
        }
        let mut cursor = 0u64;
        let mut calls = 0;
        loop {
            let reply = read(&engine, 0, &["SCAN", &cursor.to_string(), "COUNT", "1"]);
            let Reply::Array(parts) = reply else { panic!() };
            let Reply::Bulk(next) = &parts[0] else {
                panic!()
            };
            let next: u64 = String::from_utf8_lossy(next).parse().unwrap();
            calls += 1;
            if next == 0 {
                break;
            }
            assert!(next > cursor, "cursor must strictly increase");
            cursor = next;
        }
        assert_eq!(calls, 30);
    }

    #[test]
    fn scan_match_and_type_filter() {
        let engine = engine_with(&["user:1", "user:2", "other"]);
        let seen = full_scan(&engine, 1000, &["MATCH", "user:*", "COUNT", "100"]);
        assert_eq!(seen, vec![b"user:1".to_vec(), b"user:2".to_vec()]);
        assert_eq!(full_scan(&engine, 1000, &["TYPE", "string"]).len(), 3);
        assert_eq!(full_scan(&engine, 1000, &["type", "HASH"]).len(), 0);
        assert_eq!(full_scan(&engine, 1000, &["TYPE", "STRING"]).len(), 3);
        assert_eq!(
            full_scan(&engine, 1000, &["TYPE", "blob"]).len(),
            0,
            "no error in Redis 7"
        );
        assert_eq!(full_scan(&engine, 1000, &["MATCH", "*"]).len(), 3);
    }

    #[test]
    fn scan_errors() {
        let engine = engine_with(&["a"]);
        let scan = |args: &[&str]| {
            let mut argv = vec!["SCAN"];
            argv.extend_from_slice(args);
            read(&engine, 1000, &argv)
        };
        let invalid = err("ERR invalid cursor");
        assert_eq!(scan(&[" 1"]), invalid);
        assert_eq!(scan(&["abc"]), invalid);
        assert_eq!(scan(&["18446744073709551616"]), invalid);
        assert_eq!(scan(&["0", "COUNT", "0"]), err(args::SYNTAX_ERROR));
        assert_eq!(scan(&["0", "COUNT", "x"]), err(args::NOT_INTEGER));
        assert_eq!(scan(&["0", "COUNT"]), err(args::SYNTAX_ERROR));
        assert_eq!(scan(&["0", "FOO", "1"]), err(args::SYNTAX_ERROR));
        assert_eq!(scan(&["0", "NOVALUES"]), err(args::SYNTAX_ERROR));
        assert_eq!(scan(&["0", "MATCH", "*", "COUNT"]), err(args::SYNTAX_ERROR));
    }

    #[test]
    fn rename_moves_value_and_deadline() {
        let mut engine = engine_with(&["a", "b"]);
        apply(&mut engine, 1000, &["PEXPIRE", "a", "500"]);
        assert_eq!(apply(&mut engine, 1000, &["RENAME", "a", "b"]), ok());
        assert_eq!(read(&engine, 1000, &["EXISTS", "a"]), int(0));
        assert_eq!(read(&engine, 1000, &["PTTL", "b"]), int(500));
        assert_eq!(apply(&mut engine, 1000, &["RENAME", "b", "b"]), ok());
        assert_eq!(read(&engine, 1000, &["PTTL", "b"]), int(500));
        assert_eq!(
            apply(&mut engine, 1000, &["RENAME", "x", "y"]),
            err("ERR no such key")
        );
        assert_eq!(
            apply(&mut engine, 1000, &["RENAME", "x", "x"]),
            err("ERR no such key")
        );
        assert_eq!(
            apply(&mut engine, 1500, &["RENAME", "b", "c"]),
            err("ERR no such key"),
            "expired source"
        );
    }

    #[test]
    fn renamenx_only_onto_a_missing_key() {
        let mut engine = engine_with(&["a", "b"]);
        assert_eq!(apply(&mut engine, 1000, &["RENAMENX", "a", "b"]), int(0));
        assert_eq!(apply(&mut engine, 1000, &["RENAMENX", "a", "a"]), int(0));
        assert_eq!(apply(&mut engine, 1000, &["RENAMENX", "a", "c"]), int(1));
        assert_eq!(read(&engine, 1000, &["GET", "c"]), bulk("v"));
        assert_eq!(
            apply(&mut engine, 1000, &["RENAMENX", "a", "d"]),
            err("ERR no such key")
        );
    }

    #[test]
    fn randomkey_is_deterministic_in_the_seed_and_wraps() {
        let mut engine = Engine::new();
        assert_eq!(read(&engine, 0, &["RANDOMKEY"]), Reply::Nil);
        for key in ["a", "b", "c"] {
            apply(&mut engine, 0, &["SET", key, "v"]);
        }
        let order: Vec<(u64, Vec<u8>)> = engine.keyspace().dbs[0]
            .iter_from(0, 0)
            .map(|(k, _)| (k.hash(), k.bytes().to_vec()))
            .collect();
        let pick = |seed| read_seeded(&engine, 0, seed, &["RANDOMKEY"]);
        assert_eq!(pick(0), Reply::bulk(order[0].1.clone()));
        assert_eq!(pick(order[1].0), Reply::bulk(order[1].1.clone()));
        assert_eq!(pick(order[1].0 + 1), Reply::bulk(order[2].1.clone()));
        assert_eq!(
            pick(order[2].0 + 1),
            Reply::bulk(order[0].1.clone()),
            "wraps"
        );
        assert_eq!(pick(7), pick(7));
        apply(
            &mut engine,
            0,
            &["PEXPIRE", &String::from_utf8_lossy(&order[0].1), "1"],
        );
        assert_eq!(
            read_seeded(&engine, 1, 0, &["RANDOMKEY"]),
            Reply::bulk(order[1].1.clone())
        );
    }

    #[test]
    fn dbsize_counts_live_keys() {
        let mut engine = engine_with(&["a", "b"]);
        assert_eq!(read(&engine, 1000, &["DBSIZE"]), int(2));
        apply(&mut engine, 1000, &["PEXPIRE", "a", "10"]);
        assert_eq!(read(&engine, 1010, &["DBSIZE"]), int(1));
    }

    fn apply_in_db(engine: &mut Engine, db: u32, parts: &[&str]) -> Reply {
        let cmd = parts.iter().map(|p| p.as_bytes().to_vec()).collect();
        let entry = LogCommand::run(1000, db, vec![cmd]);
        engine.apply(1, &entry).remove(0)
    }

    #[test]
    fn flushdb_clears_one_db_and_flushall_every_db() {
        let mut engine = engine_with(&["a"]);
        apply_in_db(&mut engine, 3, &["SET", "b", "v"]);
        assert_eq!(apply(&mut engine, 1000, &["FLUSHDB"]), ok());
        assert_eq!(read(&engine, 1000, &["DBSIZE"]), int(0));
        assert_eq!(engine.keyspace().dbs[3].len(1000), 1);
        apply(&mut engine, 1000, &["SET", "a", "v", "PX", "10"]);
        assert_eq!(apply(&mut engine, 1000, &["FLUSHALL", "async"]), ok());
        assert!(engine.keyspace().dbs.iter().all(|db| db.stored_len() == 0));
        assert!(!engine.has_expired_keys(u64::MAX));
        assert_eq!(apply(&mut engine, 1000, &["FLUSHDB", "SYNC"]), ok());
        assert_eq!(
            apply(&mut engine, 1000, &["FLUSHDB", "NOW"]),
            err(args::SYNTAX_ERROR)
        );
        assert_eq!(
            apply(&mut engine, 1000, &["FLUSHALL", "SYNC", "ASYNC"]),
            err(args::SYNTAX_ERROR)
        );
    }

    fn read_in_db(engine: &Engine, db: u32, parts: &[&str]) -> Reply {
        let argv: Vec<Vec<u8>> = parts.iter().map(|p| p.as_bytes().to_vec()).collect();
        engine.read(db, &argv, crate::ReadContext { now_ms: 1, seed: 0 })
    }

    #[test]
    fn object_reports_encodings_refcount_and_help_like_redis() {
        let mut e = Engine::new();
        for (value, encoding) in [
            ("100", "int"),
            ("-9223372036854775808", "int"),
            ("12345678901234567890", "embstr"),
            (" 12", "embstr"),
            ("01", "embstr"),
            ("hello", "embstr"),
            (&"x".repeat(44), "embstr"),
            (&"x".repeat(45), "raw"),
        ] {
            apply(&mut e, 1, &["SET", "k", value]);
            assert_eq!(
                read(&e, 1, &["OBJECT", "ENCODING", "k"]),
                bulk(encoding),
                "{value}"
            );
        }
        apply(&mut e, 1, &["HSET", "h", "f", "v"]);
        apply(&mut e, 1, &["RPUSH", "l", "a"]);
        apply(&mut e, 1, &["SADD", "si", "1"]);
        apply(&mut e, 1, &["SADD", "ss", "a"]);
        apply(&mut e, 1, &["ZADD", "z", "1", "a"]);
        apply(&mut e, 1, &["XADD", "x", "1-1", "f", "v"]);
        for (key, encoding) in [
            ("h", "listpack"),
            ("l", "quicklist"),
            ("si", "intset"),
            ("ss", "hashtable"),
            ("z", "listpack"),
            ("x", "stream"),
        ] {
            assert_eq!(
                read(&e, 1, &["object", "encoding", key]),
                bulk(encoding),
                "{key}"
            );
        }
        assert_eq!(read(&e, 1, &["OBJECT", "ENCODING", "nokey"]), Reply::Nil);
        apply(&mut e, 1, &["SET", "small", "9999"]);
        apply(&mut e, 1, &["SET", "big", "10000"]);
        assert_eq!(
            read(&e, 1, &["OBJECT", "REFCOUNT", "small"]),
            int(2147483647)
        );
        assert_eq!(read(&e, 1, &["OBJECT", "REFCOUNT", "big"]), int(1));
        assert_eq!(read(&e, 1, &["OBJECT", "REFCOUNT", "h"]), int(1));
        assert_eq!(read(&e, 1, &["OBJECT", "REFCOUNT", "nokey"]), Reply::Nil);
        assert_eq!(read(&e, 1, &["OBJECT", "IDLETIME", "h"]), int(0));
        assert_eq!(read(&e, 1, &["OBJECT", "IDLETIME", "nokey"]), Reply::Nil);
        assert_eq!(
            read(&e, 1, &["OBJECT", "FREQ", "h"]),
            err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
        );
        assert_eq!(read(&e, 1, &["OBJECT", "FREQ", "nokey"]), Reply::Nil);
        assert_eq!(
            read(&e, 1, &["OBJECT", "foo"]),
            err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
        );
        assert_eq!(
            read(&e, 1, &["OBJECT", "ENCODING"]),
            err("ERR wrong number of arguments for 'object|encoding' command")
        );
        assert_eq!(
            read(&e, 1, &["OBJECT", "help", "x"]),
            err("ERR wrong number of arguments for 'object|help' command")
        );
        let Reply::Array(help) = read(&e, 1, &["OBJECT", "HELP"]) else {
            panic!("help is an array");
        };
        assert_eq!(help.len(), 15);
        assert_eq!(help[14], Reply::Simple("    Prints this help.".into()));
    }

    #[test]
    fn copy_duplicates_value_and_deadline_within_and_across_databases() {
        let mut e = Engine::new();
        apply(&mut e, 1, &["SET", "a", "v"]);
        apply(&mut e, 1, &["PEXPIRE", "a", "5000"]);
        apply(&mut e, 1, &["RPUSH", "l", "x", "y"]);
        assert_eq!(apply(&mut e, 1, &["COPY", "a", "b"]), int(1));
        assert_eq!(read(&e, 1, &["GET", "b"]), bulk("v"));
        assert_eq!(read(&e, 1, &["PTTL", "b"]), int(5000));
        assert_eq!(apply(&mut e, 1, &["COPY", "l", "b"]), int(0));
        assert_eq!(apply(&mut e, 1, &["COPY", "l", "b", "REPLACE"]), int(1));
        assert_eq!(read(&e, 1, &["LRANGE", "b", "0", "-1"]), bulks(&["x", "y"]));
        assert_eq!(read(&e, 1, &["PTTL", "b"]), int(-1));
        // The copy is independent of the source.
        apply(&mut e, 1, &["RPUSH", "l", "z"]);
        assert_eq!(read(&e, 1, &["LLEN", "b"]), int(2));
        assert_eq!(apply(&mut e, 1, &["COPY", "a", "a", "DB", "3"]), int(1));
        assert_eq!(read_in_db(&e, 3, &["GET", "a"]), bulk("v"));
        assert_eq!(read_in_db(&e, 3, &["PTTL", "a"]), int(5000));
        assert_eq!(apply(&mut e, 1, &["COPY", "nokey", "c"]), int(0));
        for (cmd, error) in [
            (
                &["COPY", "a", "a"][..],
                "ERR source and destination objects are the same",
            ),
            (
                &["COPY", "a", "a", "DB", "0"],
                "ERR source and destination objects are the same",
            ),
            (
                &["COPY", "a", "c", "DB", "16"],
                "ERR DB index is out of range",
            ),
            (
                &["COPY", "a", "c", "DB", "-1"],
                "ERR DB index is out of range",
            ),
            (&["COPY", "a", "c", "DB", "x"], NOT_INTEGER),
            (&["COPY", "a", "c", "DB", "4294967296"], NOT_INTEGER),
            (&["COPY", "a", "c", "foo"], SYNTAX_ERROR),
            (&["COPY", "a", "c", "DB"], SYNTAX_ERROR),
        ] {
            assert_eq!(apply(&mut e, 1, cmd), err(error), "{cmd:?}");
        }
        // An expired destination counts as absent; an expired source copies nothing.
        apply(&mut e, 1, &["SET", "old", "o", "PX", "10"]);
        assert_eq!(apply(&mut e, 20, &["COPY", "b", "old"]), int(1));
        assert_eq!(apply(&mut e, 20_000, &["COPY", "a", "z"]), int(0));
    }

    #[test]
    fn move_takes_the_key_and_its_deadline_to_another_database() {
        let mut e = Engine::new();
        apply(&mut e, 1, &["SET", "a", "v", "PX", "5000"]);
        assert_eq!(apply(&mut e, 1, &["MOVE", "a", "2"]), int(1));
        assert_eq!(read(&e, 1, &["EXISTS", "a"]), int(0));
        assert_eq!(read_in_db(&e, 2, &["GET", "a"]), bulk("v"));
        assert_eq!(read_in_db(&e, 2, &["PTTL", "a"]), int(5000));
        assert_eq!(apply(&mut e, 1, &["MOVE", "a", "2"]), int(0));
        apply(&mut e, 1, &["SET", "a", "w"]);
        assert_eq!(apply(&mut e, 1, &["MOVE", "a", "2"]), int(0));
        assert_eq!(read(&e, 1, &["GET", "a"]), bulk("w"));
        assert_eq!(apply_in_db(&mut e, 2, &["MOVE", "a", "0"]), int(0));
        for (cmd, error) in [
            (
                &["MOVE", "a", "0"][..],
                "ERR source and destination objects are the same",
            ),
            (&["MOVE", "a", "16"], "ERR DB index is out of range"),
            (&["MOVE", "a", "x"], NOT_INTEGER),
        ] {
            assert_eq!(apply(&mut e, 1, cmd), err(error), "{cmd:?}");
        }
    }

    #[test]
    fn swapdb_swaps_whole_databases_with_deadlines() {
        let mut e = Engine::new();
        apply(&mut e, 1000, &["SET", "a", "zero", "PX", "5000"]);
        apply_in_db(&mut e, 1, &["SET", "b", "one"]);
        assert_eq!(apply(&mut e, 1, &["SWAPDB", "0", "1"]), ok());
        assert_eq!(read(&e, 1, &["GET", "b"]), bulk("one"));
        assert_eq!(read_in_db(&e, 1, &["PTTL", "a"]), int(5000));
        assert!(e.has_expired_keys(6000));
        assert!(!e.has_expired_keys(5999));
        assert_eq!(apply(&mut e, 1, &["SWAPDB", "3", "3"]), ok());
        for (cmd, error) in [
            (&["SWAPDB", "x", "1"][..], "ERR invalid first DB index"),
            (&["SWAPDB", "1", "x"], "ERR invalid second DB index"),
            (&["SWAPDB", "1", "16"], "ERR DB index is out of range"),
            (&["SWAPDB", "-1", "0"], "ERR DB index is out of range"),
        ] {
            assert_eq!(apply(&mut e, 1, cmd), err(error), "{cmd:?}");
        }
    }
}
