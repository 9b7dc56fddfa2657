//! The node's own parameters as data: Redis 7.0's name (and older alias), the kind of value
//! with its range, Redis's default, and whether CONFIG SET may change it. What each one does in
//! redraft is in docs/operations.md, Parameters.

use redraft_engine::args::parse_i64;
use redraft_engine::config::parse_memory;

use crate::outbox::OutputLimit;

/// The value a parameter takes, as CONFIG SET reads it.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// An integer within the bounds.
    Int { min: i64, max: i64 },
    /// Bytes, with Redis's units (1gb, 64k ...), within the bounds.
    Memory { min: i64, max: i64 },
    /// yes or no.
    Bool,
    /// One of these words.
    Enum(&'static [&'static str]),
    /// hz: an integer from 0 that is kept within 1 to 500, as Redis keeps it.
    Hz,
    /// Any text.
    Text,
    /// save: pairs of seconds and changes, or nothing.
    Save,
    /// client-output-buffer-limit: class hard soft seconds, for any of the three classes.
    OutputLimits,
}

/// Whether CONFIG SET may change a parameter (the others are set at start only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Mutable,
    /// Redis's "can't set immutable config".
    Immutable,
    /// Redis's "can't set protected config" (enable-protected-configs is no).
    Protected,
}

pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    /// Redis 7.0's default, as CONFIG GET shows it (a flag may give the node another one).
    pub default: &'static str,
    pub access: Access,
}

/// A parameter's value once read: a number (integers, sizes, yes/no as 1/0, a word as its
/// position) or text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Number(i64),
    Text(String),
}

const INT_MAX: i64 = i32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// 1 MiB: the least proto-max-bulk-len and client-query-buffer-limit Redis accepts.
const MIB: i64 = 1 << 20;

const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}

const fn mutable(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        access: Access::Mutable,
    }
}

const fn aliased(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias: Some(alias),
        kind,
        default,
        access: Access::Mutable,
    }
}

const fn fixed(name: &'static str, kind: Kind, default: &'static str, access: Access) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        access,
    }
}

// The positions of the parameters the node reads while it serves (checked by a test).
pub const MAXCLIENTS: usize = 0;
pub const TIMEOUT: usize = 1;
pub const TCP_KEEPALIVE: usize = 2;
pub const PROTO_MAX_BULK_LEN: usize = 3;
pub const CLIENT_QUERY_BUFFER_LIMIT: usize = 4;
pub const SLOWLOG_LOG_SLOWER_THAN: usize = 5;
pub const SLOWLOG_MAX_LEN: usize = 6;
pub const LATENCY_MONITOR_THRESHOLD: usize = 7;
pub const CLIENT_OUTPUT_BUFFER_LIMIT: usize = 8;

/// Most entries the slow log may be set to keep: an entry takes up to about 4.5 KiB (32
/// arguments of 128 bytes), so the log stays under about 45 MiB. Redis accepts any length.
pub const SLOWLOG_MAX_LEN_CAP: i64 = 10_000;

const YES_NO: &[&str] = &["no", "yes"];
const FSYNC: &[&str] = &["everysec", "always", "no"];

pub const PARAMS: &[Param] = &[
    // Enforced by the node (docs/operations.md).
    mutable("maxclients", int(1, u32::MAX as i64), "10000"),
    mutable("timeout", int(0, INT_MAX), "0"),
    mutable("tcp-keepalive", int(0, INT_MAX), "300"),
    mutable(
        "proto-max-bulk-len",
        Kind::Memory {
            min: MIB,
            max: LONG_MAX,
        },
        "536870912",
    ),
    mutable(
        "client-query-buffer-limit",
        Kind::Memory {
            min: MIB,
            max: LONG_MAX,
        },
        "1073741824",
    ),
    mutable("slowlog-log-slower-than", int(-1, LONG_MAX), "10000"),
    mutable("slowlog-max-len", int(0, SLOWLOG_MAX_LEN_CAP), "128"),
    mutable("latency-monitor-threshold", int(0, LONG_MAX), "0"),
    mutable(
        "client-output-buffer-limit",
        Kind::OutputLimits,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    // What the node does, from --fsync: fixed while it runs.
    fixed(
        "appendfsync",
        Kind::Enum(FSYNC),
        "always",
        Access::Immutable,
    ),
    // Accepted and kept, no effect in redraft.
    aliased(
        "busy-reply-threshold",
        "lua-time-limit",
        int(0, LONG_MAX),
        "5000",
    ),
    mutable("save", Kind::Save, "3600 1 300 100 60 10000"),
    mutable("appendonly", Kind::Bool, "yes"),
    mutable("activerehashing", Kind::Bool, "yes"),
    mutable("hz", Kind::Hz, "10"),
    mutable("dynamic-hz", Kind::Bool, "yes"),
    mutable(
        "loglevel",
        Kind::Enum(&["debug", "verbose", "notice", "warning"]),
        "notice",
    ),
    mutable("lazyfree-lazy-eviction", Kind::Bool, "no"),
    mutable("lazyfree-lazy-expire", Kind::Bool, "no"),
    mutable("lazyfree-lazy-server-del", Kind::Bool, "no"),
    mutable("lazyfree-lazy-user-del", Kind::Bool, "no"),
    mutable("lazyfree-lazy-user-flush", Kind::Bool, "no"),
    aliased("replica-read-only", "slave-read-only", Kind::Bool, "yes"),
    aliased(
        "replica-serve-stale-data",
        "slave-serve-stale-data",
        Kind::Bool,
        "yes",
    ),
    aliased("replica-priority", "slave-priority", int(0, INT_MAX), "100"),
    aliased("replica-lazy-flush", "slave-lazy-flush", Kind::Bool, "no"),
    mutable(
        "repl-backlog-size",
        Kind::Memory {
            min: 1,
            max: LONG_MAX,
        },
        "1048576",
    ),
    mutable("repl-timeout", int(1, INT_MAX), "60"),
    aliased(
        "min-replicas-to-write",
        "min-slaves-to-write",
        int(0, INT_MAX),
        "0",
    ),
    aliased(
        "min-replicas-max-lag",
        "min-slaves-max-lag",
        int(0, INT_MAX),
        "10",
    ),
    mutable("stop-writes-on-bgsave-error", Kind::Bool, "yes"),
    mutable("rdbcompression", Kind::Bool, "yes"),
    mutable("rdbchecksum", Kind::Bool, "yes"),
    mutable("tracking-table-max-keys", int(0, LONG_MAX), "1000000"),
    mutable("acllog-max-len", int(0, LONG_MAX), "128"),
    mutable("active-expire-effort", int(1, 10), "1"),
    mutable("protected-mode", Kind::Bool, "yes"),
    mutable("latency-tracking", Kind::Bool, "yes"),
    // Set at start only (some from the node's flags).
    fixed("bind", Kind::Text, "127.0.0.1", Access::Immutable),
    fixed("port", int(0, 65535), "6379", Access::Immutable),
    fixed("tls-port", int(0, 65535), "0", Access::Immutable),
    fixed("dir", Kind::Text, "./redraft-data", Access::Protected),
    fixed("dbfilename", Kind::Text, "dump.rdb", Access::Protected),
    fixed("aclfile", Kind::Text, "", Access::Immutable),
    // Who may run DEBUG, from --enable-debug-command.
    fixed(
        "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
        Access::Immutable,
    ),
    fixed("daemonize", Kind::Bool, "no", Access::Immutable),
    fixed("databases", int(1, INT_MAX), "16", Access::Immutable),
    fixed("io-threads", int(1, 128), "1", Access::Immutable),
    fixed("io-threads-do-reads", Kind::Bool, "no", Access::Immutable),
    fixed("pidfile", Kind::Text, "", Access::Immutable),
    fixed("logfile", Kind::Text, "", Access::Immutable),
    fixed(
        "supervised",
        Kind::Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
        Access::Immutable,
    ),
    fixed("tcp-backlog", int(0, INT_MAX), "511", Access::Immutable),
    fixed("unixsocket", Kind::Text, "", Access::Immutable),
    fixed(
        "appendfilename",
        Kind::Text,
        "appendonly.aof",
        Access::Immutable,
    ),
    fixed("cluster-enabled", Kind::Bool, "no", Access::Immutable),
];

/// The position of the parameter named `name` (or by its alias), in any case.
pub fn find(name: &[u8]) -> Option<usize> {
    PARAMS.iter().position(|param| {
        std::iter::once(param.name)
            .chain(param.alias)
            .any(|known| known.as_bytes().eq_ignore_ascii_case(name))
    })
}

impl Param {
    /// Reads `text` as CONFIG SET does; Err(why) in Redis's words. `current` is the value now
    /// (client-output-buffer-limit changes only the classes given).
    pub fn parse(&self, text: &[u8], current: &Value) -> Result<Value, String> {
        let number = |n: i64| Ok(Value::Number(n));
        match self.kind {
            Kind::Int { min, max } => number(in_range(integer(text)?, min, max)?),
            Kind::Memory { min, max } => {
                let bytes = parse_memory(text)?;
                let bytes = i64::try_from(bytes).map_err(|_| range_error(min, max))?;
                number(in_range(bytes, min, max)?)
            }
            Kind::Bool => match word(text, YES_NO) {
                Some(index) => number(index as i64),
                None => Err("argument must be 'yes' or 'no'".into()),
            },
            Kind::Enum(words) => match word(text, words) {
                Some(index) => number(index as i64),
                None => Err(format!(
                    "argument(s) must be one of the following: {}",
                    words.join(", ")
                )),
            },
            Kind::Hz => number(in_range(integer(text)?, 0, INT_MAX)?.clamp(1, 500)),
            Kind::Text => Ok(Value::Text(String::from_utf8_lossy(text).into_owned())),
            Kind::Save => parse_save(text).map(Value::Text),
            Kind::OutputLimits => {
                let Value::Text(current) = current else {
                    return Err("internal: no current limits".into());
                };
                parse_output_limits(text, current).map(Value::Text)
            }
        }
    }

    /// The value as CONFIG GET shows it.
    pub fn show(&self, value: &Value) -> String {
        match (self.kind, value) {
            (Kind::Bool, Value::Number(n)) => YES_NO.get(*n as usize).unwrap_or(&"no").to_string(),
            (Kind::Enum(words), Value::Number(n)) => {
                words.get(*n as usize).copied().unwrap_or("").to_string()
            }
            (_, Value::Number(n)) => n.to_string(),
            (_, Value::Text(text)) => text.clone(),
        }
    }

    /// Its default as a value.
    pub fn default_value(&self) -> Value {
        let start = match self.kind {
            Kind::OutputLimits => Value::Text(String::new()),
            _ => Value::Number(0),
        };
        self.parse(self.default.as_bytes(), &start)
            .unwrap_or(Value::Text(self.default.to_string()))
    }
}

fn integer(text: &[u8]) -> Result<i64, String> {
    parse_i64(text).ok_or_else(|| "argument couldn't be parsed into an integer".to_string())
}

fn range_error(min: i64, max: i64) -> String {
    format!("argument must be between {min} and {max} inclusive")
}

fn in_range(value: i64, min: i64, max: i64) -> Result<i64, String> {
    match (min..=max).contains(&value) {
        true => Ok(value),
        false => Err(range_error(min, max)),
    }
}

fn word(text: &[u8], words: &[&str]) -> Option<usize> {
    words
        .iter()
        .position(|word| word.as_bytes().eq_ignore_ascii_case(text))
}

/// save: nothing, or pairs `seconds changes` split at single spaces, seconds at least 1 and
/// changes at least 0, shown normalized ("01 1" shows "1 1").
fn parse_save(text: &[u8]) -> Result<String, String> {
    if text.is_empty() {
        return Ok(String::new());
    }
    let invalid = || "Invalid save parameters".to_string();
    let words: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
    if !words.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let mut shown = Vec::with_capacity(words.len());
    for pair in words.chunks(2) {
        // strtoll's reading, as Redis's: "01" is 1.
        let number = |word: &[u8]| std::str::from_utf8(word).ok()?.parse::<i64>().ok();
        let seconds = number(pair[0]).filter(|&s| s >= 1).ok_or_else(invalid)?;
        let changes = number(pair[1])
            .and_then(|c| i32::try_from(c).ok())
            .filter(|&c| c >= 0)
            .ok_or_else(invalid)?;
        shown.push(format!("{seconds} {changes}"));
    }
    Ok(shown.join(" "))
}

const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// client-output-buffer-limit: groups of `class hard soft seconds` (class normal, slave or
/// replica, pubsub) change those classes of `current`; nothing changes nothing.
fn parse_output_limits(text: &[u8], current: &str) -> Result<String, String> {
    let mut limits: Vec<[String; 3]> = CLASSES
        .iter()
        .map(|class| class_limits(current, class))
        .collect();
    let text = String::from_utf8_lossy(text);
    let words: Vec<&str> = text.split_whitespace().collect();
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    for group in words.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let bad = || {
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string()
        };
        let size = |word: &str| parse_memory(word.as_bytes()).map_err(|_| bad());
        let seconds = parse_i64(group[3].as_bytes())
            .filter(|&s| s >= 0)
            .ok_or_else(bad)?;
        limits[class] = [
            size(group[1])?.to_string(),
            size(group[2])?.to_string(),
            seconds.to_string(),
        ];
    }
    Ok(CLASSES
        .iter()
        .zip(&limits)
        .map(|(class, [hard, soft, secs])| format!("{class} {hard} {soft} {secs}"))
        .collect::<Vec<_>>()
        .join(" "))
}

/// The hard, soft and seconds of `class` in a shown client-output-buffer-limit.
fn class_limits(shown: &str, class: &str) -> [String; 3] {
    let words: Vec<&str> = shown.split(' ').collect();
    words
        .chunks(4)
        .find(|group| group.len() == 4 && group[0] == class)
        .map(|group| [group[1].into(), group[2].into(), group[3].into()])
        .unwrap_or_else(|| ["0".into(), "0".into(), "0".into()])
}

/// The pubsub class of a shown client-output-buffer-limit, as the outbox applies it.
pub fn pubsub_limit(shown: &str) -> OutputLimit {
    let [hard, soft, seconds] = class_limits(shown, "pubsub");
    OutputLimit::parse(&format!("{hard} {soft} {seconds}")).unwrap_or(OutputLimit::PUBSUB_DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_positions_the_node_reads_name_their_parameters() {
        for (position, name) in [
            (MAXCLIENTS, "maxclients"),
            (TIMEOUT, "timeout"),
            (TCP_KEEPALIVE, "tcp-keepalive"),
            (PROTO_MAX_BULK_LEN, "proto-max-bulk-len"),
            (CLIENT_QUERY_BUFFER_LIMIT, "client-query-buffer-limit"),
            (SLOWLOG_LOG_SLOWER_THAN, "slowlog-log-slower-than"),
            (SLOWLOG_MAX_LEN, "slowlog-max-len"),
            (LATENCY_MONITOR_THRESHOLD, "latency-monitor-threshold"),
            (CLIENT_OUTPUT_BUFFER_LIMIT, "client-output-buffer-limit"),
        ] {
            assert_eq!(PARAMS[position].name, name);
        }
        for param in PARAMS {
            assert_eq!(
                param.show(&param.default_value()),
                param.default,
                "{}",
                param.name
            );
            assert!(!redraft_engine::config::is_replicated(
                param.name.as_bytes()
            ));
        }
    }

    #[test]
    fn values_are_read_with_redis_errors() {
        let read = |name: &str, text: &str| {
            let param = &PARAMS[find(name.as_bytes()).unwrap()];
            param
                .parse(text.as_bytes(), &param.default_value())
                .map(|value| param.show(&value))
        };
        assert_eq!(
            read("maxclients", "0"),
            Err("argument must be between 1 and 4294967295 inclusive".into())
        );
        assert_eq!(
            read("timeout", "1.5"),
            Err("argument couldn't be parsed into an integer".into())
        );
        assert_eq!(read("proto-max-bulk-len", "2mb"), Ok("2097152".into()));
        assert_eq!(
            read("proto-max-bulk-len", "1kb"),
            Err("argument must be between 1048576 and 9223372036854775807 inclusive".into())
        );
        assert_eq!(
            read("repl-backlog-size", "99999999999999999999"),
            Err("argument must be between 1 and 9223372036854775807 inclusive".into())
        );
        assert_eq!(
            read("repl-backlog-size", "-5"),
            Err("argument must be a memory value".into())
        );
        assert_eq!(read("activerehashing", "YES"), Ok("yes".into()));
        assert_eq!(
            read("activerehashing", "1"),
            Err("argument must be 'yes' or 'no'".into())
        );
        assert_eq!(read("loglevel", "WARNING"), Ok("warning".into()));
        assert_eq!(
            read("loglevel", "foo"),
            Err("argument(s) must be one of the following: debug, verbose, notice, warning".into())
        );
        assert_eq!(read("hz", "1000"), Ok("500".into()));
        assert_eq!(read("hz", "0"), Ok("1".into()));
        assert_eq!(read("save", "01 1 300 0"), Ok("1 1 300 0".into()));
        for bad in ["0 1", "1", "1  1", " 1 1", "1 -1"] {
            assert_eq!(
                read("save", bad),
                Err("Invalid save parameters".into()),
                "{bad}"
            );
        }
        assert_eq!(read("save", ""), Ok("".into()));
        assert_eq!(
            read(
                "client-output-buffer-limit",
                "NORMAL 1kb 2k 3 replica 1 1 1"
            ),
            Ok("normal 1024 2000 3 slave 1 1 1 pubsub 33554432 8388608 60".into())
        );
        assert_eq!(
            read("client-output-buffer-limit", "normal 1 2"),
            Err("Wrong number of arguments in buffer limit configuration.".into())
        );
        assert_eq!(
            read("client-output-buffer-limit", "foo 1 2 3"),
            Err("Invalid client class specified in buffer limit configuration.".into())
        );
        assert_eq!(
            read("client-output-buffer-limit", "pubsub 1 1 -1"),
            Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into()
            )
        );
        assert_eq!(
            pubsub_limit("normal 0 0 0 slave 1 1 1 pubsub 1024 512 7"),
            OutputLimit::parse("1024 512 7").unwrap()
        );
    }
}
