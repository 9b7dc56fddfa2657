//! The key-space command functions and this module's entries in the command table.

use super::{memory, object};
use crate::args::{self, int_arg, is, syntax_error, Args};
use crate::glob::glob_match;
use crate::keyspace::Db;
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::scan::{self, scan_cursor, scan_page, scan_reply, ScanOptions};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Container, Read, Write},
    DENYOOM, FAST, NO_TOUCH, RANDOM,
};
use crate::spec::{ReadCtx, WriteCtx};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "copy", -3, DENYOOM, 1, 2, 1, Write(copy),
        keys: "RO access @1; OW update @2",
        docs: "generic 6.2.0",
        summary: "Duplicates a key's value under another name, optionally in another database",
        complexity: "O(N) in the size of the value copied",
        args: "source:key#0 destination:key#1 ?destination-db:integer=DB ?replace:pure-token=REPLACE",
    ),
    cmd!(
        "dbsize", 1, FAST, 0, 0, 0, Read(dbsize),
        tips: "request_policy:all_shards response_policy:agg_sum",
        docs: "server 1.0.0",
        summary: "Counts the keys of the selected database",
        complexity: "O(1)",
    ),
    cmd!(
        "del", -2, 0, 1, -1, 1, Write(del),
        tips: "request_policy:multi_shard response_policy:agg_sum",
        keys: "RM delete @1 -1/1/0",
        docs: "generic 1.0.0",
        summary: "Removes the named keys",
        complexity: "O(N) in the keys removed; O(M) for a collection of M elements",
        args: "*key:key#0",
    ),
    cmd!(
        "exists", -2, FAST | NO_TOUCH, 1, -1, 1, Read(exists),
        tips: "request_policy:multi_shard response_policy:agg_sum",
        keys: "RO @1 -1/1/0",
        docs: "generic 1.0.0",
        summary: "Counts how many of the named keys exist",
        complexity: "O(N), N being the keys named",
        history: "3.0.3 Takes several keys at once.",
        args: "*key:key#0",
    ),
    cmd!(
        "expire", -3, FAST, 1, 1, 1, Write(expire),
        keys: "RW update @1",
        docs: "generic 1.0.0",
        summary: "Makes a key expire after a number of seconds",
        complexity: "O(1)",
        history: "7.0.0 The NX, XX, GT and LT conditions were introduced.",
        args: "key:key#0 seconds:integer ?condition:oneof@7.0.0(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT)",
    ),
    cmd!(
        "expireat", -3, FAST, 1, 1, 1, Write(expireat),
        keys: "RW update @1",
        docs: "generic 1.2.0",
        summary: "Makes a key expire at a Unix time in seconds",
        complexity: "O(1)",
        history: "7.0.0 The NX, XX, GT and LT conditions were introduced.",
        args: "key:key#0 unix-time-seconds:unix-time ?condition:oneof@7.0.0(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT)",
    ),
    cmd!(
        "expiretime", 2, FAST | NO_TOUCH, 1, 1, 1, Read(expiretime),
        keys: "RO access @1",
        docs: "generic 7.0.0",
        summary: "Gives the Unix time in seconds when a key expires",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "flushall", -1, 0, 0, 0, 0, Write(flushall),
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "server 1.0.0",
        summary: "Removes the keys of every database",
        complexity: "O(N), N being the number of keys",
        history: "4.0.0 ASYNC was introduced.; 6.2.0 SYNC was introduced.",
        args: "?async:oneof(async:pure-token=ASYNC@4.0.0 sync:pure-token=SYNC@6.2.0)",
    ),
    cmd!(
        "flushdb", -1, 0, 0, 0, 0, Write(flushdb),
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "server 1.0.0",
        summary: "Removes the keys of the selected database",
        complexity: "O(N), N being the database's keys",
        history: "4.0.0 ASYNC was introduced.; 6.2.0 SYNC was introduced.",
        args: "?async:oneof(async:pure-token=ASYNC@4.0.0 sync:pure-token=SYNC@6.2.0)",
    ),
    cmd!(
        "keys", 2, 0, 0, 0, 0, Read(keys),
        tips: "request_policy:all_shards nondeterministic_output_order",
        docs: "generic 1.0.0",
        summary: "Lists the keys whose names match a pattern",
        complexity: "O(N), N being the database's keys",
        args: "pattern:pattern",
    ),
    cmd!(
        "memory", -2, 0, 0, 0, 0, Container(memory::SUBCOMMANDS),
        docs: "server 4.0.0",
        summary: "Container of the memory-reporting commands",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "move", 3, FAST, 1, 1, 1, Write(move_),
        keys: "RW access update @1",
        docs: "generic 1.0.0",
        summary: "Transfers a key from the selected database to another",
        complexity: "O(1)",
        args: "key:key#0 db:integer",
    ),
    // As in Redis 7, the container itself takes no key: its subcommands do.
    cmd!(
        "object", -2, 0, 0, 0, 0, Container(object::SUBCOMMANDS),
        docs: "generic 2.2.3",
        summary: "Container of the commands that inspect how a key's value is kept",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "persist", 2, FAST, 1, 1, 1, Write(persist),
        keys: "RW update @1",
        docs: "generic 2.2.0",
        summary: "Removes a key's expiry",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "pexpire", -3, FAST, 1, 1, 1, Write(pexpire),
        keys: "RW update @1",
        docs: "generic 2.6.0",
        summary: "Makes a key expire after a number of milliseconds",
        complexity: "O(1)",
        history: "7.0.0 The NX, XX, GT and LT conditions were introduced.",
        args: "key:key#0 milliseconds:integer ?condition:oneof@7.0.0(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT)",
    ),
    cmd!(
        "pexpireat", -3, FAST, 1, 1, 1, Write(pexpireat),
        keys: "RW update @1",
        docs: "generic 2.6.0",
        summary: "Makes a key expire at a Unix time in milliseconds",
        complexity: "O(1)",
        history: "7.0.0 The NX, XX, GT and LT conditions were introduced.",
        args: "key:key#0 unix-time-milliseconds:unix-time ?condition:oneof@7.0.0(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT)",
    ),
    cmd!(
        "pexpiretime", 2, FAST | NO_TOUCH, 1, 1, 1, Read(pexpiretime),
        keys: "RO access @1",
        docs: "generic 7.0.0",
        summary: "Gives the Unix time in milliseconds when a key expires",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "pttl", 2, FAST | NO_TOUCH, 1, 1, 1, Read(pttl),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "generic 2.6.0",
        summary: "Gives the milliseconds left before a key expires",
        complexity: "O(1)",
        history: "2.8.0 A missing key answers -2.",
        args: "key:key#0",
    ),
    cmd!(
        "randomkey", 1, RANDOM, 0, 0, 0, Read(randomkey),
        tips: "request_policy:all_shards nondeterministic_output",
        docs: "generic 1.0.0",
        summary: "Gives the name of a key picked at random",
        complexity: "O(1)",
    ),
    cmd!(
        "rename", 3, 0, 1, 2, 1, Write(rename),
        keys: "RW access delete @1; OW update @2",
        docs: "generic 1.0.0",
        summary: "Gives a key another name, replacing any key of that name",
        complexity: "O(1), plus the removal of a replaced key",
        args: "key:key#0 newkey:key#1",
    ),
    cmd!(
        "renamenx", 3, FAST, 1, 2, 1, Write(renamenx),
        keys: "RW access delete @1; OW insert @2",
        docs: "generic 1.0.0",
        summary: "Gives a key another name only when that name is free",
        complexity: "O(1)",
        history: "3.2.0 Renaming a key to its own name is no longer an error.",
        args: "key:key#0 newkey:key#1",
    ),
    cmd!(
        "scan", -2, 0, 0, 0, 0, Read(scan),
        tips: "nondeterministic_output request_policy:special",
        docs: "generic 2.8.0",
        summary: "Walks the database's keys with a cursor",
        complexity: "O(1) per call; O(N) for a whole walk, N being the number of keys",
        history: "6.0.0 The TYPE filter was introduced.",
        args: "cursor:integer ?pattern:pattern=MATCH ?count:integer=COUNT ?type:string=TYPE@6.0.0",
    ),
    cmd!(
        "swapdb", 3, FAST, 0, 0, 0, Write(swapdb),
        docs: "server 4.0.0",
        summary: "Exchanges the contents of two databases",
        complexity: "O(N), N being the clients watching or blocked on keys",
        args: "index1:integer index2:integer",
    ),
    // TOUCH updates Redis's access clock, which the engine does not keep: it only counts.
    cmd!(
        "touch", -2, FAST, 1, -1, 1, Read(exists),
        tips: "request_policy:multi_shard response_policy:agg_sum",
        keys: "RO @1 -1/1/0",
        docs: "generic 3.2.1",
        summary: "Counts the named keys that exist, updating their access time",
        complexity: "O(N), N being the keys named",
        args: "*key:key#0",
    ),
    cmd!(
        "ttl", 2, FAST | NO_TOUCH, 1, 1, 1, Read(ttl),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "generic 1.0.0",
        summary: "Gives the seconds left before a key expires",
        complexity: "O(1)",
        history: "2.8.0 A missing key answers -2.",
        args: "key:key#0",
    ),
    cmd!(
        "type", 2, FAST | NO_TOUCH, 1, 1, 1, Read(type_),
        keys: "RO @1",
        docs: "generic 1.0.0",
        summary: "Names the type of a key's value",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    // UNLINK frees lazily in Redis; here both free at once, which clients cannot tell apart.
    cmd!(
        "unlink", -2, FAST, 1, -1, 1, Write(del),
        tips: "request_policy:multi_shard response_policy:agg_sum",
        keys: "RM delete @1 -1/1/0",
        docs: "generic 4.0.0",
        summary: "Removes keys, freeing their memory without delaying the reply",
        complexity: "O(1) per key; freeing takes O(M) for M elements",
        args: "*key:key#0",
    ),
];

/// DEL and UNLINK: how many of the keys existed (and are now gone).
pub fn del(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let mut removed = 0;
    for key in &argv[1..] {
        if ctx.db().remove(key, now).is_some() {
            ctx.notify(Class::GENERIC, "del", key);
            removed += 1;
        }
    }
    Ok(Reply::Integer(removed))
}

/// EXISTS and TOUCH: count a key once per time it is named.
pub fn exists(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let db = ctx.db();
    let count = argv[1..]
        .iter()
        .filter(|key| db.contains(key, ctx.now_ms))
        .count();
    Ok(Reply::Integer(count as i64))
}

pub fn type_(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let name = ctx
        .db()
        .get(&argv[1], ctx.now_ms)
        .map_or("none", |entry| entry.value.type_name());
    Ok(Reply::Simple(name.to_string()))
}

/// The conditions EXPIRE and friends accept after the time (expire.c's
/// parseExtendedExpireArgumentsOrReply).
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireFlags {
    fn parse(options: &[Vec<u8>]) -> Result<ExpireFlags, Reply> {
        let mut set = [false; 4];
        for option in options {
            let known = ["NX", "XX", "GT", "LT"]
                .iter()
                .position(|name| is(option, name));
            let Some(flag) = known else {
                let text = args::text(option);
                return Err(args::client_error(format!("ERR Unsupported option {text}")));
            };
            set[flag] = true;
        }
        let [nx, xx, gt, lt] = set;
        if nx && (xx || gt || lt) {
            return Err(Reply::error(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if gt && lt {
            return Err(Reply::error(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(ExpireFlags { nx, xx, gt, lt })
    }

    /// Whether the new deadline `when` may replace `current` (None: no deadline, which GT
    /// and LT treat as infinite).
    fn allow(&self, current: Option<i64>, when: i64) -> bool {
        match current {
            Some(current) => {
                !(self.nx || (self.gt && when <= current) || (self.lt && when >= current))
            }
            None => !self.xx && !self.gt,
        }
    }
}

/// The one EXPIRE behind EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (expireGenericCommand): the time
/// is in units of `unit_ms` milliseconds, from now when `relative`, else from the epoch.
/// Negative and past times are allowed: they delete the key (and reply 1). Only overflow is
/// an error.
fn expire_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], unit_ms: i64, relative: bool) -> CmdResult {
    let flags = ExpireFlags::parse(&argv[3..])?;
    let when = int_arg(&argv[2])?;
    // The error names the command as Redis does: argv[0] matched the table's lower-case name.
    let invalid = || args::invalid_expire_time(&args::text(&argv[0]).to_ascii_lowercase());
    let now = ctx.now_ms;
    let base = if relative { clamp_i64(now) } else { 0 };
    let when = when
        .checked_mul(unit_ms)
        .and_then(|when| when.checked_add(base))
        .ok_or_else(invalid)?;
    let key = &argv[1];
    let Some(entry) = ctx.db().get(key, now) else {
        return Ok(Reply::Integer(0));
    };
    if !flags.allow(entry.deadline_ms().map(clamp_i64), when) {
        return Ok(Reply::Integer(0));
    }
    match u64::try_from(when) {
        Ok(deadline) if deadline > now => {
            ctx.db().set_deadline(key, Some(deadline), now);
            ctx.notify(Class::GENERIC, "expire", key);
        }
        _ => {
            ctx.db().remove(key, now);
            ctx.notify(Class::GENERIC, "del", key);
        }
    };
    Ok(Reply::Integer(1))
}

pub fn expire(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, argv, 1000, true)
}

pub fn pexpire(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, argv, 1, true)
}

pub fn expireat(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, argv, 1000, false)
}

pub fn pexpireat(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, argv, 1, false)
}

/// Deadlines and times are below i64::MAX in practice; saturate rather than wrap otherwise.
fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The one TTL behind TTL, PTTL, EXPIRETIME, PEXPIRETIME (ttlGenericCommand): -2 for a missing
/// key, -1 for a key without deadline; else the time left when `relative` (the deadline
/// otherwise) in units of `unit_ms`, rounded to nearest as Redis does.
fn ttl_generic(ctx: &ReadCtx, argv: &[Vec<u8>], unit_ms: i64, relative: bool) -> CmdResult {
    let Some(entry) = ctx.db().get(&argv[1], ctx.now_ms) else {
        return Ok(Reply::Integer(-2));
    };
    let Some(deadline) = entry.deadline_ms() else {
        return Ok(Reply::Integer(-1));
    };
    let base = if relative { ctx.now_ms } else { 0 };
    let value = clamp_i64(deadline.saturating_sub(base));
    Ok(Reply::Integer(value.saturating_add(unit_ms / 2) / unit_ms))
}

pub fn ttl(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    ttl_generic(ctx, argv, 1000, true)
}

pub fn pttl(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    ttl_generic(ctx, argv, 1, true)
}

pub fn expiretime(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    ttl_generic(ctx, argv, 1000, false)
}

pub fn pexpiretime(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    ttl_generic(ctx, argv, 1, false)
}

/// PERSIST: 1 if a deadline was removed, 0 if the key is missing or had none.
pub fn persist(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let now = ctx.now_ms;
    let db = ctx.db();
    let had_deadline = db
        .get(&argv[1], now)
        .is_some_and(|entry| entry.deadline_ms().is_some());
    if had_deadline {
        db.set_deadline(&argv[1], None, now);
        ctx.notify(Class::GENERIC, "persist", &argv[1]);
    }
    Ok(Reply::Integer(i64::from(had_deadline)))
}

/// KEYS pattern, in keyspace order (the same on every replica). Redis short-cuts a lone `*`
/// (which its matcher would not even match against the empty key).
pub fn keys(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let pattern = &argv[1];
    let all = pattern == b"*";
    let found = ctx
        .db()
        .iter_from(0, ctx.now_ms)
        .filter(|(key, _)| all || glob_match(pattern, key.bytes()))
        .map(|(key, _)| Reply::bulk(key.bytes()))
        .collect();
    Ok(Reply::Array(found))
}

/// SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]. The cursor is the key hash to resume from,
/// so a key that exists throughout a scan is returned exactly once. A call visits about
/// COUNT keys but always finishes the group of keys that share the last hash, so the next
/// cursor is strictly greater and every call makes progress; 0 means the scan is over.
pub fn scan(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
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

/// The one RENAME behind RENAME and RENAMENX (renameGenericCommand): the value moves with
/// its deadline. A destination that exists is deleted first, so the key is new there (Redis
/// notifies "new" for it too).
fn rename_generic(ctx: &mut WriteCtx, argv: &[Vec<u8>], nx: bool) -> CmdResult {
    let (from, to) = (&argv[1], &argv[2]);
    let now = ctx.now_ms;
    let db = ctx.db();
    if !db.contains(from, now) {
        return Err(Reply::error("ERR no such key"));
    }
    let done = if nx { Reply::Integer(1) } else { Reply::ok() };
    if from == to {
        return Ok(if nx { Reply::Integer(0) } else { done });
    }
    if nx && db.contains(to, now) {
        return Ok(Reply::Integer(0));
    }
    if let Some(entry) = db.remove(from, now) {
        db.remove(to, now);
        db.insert(to, entry, now);
        ctx.notify(Class::GENERIC, "rename_from", from);
        ctx.notify(Class::GENERIC, "rename_to", to);
        ctx.changed(1);
    }
    Ok(done)
}

pub fn rename(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    rename_generic(ctx, argv, false)
}

pub fn renamenx(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    rename_generic(ctx, argv, true)
}

/// RANDOMKEY: the first live key at or after the hash `seed`, wrapping around; Nil when the
/// database is empty. The seed comes from the caller, so replicas given the same seed agree.
pub fn randomkey(ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    let db = ctx.db();
    let now = ctx.now_ms;
    let key = db
        .iter_from(ctx.seed, now)
        .next()
        .or_else(|| db.iter_from(0, now).next());
    Ok(key.map_or(Reply::Nil, |(key, _)| Reply::bulk(key.bytes())))
}

pub fn dbsize(ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(ctx.db().len(ctx.now_ms) as i64))
}

/// FLUSHDB / FLUSHALL accept nothing, ASYNC or SYNC; both free at once here.
fn flush_mode(argv: &[Vec<u8>]) -> Result<(), Reply> {
    match argv {
        [_] => Ok(()),
        [_, mode] if is(mode, "ASYNC") || is(mode, "SYNC") => Ok(()),
        _ => Err(syntax_error()),
    }
}

/// FLUSHDB [ASYNC|SYNC]: counts a change per key removed, as Redis does.
pub fn flushdb(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    flush_mode(argv)?;
    let removed = ctx.db().stored_len();
    ctx.db().clear();
    ctx.changed(removed as u64);
    Ok(Reply::ok())
}

/// FLUSHALL [ASYNC|SYNC]: counts a change per key removed, as Redis does.
pub fn flushall(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    flush_mode(argv)?;
    let removed: usize = ctx.keyspace.dbs.iter().map(Db::stored_len).sum();
    ctx.keyspace.dbs.iter_mut().for_each(Db::clear);
    ctx.changed(removed as u64);
    Ok(Reply::ok())
}

/// A database index argument as getIntFromObjectOrReply reads it (an integer that fits a C
/// int), or the error line `not_int`.
fn db_int(arg: &[u8], not_int: &str) -> Result<i64, Reply> {
    args::parse_i64(arg)
        .filter(|id| i32::try_from(*id).is_ok())
        .ok_or_else(|| Reply::error(not_int))
}

/// selectDb's range check.
fn db_in_range(id: i64) -> Result<usize, Reply> {
    usize::try_from(id)
        .ok()
        .filter(|id| *id < crate::DATABASES)
        .ok_or_else(|| Reply::error("ERR DB index is out of range"))
}

/// A database index argument of COPY or MOVE (see [`args::db_index`]).
fn db_index(arg: &[u8]) -> Result<usize, Reply> {
    args::db_index(arg, crate::DATABASES)
}

const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// COPY source destination [DB index] [REPLACE]: the value and its deadline (a destination
/// replaced is deleted first, so the key is new there, as in Redis).
pub fn copy(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let mut replace = false;
    let mut dst = ctx.db;
    let mut options = Args::new(argv, 3);
    while let Some(option) = options.next_arg() {
        if is(option, "REPLACE") {
            replace = true;
        } else if is(option, "DB") {
            dst = db_index(options.bytes()?)?;
        } else {
            return Err(syntax_error());
        }
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
    target.remove(newkey, now);
    target.insert(newkey, entry, now);
    ctx.keyspace.notify(dst, Class::GENERIC, "copy_to", newkey);
    Ok(Reply::Integer(1))
}

/// MOVE key db: moves the key (with its deadline) unless the target holds it already.
pub fn move_(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let dst = db_index(&argv[2])?;
    if dst == ctx.db {
        return Err(Reply::error(SAME_OBJECT));
    }
    let now = ctx.now_ms;
    let key = &argv[1];
    if ctx.db().get_mut(key, now).is_none() || ctx.keyspace.dbs[dst].get_mut(key, now).is_some() {
        return Ok(Reply::Integer(0));
    }
    let entry = ctx.db().remove(key, now).expect("live key");
    ctx.keyspace.dbs[dst].insert(key, entry, now);
    ctx.notify(Class::GENERIC, "move_from", key);
    ctx.keyspace.notify(dst, Class::GENERIC, "move_to", key);
    ctx.changed(1);
    Ok(Reply::Integer(1))
}

/// SWAPDB index1 index2: the two databases trade their whole contents, deadlines included.
pub fn swapdb(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let first = db_int(&argv[1], "ERR invalid first DB index")?;
    let second = db_int(&argv[2], "ERR invalid second DB index")?;
    let (first, second) = (db_in_range(first)?, db_in_range(second)?);
    ctx.keyspace.swap_dbs(first, second);
    ctx.changed(1);
    Ok(Reply::ok())
}
