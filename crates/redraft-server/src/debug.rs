//! DEBUG's node-local subcommands, SAVE and BGSAVE (the engine answers DEBUG OBJECT, DIGEST,
//! DIGEST-VALUE and LISTPACK from the replica). DEBUG is refused unless the node runs with
//! `--enable-debug-command` (Redis's enable-debug-command).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::ValueEnum;
use redraft_engine::args::syntax_error;
use redraft_engine::table::{lookup, PROTECTED};
use redraft_engine::Reply;
use redraft_raft::SaveError;

use crate::cluster::Cluster;
use crate::encode::Protocol;
use crate::outbox::parse_size;
use crate::session::Session;

/// Who may run DEBUG (Redis's enable-debug-command; immutable: set at start).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DebugAccess {
    /// Nobody.
    #[default]
    No,
    /// Every connection.
    Yes,
    /// Connections from a loopback address only.
    Local,
}

impl DebugAccess {
    /// As CONFIG GET shows it.
    pub fn name(self) -> &'static str {
        match self {
            DebugAccess::No => "no",
            DebugAccess::Yes => "yes",
            DebugAccess::Local => "local",
        }
    }

    pub fn allows(self, peer: &SocketAddr) -> bool {
        match self {
            DebugAccess::No => false,
            DebugAccess::Yes => true,
            DebugAccess::Local => is_loopback(peer.ip()),
        }
    }
}

/// A loopback address, also as an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`).
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Redis 7.0's refusal of DEBUG when enable-debug-command does not allow it.
pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the \
    enable-debug-command option is set to \"local\", you can run it from a local connection, \
    otherwise you need to set this option in the configuration file, and then restart the \
    server.";

/// Redis's largest packed threshold for DEBUG QUICKLIST-PACKED-THRESHOLD: 4 GiB less 1 MiB.
const PACKED_THRESHOLD_MAX: usize = (1 << 32) - (1 << 20);

impl<C: Cluster> Session<C> {
    /// Redis's refusal of a protected command (DEBUG) this connection may not run; checked
    /// before anything else about the command but its name and arity, as Redis does.
    pub(crate) fn protected_refusal(&self, argv: &[Vec<u8>]) -> Option<Reply> {
        let spec = lookup(argv.first()?)?;
        let refused = spec.flags & PROTECTED != 0
            && spec.arity_ok(argv.len())
            && !self.server.config.enable_debug_command.allows(&self.peer);
        refused.then(|| Reply::error(DEBUG_NOT_ALLOWED))
    }

    /// The DEBUG subcommands the session answers at once.
    pub(crate) fn debug_command(&self, name: &str, argv: &[Vec<u8>]) -> Reply {
        match name {
            "debug|help" => debug_help(),
            "debug|protocol" => protocol(&argv[2], self.protocol),
            "debug|set-active-expire" => {
                self.server.cluster.set_active_expire(c_atoi(&argv[2]) != 0);
                Reply::ok()
            }
            "debug|quicklist-packed-threshold" => packed_threshold(&argv[2]),
            // No replication IDs here: Raft's terms and log play their part.
            "debug|change-repl-id" => Reply::ok(),
            other => Reply::error(format!("ERR '{other}' is not served by sessions")),
        }
    }

    /// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: a snapshot (unless NOSAVE), then the replica
    /// reloaded from its own encoding (see `RaftNode::reload`). MERGE and NOFLUSH change
    /// nothing: what is reloaded is what the replica holds.
    pub(crate) async fn debug_reload(&self, argv: &[Vec<u8>]) -> Reply {
        let mut save = true;
        for option in &argv[2..] {
            match option.to_ascii_lowercase().as_slice() {
                b"merge" | b"noflush" => {}
                b"nosave" => save = false,
                _ => {
                    return Reply::error(
                        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                    )
                }
            }
        }
        if save {
            if let Err(error) = self.server.cluster.save().await {
                return save_error(error);
            }
        }
        match self.server.cluster.reload() {
            Ok(()) => Reply::ok(),
            Err(error) => save_error(error),
        }
    }

    /// SAVE: a snapshot of this node's replica, answered once it is stored.
    pub(crate) async fn save(&self) -> Reply {
        match self.server.cluster.save().await {
            Ok(()) => Reply::ok(),
            Err(error) => save_error(error),
        }
    }

    /// BGSAVE [SCHEDULE]: a snapshot of this node's replica, started now. SCHEDULE changes
    /// nothing: Redis 7.0 uses it only to wait for an AOF rewrite, which redraft has not.
    pub(crate) fn bgsave(&self, argv: &[Vec<u8>]) -> Reply {
        match argv {
            [_] => {}
            [_, option] if option.eq_ignore_ascii_case(b"schedule") => {}
            _ => return syntax_error(),
        }
        match self.server.cluster.bgsave() {
            Ok(()) => Reply::Simple("Background saving started".into()),
            Err(error) => save_error(error),
        }
    }
}

fn save_error(error: SaveError) -> Reply {
    Reply::error(format!("ERR {error}"))
}

/// DEBUG SLEEP's seconds, as C's strtod reads them (what is not a number sleeps 0 s).
pub fn sleep_duration(arg: &[u8]) -> Duration {
    let seconds = std::str::from_utf8(arg)
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    Duration::try_from_secs_f64(seconds).unwrap_or(Duration::ZERO)
}

/// C's atoi: an optional sign and the digits that follow, 0 for anything else.
fn c_atoi(arg: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(arg);
    let text = text.trim_start();
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let digits: String = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .take(18)
        .collect();
    sign * digits.parse::<i64>().unwrap_or(0)
}

/// DEBUG QUICKLIST-PACKED-THRESHOLD size: checked as Redis checks it; redraft's list nodes
/// have bounds of their own (128 items, 8 KiB), so the value is not used.
fn packed_threshold(arg: &[u8]) -> Reply {
    let size = std::str::from_utf8(arg).ok().and_then(parse_size);
    match size {
        Some(size) if size <= PACKED_THRESHOLD_MAX => Reply::ok(),
        _ => Reply::error("ERR argument must be a memory value bigger than 1 and smaller than 4gb"),
    }
}

const PROTOCOL_TYPES: &str =
    "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";

/// DEBUG PROTOCOL type: a sample reply of each RESP3 type, as Redis 7.0 gives it, in the
/// connection's protocol (RESP2 has no push: an error).
fn protocol(kind: &[u8], protocol: Protocol) -> Reply {
    let numbers = || (0..3).map(Reply::Integer);
    match kind.to_ascii_lowercase().as_slice() {
        b"string" => Reply::bulk("Hello World"),
        b"integer" => Reply::Integer(12345),
        // Redis's sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => Reply::Double(3.141),
        b"bignum" => Reply::BigNumber("1234567999999999999999999999999999999".into()),
        b"null" => Reply::Nil,
        b"array" => Reply::Array(numbers().collect()),
        b"set" => Reply::Set(numbers().collect()),
        b"map" => Reply::Map(
            (0..3)
                .map(|n| (Reply::Integer(n), Reply::Bool(n == 1)))
                .collect(),
        ),
        b"attrib" => Reply::Preceded {
            before: Box::new(Reply::Attribute(vec![(
                Reply::bulk("key-popularity"),
                Reply::Array(vec![Reply::bulk("key:123"), Reply::Integer(90)]),
            )])),
            reply: Box::new(Reply::bulk("Some real reply following the attribute")),
        },
        b"push" if protocol == Protocol::Resp2 => {
            Reply::error("ERR RESP2 is not supported by this command")
        }
        b"push" => Reply::Preceded {
            before: Box::new(Reply::Push(vec![
                Reply::bulk("server-cpu-usage"),
                Reply::Integer(42),
            ])),
            reply: Box::new(Reply::bulk("Some real reply following the push reply")),
        },
        b"verbatim" => Reply::Verbatim {
            format: "txt".into(),
            text: b"This is a verbatim\nstring".to_vec(),
        },
        b"true" => Reply::Bool(true),
        b"false" => Reply::Bool(false),
        _ => Reply::error(format!(
            "ERR Wrong protocol type name. Please use one of the following: {PROTOCOL_TYPES}"
        )),
    }
}

fn debug_help() -> Reply {
    Reply::help(&[
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Accepted; redraft has no replication IDs to change.",
        "DIGEST",
        "    40 hex digits summing up every key and value of this node's replica (all zeros",
        "    when it is empty): replicas that applied the same entries answer the same.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    The same digest for the value of each key.",
        "LISTPACK <key>",
        "    Whether <key> holds a compact (listpack) value; prints nothing.",
        "OBJECT <key>",
        "    How <key>'s value is stored: encoding, serialized length, ...",
        "PROTOCOL <type>",
        "    A sample reply of <type>: string, integer, double, bignum, null, array, set, map,",
        "    attrib, push, verbatim, true or false.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Accepted and checked; redraft's list nodes have bounds of their own.",
        "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
        "    Take a snapshot of this node (unless NOSAVE), then reload its replica from its",
        "    own encoding.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Whether this node, while it leads, deletes expired keys in the background.",
        "SLEEP <seconds>",
        "    Delay this connection's reply by <seconds> (decimals allowed); the node goes on.",
        "HELP",
        "    This text.",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_access_is_for_loopback_addresses_only() {
        let at = |addr: &str| addr.parse::<SocketAddr>().expect("an address");
        assert!(DebugAccess::Local.allows(&at("127.0.0.1:5000")));
        assert!(DebugAccess::Local.allows(&at("[::1]:5000")));
        assert!(DebugAccess::Local.allows(&at("[::ffff:127.0.0.1]:5000")));
        assert!(!DebugAccess::Local.allows(&at("192.0.2.7:5000")));
        assert!(!DebugAccess::No.allows(&at("127.0.0.1:5000")));
        assert!(DebugAccess::Yes.allows(&at("192.0.2.7:5000")));
    }

    #[test]
    fn sleep_and_switch_arguments_read_as_c_reads_them() {
        assert_eq!(sleep_duration(b"0.25"), Duration::from_millis(250));
        assert_eq!(sleep_duration(b"abc"), Duration::ZERO);
        assert_eq!(sleep_duration(b"-3"), Duration::ZERO);
        assert_eq!(c_atoi(b"2"), 2);
        assert_eq!(c_atoi(b"x"), 0);
        assert_eq!(c_atoi(b"-1z"), -1);
    }

    #[test]
    fn the_packed_threshold_is_checked_as_redis_checks_it() {
        assert_eq!(packed_threshold(b"100"), Reply::ok());
        assert_eq!(packed_threshold(b"0"), Reply::ok());
        assert_eq!(packed_threshold(b"1gb"), Reply::ok());
        assert!(matches!(packed_threshold(b"abc"), Reply::Error(_)));
        assert!(matches!(packed_threshold(b"5gb"), Reply::Error(_)));
    }
}
