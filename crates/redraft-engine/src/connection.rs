//! Connection and server commands: those the client's session answers itself (connection
//! state and server information), RAFT, which the server answers against the cluster, and
//! CONFIG, whose GET is the session's and whose SET of the replicated configuration (config.rs)
//! is a write. They are in the table so that the dispatcher knows their arity and subcommands
//! and COMMAND lists them; the server crate implements all but CONFIG SET.

use crate::args;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Cluster, Container, Read, Session, Transaction, Write},
    ADMIN, CONNECTION, FAST, NOSCRIPT,
};
use crate::spec::{ReadCtx, WriteCtx};
use crate::REDIS_VERSION;

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("auth", -2, CONNECTION | FAST | NOSCRIPT, 0, 0, 0, Session),
    // A Raft snapshot of this node's replica, in the background (docs/commands.md, bgsave).
    cmd!("bgsave", -1, ADMIN | NOSCRIPT, 0, 0, 0, Session),
    cmd!("client", -2, CONNECTION, 0, 0, 0, Container(CLIENT)),
    cmd!("command", -1, CONNECTION, 0, 0, 0, Session),
    cmd!(
        "config",
        -2,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Container(CONFIG)
    ),
    cmd!("discard", 1, CONNECTION | FAST, 0, 0, 0, Transaction),
    cmd!("echo", 2, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("exec", 1, CONNECTION, 0, 0, 0, Transaction),
    cmd!("hello", -1, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("info", -1, CONNECTION, 0, 0, 0, Session),
    // The node's own save time: that of its last Raft snapshot (docs/commands.md).
    cmd!("lastsave", 1, CONNECTION | FAST, 0, 0, 0, Session),
    // This node's latency monitor and histograms (docs/commands.md, latency).
    cmd!(
        "latency",
        -2,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Container(LATENCY)
    ),
    cmd!("lolwut", -1, FAST, 0, 0, 0, Read(lolwut)),
    // The node's own commands, as answered by it (docs/commands.md).
    cmd!(
        "monitor",
        1,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
    cmd!("multi", 1, CONNECTION | FAST, 0, 0, 0, Transaction),
    cmd!("ping", -1, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("quit", -1, CONNECTION | FAST, 0, 0, 0, Session),
    // redraft's own: membership administration and Raft status (see docs/operations.md).
    cmd!("raft", -2, ADMIN | CONNECTION, 0, 0, 0, Container(RAFT)),
    cmd!("reset", 1, CONNECTION | FAST | NOSCRIPT, 0, 0, 0, Session),
    // The node's place in Raft, in the shape of Redis's replication roles.
    cmd!("role", 1, CONNECTION | FAST | NOSCRIPT, 0, 0, 0, Session),
    // A Raft snapshot of this node's replica, answered once it is stored.
    cmd!("save", 1, ADMIN | NOSCRIPT, 0, 0, 0, Session),
    cmd!("select", 2, CONNECTION | FAST, 0, 0, 0, Session),
    // This node's slow log (docs/commands.md, slowlog).
    cmd!(
        "slowlog",
        -2,
        ADMIN | CONNECTION,
        0,
        0,
        0,
        Container(SLOWLOG)
    ),
    cmd!("time", 1, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("unwatch", 1, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("wait", 3, CONNECTION | NOSCRIPT, 0, 0, 0, Session),
    cmd!("watch", -2, CONNECTION | FAST, 1, -1, 1, Transaction),
];

/// CONFIG's subcommands: GET reads node parameters too, so the session answers it; SET
/// changes the replicated configuration (the session answers a SET of the node's own
/// parameters, slowlog-* and latency-monitor-threshold, itself); RESETSTAT clears the node's
/// counters.
static CONFIG: &[CommandSpec] = &[
    cmd!(
        "config|get",
        -3,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
    cmd!(
        "config|resetstat",
        2,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
    cmd!(
        "config|set",
        -4,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Write(config_set)
    ),
];

/// CLIENT's subcommands, all answered by the client's node about its own connections.
static CLIENT: &[CommandSpec] = &[
    // Client-side caching, per node (docs/commands.md, client).
    cmd!("client|caching", 3, CONNECTION, 0, 0, 0, Session),
    cmd!("client|getname", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("client|getredir", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("client|id", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("client|info", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("client|kill", -3, CLIENT_ADMIN, 0, 0, 0, Session),
    cmd!("client|list", -2, CLIENT_ADMIN, 0, 0, 0, Session),
    cmd!("client|no-evict", 3, CLIENT_ADMIN, 0, 0, 0, Session),
    cmd!(
        "client|no-touch",
        3,
        NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
    cmd!("client|pause", -3, CLIENT_ADMIN, 0, 0, 0, Session),
    cmd!("client|reply", 3, NOSCRIPT | CONNECTION, 0, 0, 0, Session),
    cmd!("client|setinfo", 4, CONNECTION, 0, 0, 0, Session),
    cmd!("client|setname", 3, CONNECTION, 0, 0, 0, Session),
    cmd!("client|tracking", -3, CONNECTION, 0, 0, 0, Session),
    cmd!("client|trackinginfo", 2, CONNECTION, 0, 0, 0, Session),
    // Answered by the client's node (its own blocked clients; see docs/commands.md).
    cmd!("client|unblock", -3, CONNECTION, 0, 0, 0, Session),
    cmd!("client|unpause", 2, CLIENT_ADMIN, 0, 0, 0, Session),
];

/// SLOWLOG's subcommands: the node's log of slow commands, answered by the session.
static SLOWLOG: &[CommandSpec] = &[
    cmd!("slowlog|get", -2, ADMIN | CONNECTION, 0, 0, 0, Session),
    cmd!("slowlog|help", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("slowlog|len", 2, ADMIN | CONNECTION, 0, 0, 0, Session),
    cmd!("slowlog|reset", 2, ADMIN | CONNECTION, 0, 0, 0, Session),
];

/// LATENCY's subcommands: the node's latency events and per-command histograms, answered by
/// the session (GRAPH is not served).
static LATENCY: &[CommandSpec] = &[
    cmd!(
        "latency|doctor",
        2,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
    cmd!("latency|help", 2, CONNECTION, 0, 0, 0, Session),
    cmd!(
        "latency|histogram",
        -2,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
    cmd!(
        "latency|history",
        3,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
    cmd!(
        "latency|latest",
        2,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
    cmd!(
        "latency|reset",
        -2,
        ADMIN | NOSCRIPT | CONNECTION,
        0,
        0,
        0,
        Session
    ),
];

/// The flags of CLIENT's administrative subcommands (KILL, LIST, PAUSE ...), as in Redis 7.0.
const CLIENT_ADMIN: u32 = ADMIN | NOSCRIPT | CONNECTION;

/// RAFT's subcommands: membership changes and status, answered by the server.
static RAFT: &[CommandSpec] = &[
    cmd!("raft|addlearner", 4, ADMIN | CONNECTION, 0, 0, 0, Cluster),
    cmd!("raft|digest", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster),
    cmd!("raft|help", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("raft|members", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster),
    cmd!("raft|promote", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster),
    cmd!("raft|remove", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster),
    cmd!("raft|status", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster),
    cmd!("raft|transfer", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster),
];

/// CONFIG SET parameter value [parameter value ...], for the replicated parameters:
/// requirepass (the default user's password, see [`crate::acl::users::Users::set_default_password`]) and the
/// configuration of config.rs, all or nothing.
fn config_set(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let pairs = &argv[2..];
    if !pairs.len().is_multiple_of(2) {
        return Err(args::syntax_error());
    }
    let (passwords, others): (Vec<Pair>, Vec<Pair>) = pairs
        .chunks(2)
        .partition(|pair| pair[0].eq_ignore_ascii_case(REQUIREPASS));
    if let [_, second, ..] = passwords.as_slice() {
        return Err(Reply::error(format!(
            "ERR CONFIG SET failed (possibly related to argument '{}') - duplicate parameter",
            args::text(&second[0])
        )));
    }
    let config = ctx.keyspace.encoding.with_pairs(&others.concat())?;
    ctx.keyspace.set_config(config);
    if let Some(pair) = passwords.first() {
        std::sync::Arc::make_mut(&mut ctx.keyspace.users).set_default_password(&pair[1]);
    }
    Ok(Reply::ok())
}

/// A parameter and its value.
type Pair<'a> = &'a [Vec<u8>];

/// The parameter that sets the default user's password.
const REQUIREPASS: &[u8] = b"requirepass";

/// LOLWUT [VERSION version [argument ...]]: Redis 7.0 answers "Redis ver. <version>" and a
/// newline, except that VERSION 5 and 6 draw the art of those releases (random in Redis)
/// above the version line. Here those forms take their integer arguments as Redis does
/// (VERSION 5 up to three, 6 up to two; the rest are ignored) and answer the version line
/// alone, the same on every node (docs/commands.md). As in Redis, VERSION is read only when
/// a value follows it, and the value is cut to 32 bits unsigned (2^32 + 5 is 5).
fn lolwut(_ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() >= 3 && args::is(&argv[1], "VERSION") {
        let version = args::int_arg(&argv[2])? as u32;
        let arguments = match version {
            5 => 3,
            6 => 2,
            _ => 0,
        };
        for argument in argv[3..].iter().take(arguments) {
            args::int_arg(argument)?;
        }
    }
    Ok(Reply::bulk(format!("Redis ver. {REDIS_VERSION}\n")))
}

#[cfg(test)]
mod tests {
    use crate::args::NOT_INTEGER;
    use crate::testutil::{bulk, err, read};
    use crate::Engine;

    #[test]
    fn lolwut_answers_the_version_line_and_checks_the_arguments_redis_reads() {
        let e = Engine::new();
        let version = bulk("Redis ver. 7.4.0\n");
        for line in [
            "LOLWUT",
            "lolwut version 7",
            "LOLWUT VERSION -1",
            "LOLWUT VERSION 5 1 1 1 x",
            "LOLWUT VERSION 6 10 10 x",
            "LOLWUT VERSION 4 x",
            // VERSION without a value is no option, nor is anything else.
            "LOLWUT VERSION",
            "LOLWUT 5 x",
        ] {
            assert_eq!(read(&e, 1000, line), version, "{line}");
        }
        for line in [
            "LOLWUT VERSION x",
            "LOLWUT VERSION 5 1 1 x",
            "LOLWUT VERSION 6 x",
            "LOLWUT VERSION 6 1 x",
            // 2^32 + 5 is 5 once cut to 32 bits.
            "LOLWUT VERSION 4294967301 x",
        ] {
            assert_eq!(read(&e, 1000, line), err(NOT_INTEGER), "{line}");
        }
        assert!(!crate::table::lookup(b"lolwut").unwrap().is_write());
        // @read @fast, as in Redis 7.0, although it reads no key.
        for category in ["read", "fast"] {
            let listed =
                crate::testutil::show(&read(&e, 1000, ["ACL", "CAT", category].as_slice()));
            let names: Vec<&str> = listed.trim_matches(['[', ']']).split(' ').collect();
            assert!(names.contains(&"lolwut"), "{category}");
        }
    }
}
