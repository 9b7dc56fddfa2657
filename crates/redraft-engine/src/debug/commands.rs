//! DEBUG's table entries, and its subcommands that read the keyspace.

use super::digest;
use crate::dump::serialize;
use crate::keys::object::{encoding_of, refcount};
use crate::keyspace::{Entry, Value};
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Container, Read, Session},
    ReadCtx, ADMIN, NOSCRIPT, PROTECTED, SUBCOMMAND_SYNTAX,
};

/// Redis's flags for DEBUG (admin, noscript), PROTECTED (`enable-debug-command`), and Redis's
/// one error line for a subcommand it does not know and one with the wrong arity.
const FLAGS: u32 = ADMIN | NOSCRIPT | PROTECTED | SUBCOMMAND_SYNTAX;

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[cmd!(
    "debug", -2, FLAGS, 0, 0, 0, Container(DEBUG),
    // A container shows no flags of its own; Redis's DEBUG is one command, with these.
    flags: "admin noscript loading stale",
    docs: "server 1.0.0 syscmd",
    summary: "Container of the debugging and testing commands",
    complexity: "Given by each subcommand",
)];

/// DEBUG's subcommands: the engine's reads of the keyspace, and the node's (Session), which
/// the server answers (crates/redraft-server/src/debug.rs).
static DEBUG: &[CommandSpec] = &[
    cmd!(
        "debug|change-repl-id", 2, FLAGS, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Changes the node's replication id",
        complexity: "O(1)",
    ),
    cmd!(
        "debug|digest", 2, FLAGS, 0, 0, 0, Read(debug_digest),
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Gives a digest of the whole dataset",
        complexity: "O(N), N being the number of keys",
    ),
    cmd!(
        "debug|digest-value", -2, FLAGS, 2, -1, 1, Read(debug_digest_value),
        flags: "loading stale",
        keys: "RO access @2 -1/1/0",
        docs: "server 1.0.0",
        summary: "Gives a digest of each named key's value",
        complexity: "O(N) in the size of the values",
    ),
    cmd!(
        "debug|help", 2, FLAGS, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Lists DEBUG's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "debug|listpack", 3, FLAGS, 2, 2, 1, Read(debug_listpack),
        flags: "loading stale",
        keys: "RO access @2",
        docs: "server 1.0.0",
        summary: "Describes the compact encoding of a key's value",
        complexity: "O(N) in the value's size",
    ),
    cmd!(
        "debug|object", 3, FLAGS, 2, 2, 1, Read(debug_object),
        flags: "loading stale",
        keys: "RO access @2",
        docs: "server 1.0.0",
        summary: "Describes how a key's value is held in memory",
        complexity: "O(1)",
    ),
    cmd!(
        "debug|protocol", 3, FLAGS, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Replies with a value of a chosen protocol type, to test clients",
        complexity: "O(1)",
    ),
    cmd!(
        "debug|quicklist-packed-threshold", 3, FLAGS, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Sets the size above which a list element is stored on its own",
        complexity: "O(1)",
    ),
    cmd!(
        "debug|reload", -2, FLAGS, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Takes a snapshot and loads it back in place of the dataset",
        complexity: "O(N), N being the number of keys",
    ),
    cmd!(
        "debug|set-active-expire", 3, FLAGS, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Turns the background expiry of keys on or off",
        complexity: "O(1)",
    ),
    cmd!(
        "debug|sleep", 3, FLAGS, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Makes the server wait for a number of seconds",
        complexity: "O(1)",
    ),
];

const NO_SUCH_KEY: &str = "ERR no such key";

/// Redis's fields after the encoding: `serializedlength` is the length of the value's RDB
/// form (DUMP's payload without its type byte, version and checksum); `lru` and
/// `lru_seconds_idle` are 0 (the node's access clocks are OBJECT IDLETIME's and FREQ's).
const DUMP_FRAMING_BYTES: usize = 1 + 2 + 8;

/// Redis 7.0's list-max-listpack-size default, which DEBUG OBJECT reports as ql_listpack_max
/// (redraft's nodes have bounds of their own: 128 items, 8 KiB).
const QL_LISTPACK_MAX: i64 = -2;

/// DEBUG OBJECT key: Redis's one status line about the value. There is no address to show
/// (`Value at:0x0`).
pub fn debug_object(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let entry = ctx
        .db()
        .get(&argv[2], ctx.now_ms)
        .ok_or_else(|| Reply::error(NO_SUCH_KEY))?;
    let serialized = serialize(&entry.value)
        .len()
        .saturating_sub(DUMP_FRAMING_BYTES);
    let mut line = format!(
        "Value at:0x0 refcount:{} encoding:{} serializedlength:{serialized} lru:0 lru_seconds_idle:0",
        refcount(entry),
        encoding_of(entry),
    );
    if let Value::List(list) = &entry.value {
        let (nodes, bytes) = list.node_stats();
        let average = list.len() as f64 / nodes.max(1) as f64;
        line.push_str(&format!(
            " ql_nodes:{nodes} ql_avg_node:{average:.2} ql_listpack_max:{QL_LISTPACK_MAX} \
             ql_compressed:0 ql_uncompressed_size:{bytes}"
        ));
    }
    Ok(Reply::Simple(line))
}

/// DEBUG DIGEST: the whole dataset's digest (see [`digest::of_keyspace`]).
pub fn debug_digest(ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Simple(digest::hex(&digest::of_keyspace(
        ctx.keyspace,
    ))))
}

/// DEBUG DIGEST-VALUE [key ...]: each value's digest; zeros for a key that holds none. A key
/// whose deadline passed and that is still stored counts, as in Redis (see
/// [`digest::of_keyspace`]).
pub fn debug_digest_value(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let digests = argv[2..]
        .iter()
        .map(|key| stored(ctx, key))
        .map(|entry| Reply::Simple(digest::hex(&digest::of_entry(entry))))
        .collect();
    Ok(Reply::Array(digests))
}

/// The entry stored at `key`, live or past its deadline.
fn stored<'a>(ctx: &'a ReadCtx, key: &[u8]) -> Option<&'a Entry> {
    // A deadline is never at or before 0, so every stored entry is live at time 0.
    ctx.db().get(key, 0)
}

/// DEBUG LISTPACK key: Redis prints a listpack's structure on its standard output; redraft
/// prints nothing and answers as Redis does (its compact hashes and sorted sets are what
/// Redis's listpacks are).
pub fn debug_listpack(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let entry = ctx
        .db()
        .get(&argv[2], ctx.now_ms)
        .ok_or_else(|| Reply::error(NO_SUCH_KEY))?;
    if encoding_of(entry) != "listpack" {
        return Err(Reply::error("ERR Not a listpack encoded object."));
    }
    Ok(Reply::Simple("Listpack structure printed on stdout".into()))
}
