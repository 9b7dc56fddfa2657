//! OBJECT (object.c): a container command, so the table's dispatcher answers unknown
//! subcommands and wrong arities with Redis's lines. IDLETIME and FREQ read this node's access
//! clocks (access.rs), as the maxmemory-policy asks: IDLETIME under an LRU policy (or none),
//! FREQ under an LFU one. OBJECT itself is no access to the key, as in Redis.

use crate::access::Lfu;
use crate::args;
use crate::keyspace::{Entry, Value};
use crate::maxmemory::is_lfu;
use crate::reply::{CmdResult, Reply};
use crate::spec::ReadCtx;
use crate::spec::{cmd, CommandSpec, Kind::Read, NODE_LOCAL, NO_TOUCH};

/// OBJECT's subcommands, with the arity and key positions Redis 7's COMMAND reports.
pub(super) static SUBCOMMANDS: &[CommandSpec] = &[
    cmd!(
        "object|encoding", 3, NO_TOUCH, 2, 2, 1, Read(object_encoding),
        tips: "nondeterministic_output",
        keys: "RO @2",
        docs: "generic 2.2.3",
        summary: "Names the internal encoding of a key's value",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "object|freq", 3, NO_TOUCH | NODE_LOCAL, 2, 2, 1, Read(object_freq),
        tips: "nondeterministic_output",
        keys: "RO @2",
        docs: "generic 4.0.0",
        summary: "Gives the access-frequency counter of a key",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "object|help", 2, 0, 0, 0, 0, Read(object_help),
        flags: "loading stale",
        docs: "generic 6.2.0",
        summary: "Lists OBJECT's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "object|idletime", 3, NO_TOUCH | NODE_LOCAL, 2, 2, 1, Read(object_idletime),
        tips: "nondeterministic_output",
        keys: "RO @2",
        docs: "generic 2.2.3",
        summary: "Gives the seconds since a key was last accessed",
        complexity: "O(1)",
        args: "key:key#0",
    ),
    cmd!(
        "object|refcount", 3, NO_TOUCH, 2, 2, 1, Read(object_refcount),
        tips: "nondeterministic_output",
        keys: "RO @2",
        docs: "generic 2.2.3",
        summary: "Gives the reference count of a key's value",
        complexity: "O(1)",
        args: "key:key#0",
    ),
];

/// Redis's OBJ_SHARED_REFCOUNT: the refcount OBJECT REFCOUNT reports for a shared integer.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis's OBJ_SHARED_INTEGERS: integer strings below this are shared objects.
const SHARED_INTEGERS: i64 = 10_000;
/// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
const EMBSTR_SIZE_LIMIT: usize = 44;

/// The integer a string value is stored as when Redis's tryObjectEncoding would store it as
/// one: up to 20 characters that string2ll accepts.
fn as_integer(bytes: &[u8]) -> Option<i64> {
    (bytes.len() <= 20)
        .then(|| args::parse_i64(bytes))
        .flatten()
}

/// The OBJECT ENCODING of a string value, judged from its bytes as Redis's tryObjectEncoding
/// judges a value written by SET: "int" for an integer of up to 20 characters, "embstr" up
/// to 44 bytes, "raw" beyond. A string built in place is "raw" whatever its bytes (see
/// [`encoding_of`]).
pub fn string_encoding(bytes: &[u8]) -> &'static str {
    if as_integer(bytes).is_some() {
        "int"
    } else if bytes.len() <= EMBSTR_SIZE_LIMIT {
        "embstr"
    } else {
        "raw"
    }
}

/// OBJECT ENCODING's name for a key's entry: "raw" for a string built in place by APPEND,
/// SETRANGE, SETBIT, BITFIELD, BITOP, PFADD or PFMERGE, as Redis reports it.
pub fn encoding_of(entry: &Entry) -> &'static str {
    if entry.is_raw_string() {
        "raw"
    } else {
        encoding_name(&entry.value)
    }
}

/// OBJECT ENCODING's name for any value, as a fresh value of its kind.
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

/// What every OBJECT subcommand with a key shares: Nil for a missing key, `answer` otherwise.
fn of_key(ctx: &ReadCtx, argv: &[Vec<u8>], answer: impl FnOnce(&Entry) -> CmdResult) -> CmdResult {
    match ctx.db().get(&argv[2], ctx.now_ms) {
        None => Ok(Reply::Nil),
        Some(entry) => answer(entry),
    }
}

/// OBJECT ENCODING key
pub fn object_encoding(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    of_key(ctx, argv, |entry| Ok(Reply::bulk(encoding_of(entry))))
}

/// OBJECT REFCOUNT key: small integer strings are Redis's shared objects (not one built in
/// place, which is a private "raw" string).
pub fn object_refcount(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    of_key(ctx, argv, |entry| Ok(Reply::Integer(refcount(entry))))
}

/// The refcount Redis would report for the value (OBJECT REFCOUNT, DEBUG OBJECT).
pub(crate) fn refcount(entry: &Entry) -> i64 {
    let shared = match &entry.value {
        Value::String(bytes) if !entry.is_raw_string() => {
            as_integer(bytes).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n))
        }
        _ => false,
    };
    if shared {
        SHARED_REFCOUNT
    } else {
        1
    }
}

/// OBJECT IDLETIME key: seconds since this node last accessed the key (a read served here, or
/// a write applied here), under any policy but the LFU ones.
pub fn object_idletime(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    of_key(ctx, argv, |entry| {
        if is_lfu(ctx.keyspace.encoding.maxmemory_policy) {
            return Err(Reply::error(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note \
                 that when switching between policies at runtime LRU and LFU data will take \
                 some time to adjust.",
            ));
        }
        let idle_ms = entry.clock.idle_ms(&ctx.keyspace.access, ctx.now_ms);
        Ok(Reply::Integer((idle_ms / 1000) as i64))
    })
}

/// OBJECT FREQ key: the key's logarithmic access counter on this node, under an LFU policy.
pub fn object_freq(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    of_key(ctx, argv, |entry| {
        let config = &ctx.keyspace.encoding;
        if !is_lfu(config.maxmemory_policy) {
            return Err(Reply::error(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                 Please note that when switching between policies at runtime LRU and LFU data \
                 will take some time to adjust.",
            ));
        }
        let lfu = Lfu {
            log_factor: config.lfu_log_factor,
            decay_minutes: config.lfu_decay_time,
        };
        let counter = entry.clock.frequency(&ctx.keyspace.access, ctx.now_ms, lfu);
        Ok(Reply::Integer(i64::from(counter)))
    })
}

const HELP: &[&str] = &[
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

/// OBJECT HELP
pub fn object_help(_ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    let lines = HELP.iter().map(|line| Reply::Simple((*line).into()));
    Ok(Reply::Array(lines.collect()))
}
