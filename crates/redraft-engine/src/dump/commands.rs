//! DUMP and RESTORE (cluster.c's dumpCommand/restoreCommand).

use super::{deserialize, serialize, BUSYKEY};
use crate::args::{int_arg, is, syntax_error, Args};
use crate::keyspace::Entry;
use crate::notify::Class;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM,
};
use crate::spec::{ReadCtx, WriteCtx};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "dump", 2, 0, 1, 1, 1, Read(dump),
        tips: "nondeterministic_output",
        keys: "RO access @1",
        docs: "generic 2.6.0",
        summary: "Serializes a key's value in the portable DUMP format",
        complexity: "O(1) to find the key, then O(N*M): N elements of M bytes on average",
        args: "key:key#0",
    ),
    cmd!(
        "restore", -4, DENYOOM, 1, 1, 1, Write(restore),
        keys: "OW update @1",
        docs: "generic 2.6.0",
        summary: "Creates a key from a value serialized by DUMP",
        complexity: "O(1) to create the key, then O(N*M) to rebuild the value; sorted sets add a log(N) factor",
        history: "3.0.0 REPLACE was introduced.; 5.0.0 ABSTTL was introduced.; 5.0.0 IDLETIME and FREQ were introduced.",
        args: "key:key#0 ttl:integer serialized-value:string ?replace:pure-token=REPLACE@3.0.0 ?absttl:pure-token=ABSTTL@5.0.0 ?seconds:integer=IDLETIME@5.0.0 ?frequency:integer=FREQ@5.0.0",
    ),
];

pub fn dump(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(match ctx.db().get(&argv[1], ctx.now_ms) {
        None => Reply::Nil,
        Some(entry) => Reply::bulk(serialize(&entry.value)),
    })
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], checking in Redis's
/// order: options, an existing key, the TTL, the payload. IDLETIME and FREQ are validated and
/// otherwise ignored (no LRU/LFU here).
pub fn restore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let mut replace = false;
    let mut absttl = false;
    let mut idle = false;
    let mut freq = false;
    let mut args = Args::new(argv, 4);
    while let Some(opt) = args.next_arg() {
        let more = !args.is_empty();
        if is(opt, "REPLACE") {
            replace = true;
        } else if is(opt, "ABSTTL") {
            absttl = true;
        } else if is(opt, "IDLETIME") && more && !freq {
            if args.int()? < 0 {
                return Err(Reply::error("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = true;
        } else if is(opt, "FREQ") && more && !idle {
            if !(0..=255).contains(&args.int()?) {
                return Err(Reply::error(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = true;
        } else {
            return Err(syntax_error());
        }
    }
    let key = &argv[1];
    let now = ctx.now_ms;
    if !replace && ctx.db().contains(key, now) {
        return Err(Reply::error(BUSYKEY));
    }
    let ttl = int_arg(&argv[2])?;
    if ttl < 0 {
        return Err(Reply::error("ERR Invalid TTL value, must be >= 0"));
    }
    let limits = ctx.keyspace.encoding;
    let value = deserialize(&argv[3], &limits).map_err(|error| error.reply())?;
    let replaced = replace && ctx.db().remove(key, now).is_some();
    let deadline = match ttl {
        0 => None,
        ttl if absttl => Some(ttl as u64),
        // Redis adds the time in a signed 64-bit integer; a sum past its range wraps to a
        // time long past, so the key expires at once (0 here).
        ttl => Some(
            i64::try_from(now)
                .ok()
                .and_then(|now| ttl.checked_add(now))
                .map_or(0, |at| at as u64),
        ),
    };
    // A deadline already past: the key is gone (deleted above with REPLACE), as in Redis.
    if deadline.is_some_and(|deadline| deadline <= now) {
        if replaced {
            ctx.notify(Class::GENERIC, "del", key);
        }
        return Ok(Reply::ok());
    }
    ctx.db().insert(key, Entry::new(value, deadline), now);
    ctx.notify(Class::GENERIC, "restore", key);
    Ok(Reply::ok())
}
