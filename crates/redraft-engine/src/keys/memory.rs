//! MEMORY (object.c's memoryCommand): a container. USAGE and HELP are reads of the replica;
//! STATS, DOCTOR, MALLOC-STATS and PURGE describe the node's process and allocator, so its
//! server answers them (with the dataset figures of [`dataset_estimate`]).
//!
//! How USAGE estimates a key, in redraft's own representation (not Redis's): the key's share of
//! its database's B-tree (its slot, 56 bytes, over the two-thirds fill of an average node), the
//! key's bytes, and for a deadline its entry in the deadline index (a slot and a copy of the
//! key); then the value: a string's buffer; a compact collection's single buffer (exact); a
//! large one as its element count times the average cost of its first `samples` elements (each
//! element's bytes plus its slot in the structure that holds it), as Redis samples nested
//! values. Every allocation is rounded up to jemalloc's size class.

use crate::keymap::{Slot, INLINE_KEY};
use crate::keyspace::{Entry, HashedKey, Keyspace, Value};
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Session},
    ReadCtx, NO_TOUCH,
};
use crate::stream::value::StreamValue;
use crate::{args, DATABASES};

/// MEMORY's subcommands, with the arity and key positions Redis 7's COMMAND reports.
pub(super) static SUBCOMMANDS: &[CommandSpec] = &[
    cmd!(
        "memory|doctor", 2, 0, 0, 0, 0, Session,
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        docs: "server 4.0.0",
        summary: "Reports memory problems in prose",
        complexity: "O(1)",
    ),
    cmd!(
        "memory|help", 2, 0, 0, 0, 0, Read(memory_help),
        flags: "loading stale",
        docs: "server 4.0.0",
        summary: "Lists MEMORY's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "memory|malloc-stats", 2, 0, 0, 0, 0, Session,
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        docs: "server 4.0.0",
        summary: "Gives the memory allocator's own statistics",
        complexity: "Up to the allocator",
    ),
    cmd!(
        "memory|purge", 2, 0, 0, 0, 0, Session,
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "server 4.0.0",
        summary: "Has the allocator return unused pages to the system",
        complexity: "Up to the allocator",
    ),
    cmd!(
        "memory|stats", 2, 0, 0, 0, 0, Session,
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        docs: "server 4.0.0",
        summary: "Reports how the server uses memory",
        complexity: "O(1)",
    ),
    cmd!(
        "memory|usage", -3, NO_TOUCH, 2, 2, 1, Read(memory_usage),
        keys: "RO @2",
        docs: "server 4.0.0",
        summary: "Estimates the bytes a key and its value take",
        complexity: "O(N), N being the elements sampled",
        args: "key:key#0 ?count:integer=SAMPLES",
    ),
];

/// Redis's default for SAMPLES.
const DEFAULT_SAMPLES: usize = 5;
/// A B-tree node is about two-thirds full on average: each slot costs half as much again.
fn tree_share(slot_bytes: usize) -> usize {
    slot_bytes * 3 / 2
}

/// The bytes jemalloc hands out for a request of `bytes`: 8, then steps of 16 up to 128, then
/// four size classes per doubling.
pub fn allocated(bytes: usize) -> usize {
    match bytes {
        0 => 0,
        1..=8 => 8,
        9..=128 => bytes.div_ceil(16) * 16,
        _ => {
            let power = usize::BITS - 1 - (bytes - 1).leading_zeros();
            let step = 1usize << (power - 2);
            bytes.div_ceil(step) * step
        }
    }
}

/// MEMORY USAGE key [SAMPLES count]: the key's estimated bytes, nil for a missing key. Not an
/// access to the key, as in Redis.
pub fn memory_usage(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut options = argv[3..].chunks(2);
    for option in &mut options {
        match option {
            [name, count] if args::is(name, "SAMPLES") => {
                let count = args::int_arg(count)?;
                samples = match usize::try_from(count) {
                    Ok(0) => usize::MAX,
                    Ok(count) => count,
                    Err(_) => return Err(args::syntax_error()),
                };
            }
            _ => return Err(args::syntax_error()),
        }
    }
    let Some(entry) = ctx.db().get(&argv[2], ctx.now_ms) else {
        return Ok(Reply::Nil);
    };
    Ok(Reply::count(key_bytes(&argv[2], entry, samples)))
}

/// What any key costs its database besides its bytes and value, and what a deadline costs the
/// deadline index besides its copy of the key: the overheads MEMORY STATS reports as the main
/// and expires "hash tables". A key: its share of the tree (a hash and a pointer) and its slot
/// (a short key's bytes, the entry and its access clock; see `keymap`).
pub fn slot_overheads() -> (usize, usize) {
    let tree_slot = std::mem::size_of::<u64>() + std::mem::size_of::<Box<Slot<Entry>>>();
    let key = tree_share(tree_slot) + allocated(std::mem::size_of::<Slot<Entry>>());
    let deadline = tree_share(std::mem::size_of::<(u64, HashedKey)>());
    (key, deadline)
}

/// The estimated bytes of one key and its value (see the module's documentation).
pub fn key_bytes(key: &[u8], entry: &Entry, samples: usize) -> usize {
    let (slot, deadline_slot) = slot_overheads();
    let mut bytes = slot;
    if key.len() > INLINE_KEY {
        bytes += allocated(key.len());
    }
    if entry.deadline_ms().is_some() {
        bytes += deadline_slot + allocated(key.len());
    }
    bytes + value_bytes(&entry.value, samples.max(1))
}

/// `len` elements costing on average what the sampled ones cost (`sampled`: their count and
/// total bytes).
fn extrapolate(len: usize, (count, total): (usize, usize)) -> usize {
    match count {
        0 => 0,
        count => (total as f64 / count as f64 * len as f64) as usize,
    }
}

/// The count and total bytes of the first `samples` of `costs`.
fn sample(costs: impl Iterator<Item = usize>, samples: usize) -> (usize, usize) {
    costs
        .take(samples)
        .fold((0, 0), |(count, total), cost| (count + 1, total + cost))
}

fn value_bytes(value: &Value, samples: usize) -> usize {
    match value {
        Value::String(bytes) => allocated(bytes.capacity()),
        Value::List(list) => allocated(list.heap_bytes()),
        Value::Hash(hash) => hash.listpack_bytes().map_or_else(
            || {
                let slot = tree_share(std::mem::size_of::<((u64, Vec<u8>), Vec<u8>)>());
                let costs = hash
                    .iter()
                    .map(|(field, value)| slot + allocated(field.len()) + allocated(value.len()));
                extrapolate(hash.len(), sample(costs, samples))
            },
            allocated,
        ),
        Value::Set(set) => set.compact_bytes().map_or_else(
            || {
                let slot = tree_share(std::mem::size_of::<(u64, Vec<u8>)>());
                let costs = set.iter().map(|member| slot + allocated(member.len()));
                allocated(std::mem::size_of_val(&**set))
                    + extrapolate(set.len(), sample(costs, samples))
            },
            |bytes| allocated(std::mem::size_of_val(&**set)) + allocated(bytes),
        ),
        Value::ZSet(zset) => zset.compact_bytes().map_or_else(
            || {
                // A tree node (score, member, priority, size, two links) and a slot in the
                // member index (a second copy of the member) per member.
                let node = allocated(8 + 16 + 8 + 8 + 16);
                let index_slot = tree_share(std::mem::size_of::<((u64, Vec<u8>), f64)>());
                let costs = zset
                    .iter_from(0)
                    .map(|(_, member)| node + index_slot + 2 * allocated(member.len()));
                extrapolate(zset.len(), sample(costs, samples))
            },
            allocated,
        ),
        Value::Stream(stream) => {
            allocated(std::mem::size_of::<StreamValue>()) + stream_bytes(stream, samples)
        }
    }
}

/// A stream: its entries (sampled), its nodes, and its consumer groups (a fixed cost per
/// pending entry and per consumer).
fn stream_bytes(stream: &StreamValue, samples: usize) -> usize {
    let entry_slot = tree_share(16 + std::mem::size_of::<Vec<Vec<u8>>>());
    let costs = stream.entries.values().map(|fields| {
        let items: usize = fields.iter().map(|item| allocated(item.len())).sum();
        entry_slot + allocated(fields.len() * std::mem::size_of::<Vec<u8>>()) + items
    });
    let entries = extrapolate(stream.entries.len(), sample(costs, samples));
    let nodes = stream.nodes.len() * tree_share(16 + 64);
    let groups: usize = stream
        .groups
        .iter()
        .map(|(name, group)| {
            let pending = group.pel.len() * (tree_share(16 + 40) + tree_share(16));
            let consumers: usize = group
                .consumers
                .keys()
                .map(|consumer| tree_share(24 + 32) + allocated(consumer.len()))
                .sum();
            tree_share(24 + 64) + allocated(name.len()) + pending + consumers
        })
        .sum();
    entries + nodes + groups
}

/// What MEMORY STATS and MEMORY DOCTOR tell of the data: keys per database, and an estimate of
/// the bytes the keys take.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatasetEstimate {
    /// (database, keys, keys with a deadline) for each database holding keys.
    pub dbs: Vec<(usize, usize, usize)>,
    pub keys: usize,
    /// The estimated bytes of all keys: the sampled keys' average times the key count.
    pub bytes: usize,
    /// How many keys the estimate measured.
    pub sampled: usize,
    /// The bytes of the scripts' bodies in the script cache.
    pub scripts_bytes: usize,
    /// The bytes of the function libraries' code.
    pub functions_bytes: usize,
}

/// Estimates the dataset from at most `sample_keys` keys of each database: a database's keys in
/// the keyspace's order (by a hash of the key) are a fair sample of it. Bounded, so that it
/// holds the replica's read lock briefly whatever the size of the keyspace.
pub fn dataset_estimate(keyspace: &Keyspace, now_ms: u64, sample_keys: usize) -> DatasetEstimate {
    let mut estimate = DatasetEstimate::default();
    for (index, db) in keyspace.dbs.iter().enumerate().take(DATABASES) {
        let keys = db.len(now_ms);
        if keys == 0 {
            continue;
        }
        estimate.dbs.push((index, keys, db.expiring_len(now_ms)));
        let costs = db
            .iter_from(0, now_ms)
            .map(|(key, entry)| key_bytes(key.bytes(), entry, DEFAULT_SAMPLES));
        let sampled = sample(costs, sample_keys);
        estimate.keys += keys;
        estimate.sampled += sampled.0;
        estimate.bytes += extrapolate(keys, sampled);
    }
    estimate.scripts_bytes = keyspace.scripts.bodies().map(<[u8]>::len).sum();
    let libraries = keyspace.functions.iter();
    estimate.functions_bytes = libraries.map(|(_, library)| library.code.len()).sum();
    estimate
}

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    A report in words on this node's memory.",
    "MALLOC-STATS",
    "    The allocator's own statistics report for this node (jemalloc's).",
    "PURGE",
    "    Asks the allocator to hand this node's unused pages back to the system.",
    "STATS",
    "    Figures on this node's memory: the allocator's, the process's and the dataset's.",
    "USAGE <key> [SAMPLES <count>]",
    "    The estimated bytes <key> and its value take. Large values are estimated from",
    "    <count> of their elements (5 unless given; 0: all of them).",
    "HELP",
    "    This text.",
];

/// MEMORY HELP
pub fn memory_help(_ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::help(HELP))
}
