//! The replicated configuration: the thresholds at which small collections leave their compact
//! encodings (Redis's hash-max-listpack-*, set-max-intset-entries, zset-max-listpack-*,
//! hll-sparse-max-bytes), the other data-structure parameters of Redis 7.0 (list-*, stream-node-*,
//! accepted and kept, see docs/operations.md), the limits of a script (redraft's own
//! lua-max-instructions and lua-max-memory), which keyspace notifications are published
//! (notify-keyspace-events), and the memory parameters (maxmemory, maxmemory-policy,
//! maxmemory-samples, lfu-log-factor, lfu-decay-time: stored and replicated so that every node
//! reports the same policy; keys are not evicted yet).
//!
//! They decide conversions, where a script stops, and which messages an entry publishes, which
//! every replica must decide at the same entry, so they are part of the state: `CONFIG SET` of
//! one of them is a write that goes through the log, and they travel in snapshots. Conversions
//! are judged when a value is written, as in Redis: lowering a threshold converts nothing until
//! the next write to each value.

use crate::args::{self, is};
use crate::glob::glob_match;
use crate::maxmemory::{parse_policy, show_memory, show_policy, NOEVICTION};
use crate::notify::{parse_classes, show_classes};
use crate::reply::Reply;

/// The conversion thresholds, with Redis 7.0's defaults, the limits of a script, and the
/// classes of keyspace notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodingConfig {
    /// A hash with more fields than this becomes a hash table.
    pub hash_max_listpack_entries: u64,
    /// A hash field or value longer than this (bytes) makes the hash a hash table.
    pub hash_max_listpack_value: u64,
    /// An intset with more members than this becomes a hash table.
    pub set_max_intset_entries: u64,
    /// A sorted set with more members than this leaves the listpack.
    pub zset_max_listpack_entries: u64,
    /// A sorted-set member longer than this (bytes) makes the set leave the listpack.
    pub zset_max_listpack_value: u64,
    /// A script stops after this many Lua VM instructions (counted in steps of
    /// [`INSTRUCTION_STEP`]), with the same error on every replica.
    pub lua_max_instructions: u64,
    /// A script stops when its Lua state would take more than this many bytes (at least
    /// [`LUA_MEMORY_FLOOR`] applies).
    pub lua_max_memory: u64,
    /// The classes of keyspace events published, as a mask of [`crate::notify::Class`] bits
    /// (0, the default, publishes none).
    pub notify_keyspace_events: u64,
    /// maxmemory in bytes (0: no limit). Stored only: nothing is evicted yet.
    pub maxmemory: u64,
    /// maxmemory-policy, as its position in [`crate::maxmemory::POLICIES`]. It decides which
    /// access clock OBJECT FREQ / IDLETIME report; nothing is evicted yet.
    pub maxmemory_policy: u64,
    /// maxmemory-samples: stored for the eviction to come.
    pub maxmemory_samples: u64,
    /// lfu-log-factor: how slowly a key's access frequency counter grows.
    pub lfu_log_factor: u64,
    /// lfu-decay-time: every this many minutes without an access, a key's access frequency
    /// counter loses one, as Redis's (0: it never decays).
    pub lfu_decay_time: u64,
    /// list-max-listpack-size, a signed 32-bit value kept in two's complement. Accepted and
    /// kept: redraft's list nodes keep their own size (docs/operations.md).
    pub list_max_listpack_size: u64,
    /// list-compress-depth: accepted and kept; redraft compresses no list node.
    pub list_compress_depth: u64,
    /// stream-node-max-bytes: accepted and kept; redraft's streams have no radix-tree nodes.
    pub stream_node_max_bytes: u64,
    /// stream-node-max-entries: accepted and kept, as stream-node-max-bytes.
    pub stream_node_max_entries: u64,
    /// A sparse HyperLogLog that would grow past this many bytes becomes dense.
    pub hll_sparse_max_bytes: u64,
}

/// The instruction budget is checked every this many Lua VM instructions.
pub const INSTRUCTION_STEP: u32 = 1000;
/// The least memory a script's Lua state gets whatever the configuration says (a fresh state
/// with its libraries takes about 100 KiB; 0 would mean "no limit" to the allocator).
pub const LUA_MEMORY_FLOOR: u64 = 1 << 20;

impl Default for EncodingConfig {
    fn default() -> Self {
        EncodingConfig {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            // About half a second of a tight loop on a current core (docs/architecture.md).
            lua_max_instructions: 100_000_000,
            lua_max_memory: 64 << 20,
            notify_keyspace_events: 0,
            maxmemory: 0,
            maxmemory_policy: NOEVICTION,
            maxmemory_samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            list_max_listpack_size: -2i64 as u64,
            list_compress_depth: 0,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            hll_sparse_max_bytes: 3000,
        }
    }
}

/// One parameter: its name, its older alias (Redis keeps the ziplist names), its field, and
/// how CONFIG SET reads its value and CONFIG GET shows it.
struct Param {
    name: &'static str,
    alias: Option<&'static str>,
    field: fn(&mut EncodingConfig) -> &mut u64,
    parse: fn(&[u8]) -> Result<u64, &'static str>,
    show: fn(u64) -> String,
}

/// How many parameters the configuration has (and its snapshot form holds).
pub const PARAM_COUNT: usize = 18;

const NOT_INTEGER: &str = "argument couldn't be parsed into an integer";
const OUT_OF_COUNT_RANGE: &str = "argument must be between 0 and 9223372036854775807 inclusive";

/// A count, as CONFIG SET reads the integer parameters.
fn parse_count(text: &[u8]) -> Result<u64, &'static str> {
    let value = args::parse_i64(text).ok_or(NOT_INTEGER)?;
    u64::try_from(value).map_err(|_| OUT_OF_COUNT_RANGE)
}

/// A size in bytes, with Redis's units (see [`parse_memory`]), up to 2^63 - 1.
fn parse_bytes(text: &[u8]) -> Result<u64, &'static str> {
    let value = parse_memory(text)?;
    match value <= i64::MAX as u64 {
        true => Ok(value),
        false => Err(OUT_OF_COUNT_RANGE),
    }
}

/// list-max-listpack-size: any 32-bit signed value.
fn parse_list_size(text: &[u8]) -> Result<u64, &'static str> {
    let value = args::parse_i64(text).ok_or(NOT_INTEGER)?;
    i32::try_from(value)
        .map(|value| i64::from(value) as u64)
        .map_err(|_| "argument must be between -2147483648 and 2147483647 inclusive")
}

/// list-compress-depth: 0 to 2^31 - 1.
fn parse_depth(text: &[u8]) -> Result<u64, &'static str> {
    let value = args::parse_i64(text).ok_or(NOT_INTEGER)?;
    u32::try_from(value)
        .ok()
        .filter(|&value| value <= i32::MAX as u32)
        .map(u64::from)
        .ok_or("argument must be between 0 and 2147483647 inclusive")
}

fn show_count(value: u64) -> String {
    value.to_string()
}

/// An integer of Redis's `int` parameters, from `min` to 2^31-1.
fn parse_int_from(text: &[u8], min: u64) -> Result<u64, &'static str> {
    let value = args::parse_i64(text).ok_or("argument couldn't be parsed into an integer")?;
    match u64::try_from(value) {
        Ok(value) if (min..=i32::MAX as u64).contains(&value) => Ok(value),
        _ if min == 0 => Err("argument must be between 0 and 2147483647 inclusive"),
        _ => Err("argument must be between 1 and 2147483647 inclusive"),
    }
}

fn parse_int(text: &[u8]) -> Result<u64, &'static str> {
    parse_int_from(text, 0)
}

fn parse_positive_int(text: &[u8]) -> Result<u64, &'static str> {
    parse_int_from(text, 1)
}

fn show_signed(value: u64) -> String {
    (value as i64).to_string()
}

/// Redis 7.0's reading of a memory value (maxmemory.rs), for the node's parameters too.
pub use crate::maxmemory::parse_memory;

const PARAMS: [Param; PARAM_COUNT] = [
    Param {
        name: "hash-max-listpack-entries",
        alias: Some("hash-max-ziplist-entries"),
        field: |c| &mut c.hash_max_listpack_entries,
        parse: parse_count,
        show: show_count,
    },
    Param {
        name: "hash-max-listpack-value",
        alias: Some("hash-max-ziplist-value"),
        field: |c| &mut c.hash_max_listpack_value,
        parse: parse_bytes,
        show: show_count,
    },
    Param {
        name: "set-max-intset-entries",
        alias: None,
        field: |c| &mut c.set_max_intset_entries,
        parse: parse_count,
        show: show_count,
    },
    Param {
        name: "zset-max-listpack-entries",
        alias: Some("zset-max-ziplist-entries"),
        field: |c| &mut c.zset_max_listpack_entries,
        parse: parse_count,
        show: show_count,
    },
    Param {
        name: "zset-max-listpack-value",
        alias: Some("zset-max-ziplist-value"),
        field: |c| &mut c.zset_max_listpack_value,
        parse: parse_bytes,
        show: show_count,
    },
    Param {
        name: "lua-max-instructions",
        alias: None,
        field: |c| &mut c.lua_max_instructions,
        parse: parse_count,
        show: show_count,
    },
    Param {
        name: "lua-max-memory",
        alias: None,
        field: |c| &mut c.lua_max_memory,
        parse: parse_count,
        show: show_count,
    },
    Param {
        name: "notify-keyspace-events",
        alias: None,
        field: |c| &mut c.notify_keyspace_events,
        parse: parse_classes,
        show: show_classes,
    },
    Param {
        name: "maxmemory",
        alias: None,
        field: |c| &mut c.maxmemory,
        parse: parse_memory,
        show: show_memory,
    },
    Param {
        name: "maxmemory-policy",
        alias: None,
        field: |c| &mut c.maxmemory_policy,
        parse: parse_policy,
        show: show_policy,
    },
    Param {
        name: "maxmemory-samples",
        alias: None,
        field: |c| &mut c.maxmemory_samples,
        parse: parse_positive_int,
        show: show_count,
    },
    Param {
        name: "lfu-log-factor",
        alias: None,
        field: |c| &mut c.lfu_log_factor,
        parse: parse_int,
        show: show_count,
    },
    Param {
        name: "lfu-decay-time",
        alias: None,
        field: |c| &mut c.lfu_decay_time,
        parse: parse_int,
        show: show_count,
    },
    Param {
        name: "list-max-listpack-size",
        alias: Some("list-max-ziplist-size"),
        field: |c| &mut c.list_max_listpack_size,
        parse: parse_list_size,
        show: show_signed,
    },
    Param {
        name: "list-compress-depth",
        alias: None,
        field: |c| &mut c.list_compress_depth,
        parse: parse_depth,
        show: show_count,
    },
    Param {
        name: "stream-node-max-bytes",
        alias: None,
        field: |c| &mut c.stream_node_max_bytes,
        parse: parse_bytes,
        show: show_count,
    },
    Param {
        name: "stream-node-max-entries",
        alias: None,
        field: |c| &mut c.stream_node_max_entries,
        parse: parse_count,
        show: show_count,
    },
    Param {
        name: "hll-sparse-max-bytes",
        alias: None,
        field: |c| &mut c.hll_sparse_max_bytes,
        parse: parse_bytes,
        show: show_count,
    },
];

fn find(name: &[u8]) -> Option<&'static Param> {
    PARAMS
        .iter()
        .find(|p| is(name, p.name) || p.alias.is_some_and(|alias| is(name, alias)))
}

/// The parameter that sets the default user's password, replicated with the rest.
pub const REQUIREPASS: &str = "requirepass";

/// Whether CONFIG SET of `name` goes through the log (the configuration here, or requirepass).
pub fn is_replicated(name: &[u8]) -> bool {
    is(name, REQUIREPASS) || find(name).is_some()
}

/// Checks `value` for the replicated parameter `name` as CONFIG SET would, without applying
/// it: Err(why), in Redis's words, when it is refused. A name that is not replicated is
/// refused as unknown.
pub fn check_value(name: &[u8], value: &[u8]) -> Result<(), &'static str> {
    if is(name, REQUIREPASS) {
        return Ok(());
    }
    let param = find(name).ok_or("unknown parameter")?;
    (param.parse)(value).map(drop)
}

/// The most entries a compact encoding holds whatever the configuration says. A compact value
/// is rewritten whole on every write (as a listpack is moved in Redis), so unbounded
/// thresholds would let one client make each write on a big collection copy up to gigabytes,
/// on every replica; past the caps the value converts to its large form. Together the two caps
/// bound a compact value: a hash at most 8192 pairs of two 512-byte strings (about 8 MiB), a
/// sorted set half that.
pub const COMPACT_ENTRIES_CAP: u64 = 8192;
/// The longest field, value or member a compact encoding holds whatever the configuration says.
pub const COMPACT_VALUE_CAP: u64 = 512;

/// The thresholds as the engine applies them: the configured ones within the caps above.
impl EncodingConfig {
    pub fn hash_entries(&self) -> u64 {
        self.hash_max_listpack_entries.min(COMPACT_ENTRIES_CAP)
    }

    pub fn hash_value(&self) -> u64 {
        self.hash_max_listpack_value.min(COMPACT_VALUE_CAP)
    }

    pub fn intset_entries(&self) -> u64 {
        self.set_max_intset_entries.min(COMPACT_ENTRIES_CAP)
    }

    pub fn zset_entries(&self) -> u64 {
        self.zset_max_listpack_entries.min(COMPACT_ENTRIES_CAP)
    }

    pub fn zset_value(&self) -> u64 {
        self.zset_max_listpack_value.min(COMPACT_VALUE_CAP)
    }

    /// The memory a script's Lua state may take, in bytes.
    pub fn lua_memory(&self) -> usize {
        usize::try_from(self.lua_max_memory.max(LUA_MEMORY_FLOOR)).unwrap_or(usize::MAX)
    }

    /// The size past which a sparse HyperLogLog becomes dense. No cap is needed: a sparse HLL
    /// cannot grow past about 16 KiB (one byte per register) whatever this says.
    pub fn hll_sparse_bytes(&self) -> usize {
        usize::try_from(self.hll_sparse_max_bytes).unwrap_or(usize::MAX)
    }
}

impl EncodingConfig {
    /// Every (name, value) pair whose name (or alias, listed too) matches the glob `pattern`,
    /// as CONFIG GET answers.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(String, String)> {
        let mut config = *self;
        let mut out = Vec::new();
        for param in PARAMS {
            let value = (param.show)(*(param.field)(&mut config));
            for name in std::iter::once(param.name).chain(param.alias) {
                if glob_match(&pattern.to_ascii_lowercase(), name.as_bytes()) {
                    out.push((name.to_string(), value.clone()));
                }
            }
        }
        out
    }

    /// Every parameter as (name, alias, value as CONFIG GET shows it), for CONFIG REWRITE.
    pub fn named_values(&self) -> Vec<(&'static str, Option<&'static str>, String)> {
        let mut config = *self;
        PARAMS
            .iter()
            .map(|param| {
                let value = (param.show)(*(param.field)(&mut config));
                (param.name, param.alias, value)
            })
            .collect()
    }

    /// The values in a fixed order, for snapshots.
    pub fn to_values(&self) -> [u64; PARAM_COUNT] {
        let mut config = *self;
        let mut values = [0; PARAM_COUNT];
        for (value, param) in values.iter_mut().zip(&PARAMS) {
            *value = *(param.field)(&mut config);
        }
        values
    }

    /// The configuration from the first values of [`Self::to_values`]'s order (an older
    /// snapshot holds fewer): the parameters not given keep their defaults.
    pub fn from_values(values: &[u64]) -> EncodingConfig {
        let mut config = EncodingConfig::default();
        for (param, value) in PARAMS.iter().zip(values) {
            *(param.field)(&mut config) = *value;
        }
        config
    }
}

impl EncodingConfig {
    /// This configuration with CONFIG SET's `pairs` (parameter, value, ...) applied. All or
    /// nothing, in Redis 7.0's order: every name is looked up (and checked for a repeat)
    /// before any value is read, and the first value refused is reported. A name and its
    /// alias are two names, as in Redis: the later one wins.
    pub fn with_pairs(&self, pairs: &[Vec<u8>]) -> Result<EncodingConfig, Reply> {
        if !pairs.len().is_multiple_of(2) {
            return Err(args::syntax_error());
        }
        let mut params = Vec::with_capacity(pairs.len() / 2);
        for (i, pair) in pairs.chunks(2).enumerate() {
            let Some(param) = find(&pair[0]) else {
                return Err(unknown_option(&pair[0]));
            };
            if pairs[..2 * i]
                .iter()
                .step_by(2)
                .any(|seen| is(seen, &text(&pair[0])))
            {
                return Err(set_failed(&pair[0], "duplicate parameter"));
            }
            params.push(param);
        }
        let mut config = *self;
        for (param, pair) in params.into_iter().zip(pairs.chunks(2)) {
            let value = (param.parse)(&pair[1]).map_err(|why| set_failed(&pair[0], why))?;
            *(param.field)(&mut config) = value;
        }
        Ok(config)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Redis's reply to CONFIG SET of a name it does not know.
pub fn unknown_option(name: &[u8]) -> Reply {
    Reply::error(format!(
        "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
        text(name)
    ))
}

/// Redis's reply to CONFIG SET refusing the value (or the name) of `name`, for `why`.
pub fn set_failed(name: &[u8], why: &str) -> Reply {
    Reply::error(format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
        text(name)
    ))
}

/// The internal command a node proposes at start with the replicated parameters of its
/// config file (requirepass among them): `config-set-initial parameter value [...]`. It applies
/// them (all or nothing, as CONFIG SET) only while the configuration and the users are still
/// as a new cluster starts, so that the first node to propose wins and a restart does not undo
/// a CONFIG SET made since.
pub const CONFIG_SET_INITIAL_COMMAND: &str = "config-set-initial";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{apply, check};
    use crate::Engine;

    #[test]
    fn config_set_changes_replicated_parameters_all_or_nothing() {
        let mut e = Engine::default();
        check(
            &mut e,
            1,
            &[("CONFIG SET hash-max-ziplist-entries 300", "+OK")],
        );
        assert_eq!(e.keyspace().encoding.hash_max_listpack_entries, 300);
        check(
            &mut e,
            1,
            &[(
                "config set zset-max-listpack-value 10 set-max-intset-entries x",
                "ERR CONFIG SET failed (possibly related to argument 'set-max-intset-entries') - argument couldn't be parsed into an integer",
            )],
        );
        assert_eq!(e.keyspace().encoding.zset_max_listpack_value, 64);
        check(
            &mut e,
            1,
            &[
                ("CONFIG SET hash-max-listpack-value -1", "ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-value') - argument must be a memory value"),
                ("CONFIG SET set-max-intset-entries -1", "ERR CONFIG SET failed (possibly related to argument 'set-max-intset-entries') - argument must be between 0 and 9223372036854775807 inclusive"),
                ("CONFIG SET hash-max-listpack-entries 1 HASH-MAX-LISTPACK-ENTRIES 2", "ERR CONFIG SET failed (possibly related to argument 'HASH-MAX-LISTPACK-ENTRIES') - duplicate parameter"),
                ("CONFIG SET maxmemory-clients 1", "ERR Unknown option or number of arguments for CONFIG SET - 'maxmemory-clients'"),
                ("CONFIG SET set-max-intset-entries", "ERR wrong number of arguments for 'config|set' command"),
                ("CONFIG SET set-max-intset-entries 1 x", "ERR syntax error"),
            ],
        );
        assert_eq!(e.keyspace().encoding.hash_max_listpack_entries, 300);
        // A name and its alias are two names, as in Redis 7.0: the later wins.
        check(
            &mut e,
            1,
            &[(
                "CONFIG SET hash-max-listpack-entries 1 hash-max-ziplist-entries 2",
                "+OK",
            )],
        );
        assert_eq!(e.keyspace().encoding.hash_max_listpack_entries, 2);
    }

    #[test]
    fn names_are_checked_before_values_as_redis_orders_its_errors() {
        let mut e = Engine::default();
        check(
            &mut e,
            1,
            &[
                ("CONFIG SET set-max-intset-entries x nope 1", "ERR Unknown option or number of arguments for CONFIG SET - 'nope'"),
                ("CONFIG SET set-max-intset-entries x set-max-intset-entries 1", "ERR CONFIG SET failed (possibly related to argument 'set-max-intset-entries') - duplicate parameter"),
                ("CONFIG SET set-max-intset-entries 5 list-compress-depth -1", "ERR CONFIG SET failed (possibly related to argument 'list-compress-depth') - argument must be between 0 and 2147483647 inclusive"),
            ],
        );
        assert_eq!(e.keyspace().encoding, EncodingConfig::default());
    }

    #[test]
    fn the_data_structure_parameters_read_redis_values_and_units() {
        let mut e = Engine::default();
        let failed = |name: &str, why: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
        };
        let memory = failed("hll-sparse-max-bytes", "argument must be a memory value");
        let huge = failed("stream-node-max-bytes", OUT_OF_COUNT_RANGE);
        let list = failed(
            "list-max-ziplist-size",
            "argument must be between -2147483648 and 2147483647 inclusive",
        );
        let entries = failed("stream-node-max-entries", NOT_INTEGER);
        check(
            &mut e,
            1,
            &[
                (
                    "CONFIG SET list-max-listpack-size -5 list-compress-depth 2",
                    "+OK",
                ),
                (
                    "CONFIG SET hll-sparse-max-bytes 1KB stream-node-max-bytes 2m",
                    "+OK",
                ),
                (
                    "CONFIG SET zset-max-listpack-value 1kb stream-node-max-entries 7",
                    "+OK",
                ),
                ("CONFIG SET hll-sparse-max-bytes -1", memory.as_str()),
                ("CONFIG SET hll-sparse-max-bytes 1.5mb", memory.as_str()),
                (
                    "CONFIG SET stream-node-max-bytes 9223372036854775808",
                    huge.as_str(),
                ),
                ("CONFIG SET list-max-ziplist-size 2147483648", list.as_str()),
                ("CONFIG SET stream-node-max-entries 1kb", entries.as_str()),
            ],
        );
        let shown = |pattern: &[u8]| e.keyspace().encoding.matching(pattern);
        let pair = |name: &str, value: &str| (name.to_string(), value.to_string());
        assert_eq!(
            shown(b"list-*"),
            [
                pair("list-max-listpack-size", "-5"),
                pair("list-max-ziplist-size", "-5"),
                pair("list-compress-depth", "2"),
            ]
        );
        assert_eq!(
            shown(b"*-max-bytes"),
            [
                pair("stream-node-max-bytes", "2000000"),
                pair("hll-sparse-max-bytes", "1024"),
            ]
        );
        assert_eq!(
            shown(b"zset-max-listpack-value"),
            [pair("zset-max-listpack-value", "1024")]
        );
        assert_eq!(parse_memory(b""), Ok(0));
        assert_eq!(parse_memory(b"3GB"), Ok(3 << 30));
        assert!(parse_memory(b"1tb").is_err());
    }

    #[test]
    fn hll_sparse_max_bytes_decides_when_an_hll_becomes_dense() {
        use crate::testutil::config_set;
        let mut e = Engine::default();
        // The encoding byte of the HLL's header: 0 dense, 1 sparse.
        let debug =
            |e: &Engine, key: &str| match crate::testutil::read(e, 1, ["GET", key].as_slice()) {
                crate::Reply::Bulk(bytes) if bytes[4] == 0 => "dense",
                crate::Reply::Bulk(_) => "sparse",
                other => panic!("{other:?}"),
            };
        config_set(&mut e, "hll-sparse-max-bytes", "30");
        let elements: Vec<String> = (0..20).map(|i| format!("e{i}")).collect();
        let mut pfadd = vec!["PFADD", "small"];
        pfadd.extend(elements.iter().map(String::as_str));
        apply(&mut e, 1, &pfadd);
        assert_eq!(debug(&e, "small"), "dense");
        config_set(&mut e, "hll-sparse-max-bytes", "3000");
        pfadd[1] = "large";
        apply(&mut e, 1, &pfadd);
        assert_eq!(debug(&e, "large"), "sparse");
    }

    #[test]
    fn config_set_initial_applies_only_to_a_configuration_never_set() {
        let mut e = Engine::default();
        let initial = ["config-set-initial", "stream-node-max-entries", "5"];
        assert_eq!(apply(&mut e, 1, &initial), crate::Reply::ok());
        assert_eq!(e.keyspace().encoding.stream_node_max_entries, 5);
        let again = ["config-set-initial", "stream-node-max-entries", "6"];
        assert_eq!(apply(&mut e, 1, &again), crate::Reply::Integer(0));
        assert_eq!(e.keyspace().encoding.stream_node_max_entries, 5);
        let mut fresh = Engine::default();
        let bad = ["config-set-initial", "stream-node-max-entries", "x"];
        assert!(matches!(apply(&mut fresh, 1, &bad), crate::Reply::Error(_)));
        assert_eq!(fresh.keyspace().encoding, EncodingConfig::default());
    }

    #[test]
    fn the_configuration_travels_in_snapshots_and_old_snapshots_get_the_defaults() {
        let mut e = Engine::default();
        apply(
            &mut e,
            1,
            &["CONFIG", "SET", "zset-max-listpack-entries", "7"],
        );
        apply(&mut e, 1, &["SET", "k", "v"]);
        let bytes = e.encode_snapshot();
        let decoded = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(decoded.keyspace().encoding.zset_max_listpack_entries, 7);
        assert_eq!(decoded.encode_snapshot(), bytes);
        // A version 1 snapshot: no configuration after the engine time.
        let v1 = crate::snapshot::encode_as(e.keyspace(), e.now_ms(), 1);
        let old = Engine::decode_snapshot(&v1).unwrap();
        assert_eq!(old.keyspace().encoding, EncodingConfig::default());
        let keys = |engine: &Engine| engine.keyspace().dbs[0].iter_all().count();
        assert_eq!(keys(&old), keys(&decoded));
        assert_eq!(
            old.read(0, &[b"GET".to_vec(), b"k".to_vec()], Default::default()),
            crate::Reply::bulk("v")
        );
    }

    #[test]
    fn notify_keyspace_events_is_set_through_the_log_shown_canonically_and_kept_in_snapshots() {
        let mut e = Engine::default();
        let shown = |e: &Engine| e.keyspace().encoding.matching(b"notify-*")[0].1.clone();
        assert_eq!(shown(&e), "");
        check(
            &mut e,
            1,
            &[
                ("CONFIG SET zset-max-listpack-entries 7", "+OK"),
                ("CONFIG SET notify-keyspace-events EKx$", "+OK"),
                ("CONFIG SET notify-keyspace-events Kq", "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
            ],
        );
        assert_eq!(shown(&e), "$xKE");
        let bytes = e.encode_snapshot();
        let restored = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(shown(&restored), "$xKE");
        assert_eq!(restored.encode_snapshot(), bytes);
        // Version 7 had no such value: it loads with notifications off, the rest intact.
        let v7 = crate::snapshot::encode_as(e.keyspace(), e.now_ms(), 7);
        let old = Engine::decode_snapshot(&v7).unwrap();
        assert_eq!(shown(&old), "");
        let expected = EncodingConfig {
            notify_keyspace_events: 0,
            ..e.keyspace().encoding
        };
        assert_eq!(old.keyspace().encoding, expected);
        // Version 10 had no data-structure parameters past these eight: they load as defaults.
        apply(&mut e, 1, &["CONFIG", "SET", "hll-sparse-max-bytes", "100"]);
        let v10 = crate::snapshot::encode_as(e.keyspace(), e.now_ms(), 10);
        let old = Engine::decode_snapshot(&v10).unwrap();
        let expected = EncodingConfig {
            hll_sparse_max_bytes: 3000,
            ..e.keyspace().encoding
        };
        assert_eq!(old.keyspace().encoding, expected);
        let off = apply(&mut e, 1, &["CONFIG", "SET", "notify-keyspace-events", ""]);
        assert_eq!((off, shown(&e)), (crate::Reply::ok(), String::new()));
    }

    #[test]
    fn memory_parameters_are_read_as_redis_reads_them_and_kept_in_snapshots() {
        let mut e = Engine::default();
        let failed = |name: &str, why: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
        };
        let memory = failed("maxmemory", "argument must be a memory value");
        let policy = failed(
            "maxmemory-policy",
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
             volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
        );
        let log_factor = failed(
            "lfu-log-factor",
            "argument must be between 0 and 2147483647 inclusive",
        );
        let samples = failed(
            "maxmemory-samples",
            "argument must be between 1 and 2147483647 inclusive",
        );
        let decay = failed(
            "lfu-decay-time",
            "argument couldn't be parsed into an integer",
        );
        check(
            &mut e,
            1,
            &[
                (
                    "CONFIG SET maxmemory 100mb maxmemory-policy ALLKEYS-LFU",
                    "+OK",
                ),
                (
                    "CONFIG SET lfu-log-factor 3 lfu-decay-time 0 maxmemory-samples 64",
                    "+OK",
                ),
                ("CONFIG SET maxmemory 1.5gb", &memory),
                ("CONFIG SET maxmemory-policy lru", &policy),
                ("CONFIG SET lfu-log-factor 2147483648", &log_factor),
                ("CONFIG SET maxmemory-samples 0", &samples),
                ("CONFIG SET lfu-decay-time x", &decay),
            ],
        );
        let shown = e.keyspace().encoding.matching(b"maxmemory*");
        let expected = [
            ("maxmemory", "104857600"),
            ("maxmemory-policy", "allkeys-lfu"),
            ("maxmemory-samples", "64"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        assert_eq!(shown, expected);
        let bytes = e.encode_snapshot();
        let restored = Engine::decode_snapshot(&bytes).unwrap();
        assert_eq!(restored.keyspace().encoding, e.keyspace().encoding);
        assert_eq!(restored.keyspace().encoding.lfu_log_factor, 3);
        // Version 10 had none of them: it loads with Redis's defaults, the rest intact.
        let v10 = crate::snapshot::encode_as(e.keyspace(), e.now_ms(), 10);
        let old = Engine::decode_snapshot(&v10).unwrap().keyspace().encoding;
        let defaults = EncodingConfig::default();
        assert_eq!(
            (
                old.maxmemory,
                old.maxmemory_policy,
                old.lfu_log_factor,
                old.lfu_decay_time
            ),
            (0, defaults.maxmemory_policy, 10, 1)
        );
        assert_eq!(old.maxmemory_samples, 5);
    }

    #[test]
    fn huge_thresholds_are_applied_within_the_caps() {
        use crate::testutil::{config_set, encoding};
        let mut e = Engine::default();
        config_set(&mut e, "hash-max-listpack-entries", "9223372036854775807");
        config_set(&mut e, "hash-max-listpack-value", "9223372036854775807");
        let mut hset = vec!["HSET".to_string(), "h".into()];
        for i in 0..COMPACT_ENTRIES_CAP {
            hset.extend([format!("f{i}"), "v".into()]);
        }
        let argv: Vec<&str> = hset.iter().map(String::as_str).collect();
        apply(&mut e, 1, &argv);
        assert_eq!(encoding(&e, "h"), "listpack");
        apply(&mut e, 1, &["HSET", "h", "one", "more"]);
        assert_eq!(encoding(&e, "h"), "hashtable");
        let longest = "x".repeat(COMPACT_VALUE_CAP as usize);
        apply(&mut e, 1, &["HSET", "h1", "f", &longest]);
        assert_eq!(encoding(&e, "h1"), "listpack");
        let long = "x".repeat(COMPACT_VALUE_CAP as usize + 1);
        apply(&mut e, 1, &["HSET", "h2", "f", &long]);
        assert_eq!(encoding(&e, "h2"), "hashtable");
        config_set(&mut e, "zset-max-listpack-entries", "9223372036854775807");
        config_set(&mut e, "zset-max-listpack-value", "9223372036854775807");
        apply(&mut e, 1, &["ZADD", "z1", "1", &longest]);
        assert_eq!(encoding(&e, "z1"), "listpack");
        apply(&mut e, 1, &["ZADD", "z2", "1", &long]);
        assert_eq!(encoding(&e, "z2"), "skiplist");
        let mut zadd = vec!["ZADD".to_string(), "z3".into()];
        for i in 0..=COMPACT_ENTRIES_CAP {
            zadd.extend([i.to_string(), format!("m{i}")]);
        }
        let argv: Vec<&str> = zadd.iter().map(String::as_str).collect();
        apply(&mut e, 1, &argv);
        assert_eq!(encoding(&e, "z3"), "skiplist");
        // CONFIG GET still shows what was set.
        assert_eq!(
            e.keyspace().encoding.matching(b"hash-max-listpack-entries")[0].1,
            "9223372036854775807"
        );
    }

    #[test]
    fn config_get_lists_names_and_aliases_matching_a_pattern() {
        let config = EncodingConfig::default();
        assert_eq!(
            config.matching(b"HASH-MAX-*-ENTRIES"),
            vec![
                ("hash-max-listpack-entries".to_string(), "512".to_string()),
                ("hash-max-ziplist-entries".to_string(), "512".to_string()),
            ]
        );
        assert_eq!(
            EncodingConfig::from_values(&config.to_values()),
            EncodingConfig::default()
        );
    }
}
