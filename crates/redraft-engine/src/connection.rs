//! Connection and server commands: those the client's session answers itself (connection
//! state and server information), RAFT, which the server answers against the cluster, and
//! CONFIG, whose GET is the session's and whose SET of the replicated configuration (config.rs)
//! is a write. They are in the table so that the dispatcher knows their arity and subcommands
//! and COMMAND lists them; the server crate implements all but CONFIG SET.

use crate::args;
use crate::config::{set_failed, REQUIREPASS};
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
    cmd!(
        "auth", -2, CONNECTION | FAST | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale no_auth allow_busy",
        docs: "connection 1.0.0",
        args: "?username:string@6.0.0 password:string",
    ),
    // A Raft snapshot of this node's replica, in the background (docs/commands.md, bgsave).
    cmd!(
        "bgsave", -1, ADMIN | NOSCRIPT, 0, 0, 0, Session,
        flags: "no_async_loading",
        docs: "server 1.0.0",
        args: "?schedule:pure-token=SCHEDULE@3.2.2",
    ),
    cmd!("client", -2, CONNECTION, 0, 0, 0, Container(CLIENT), docs: "connection 2.4.0"),
    cmd!(
        "command", -1, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output_order",
        docs: "server 2.8.13",
    ),
    cmd!(
        "config", -2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Container(CONFIG),
        docs: "server 2.0.0",
    ),
    cmd!(
        "discard", 1, CONNECTION | FAST, 0, 0, 0, Transaction,
        flags: "noscript loading stale allow_busy",
        docs: "transactions 2.0.0",
    ),
    cmd!(
        "echo", 2, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 1.0.0",
        args: "message:string",
    ),
    cmd!(
        "exec", 1, CONNECTION, 0, 0, 0, Transaction,
        flags: "noscript loading stale skip_slowlog",
        docs: "transactions 1.2.0",
    ),
    cmd!(
        "hello", -1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "noscript loading stale no_auth allow_busy",
        docs: "connection 6.0.0",
        args: "?arguments:block(protover:integer ?username_password:block=AUTH(username:string password:string) ?clientname:string=SETNAME)",
    ),
    cmd!(
        "info", -1, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        docs: "server 1.0.0",
        args: "?*section:string",
    ),
    // The node's own save time: that of its last Raft snapshot (docs/commands.md).
    cmd!(
        "lastsave", 1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output",
        docs: "server 1.0.0",
    ),
    // This node's latency monitor and histograms (docs/commands.md, latency).
    cmd!(
        "latency", -2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Container(LATENCY),
        docs: "server 2.8.13",
    ),
    cmd!(
        "lolwut", -1, FAST, 0, 0, 0, Read(lolwut),
        docs: "server 5.0.0",
        args: "?version:integer=VERSION",
    ),
    // The node's own commands, as answered by it (docs/commands.md).
    cmd!(
        "monitor", 1, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
    ),
    cmd!(
        "multi", 1, CONNECTION | FAST, 0, 0, 0, Transaction,
        flags: "noscript loading stale allow_busy",
        docs: "transactions 1.2.0",
    ),
    cmd!(
        "ping", -1, CONNECTION | FAST, 0, 0, 0, Session,
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "connection 1.0.0",
        args: "?message:string",
    ),
    cmd!(
        "quit", -1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "noscript loading stale no_auth allow_busy",
        docs: "connection 1.0.0",
    ),
    // redraft's own: membership administration and Raft status (see docs/operations.md).
    cmd!("raft", -2, ADMIN | CONNECTION, 0, 0, 0, Container(RAFT), docs: "cluster 0.1.0"),
    cmd!(
        "reset", 1, CONNECTION | FAST | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale no_auth allow_busy",
        docs: "connection 6.2.0",
    ),
    // The node's place in Raft, in the shape of Redis's replication roles.
    cmd!(
        "role", 1, CONNECTION | FAST | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.8.12",
    ),
    // A Raft snapshot of this node's replica, answered once it is stored.
    cmd!(
        "save", 1, ADMIN | NOSCRIPT, 0, 0, 0, Session,
        flags: "no_async_loading no_multi",
        docs: "server 1.0.0",
    ),
    cmd!(
        "select", 2, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 1.0.0",
        args: "index:integer",
    ),
    // This node's slow log (docs/commands.md, slowlog).
    cmd!("slowlog", -2, ADMIN | CONNECTION, 0, 0, 0, Container(SLOWLOG), docs: "server 2.2.12"),
    cmd!(
        "time", 1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output",
        docs: "server 2.6.0",
    ),
    cmd!(
        "unwatch", 1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "noscript loading stale allow_busy",
        docs: "transactions 2.2.0",
    ),
    cmd!(
        "wait", 3, CONNECTION | NOSCRIPT, 0, 0, 0, Session,
        tips: "request_policy:all_shards response_policy:agg_min",
        docs: "generic 3.0.0",
        args: "numreplicas:integer timeout:integer",
    ),
    cmd!(
        "watch", -2, CONNECTION | FAST, 1, -1, 1, Transaction,
        flags: "noscript loading stale allow_busy",
        keys: "RO @1 -1/1/0",
        docs: "transactions 2.2.0",
        args: "*key:key#0",
    ),
];

/// CONFIG's subcommands: GET reads node parameters too, so the session answers it; SET
/// changes the replicated configuration (the session answers a SET that names one of the
/// node's own parameters itself, see the server's node_params.rs); RESETSTAT clears the node's
/// counters; REWRITE writes the node's config file; HELP.
static CONFIG: &[CommandSpec] = &[
    cmd!(
        "config|get", -3, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.0.0",
        args: "*parameter:block(parameter:string)",
    ),
    cmd!(
        "config|help", 2, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 5.0.0",
    ),
    cmd!(
        "config|resetstat", 2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.0.0",
    ),
    cmd!(
        "config|rewrite", 2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.8.0",
    ),
    cmd!(
        "config|set", -4, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Write(config_set),
        flags: "loading stale",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        docs: "server 2.0.0",
        args: "*parameter_value:block(parameter:string value:string)",
    ),
];

/// CLIENT's subcommands, all answered by the client's node about its own connections.
static CLIENT: &[CommandSpec] = &[
    // Client-side caching, per node (docs/commands.md, client).
    cmd!(
        "client|caching", 3, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 6.0.0",
        args: "mode:oneof(yes:pure-token=YES no:pure-token=NO)",
    ),
    cmd!(
        "client|getname", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 2.6.9",
    ),
    cmd!(
        "client|getredir", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 6.0.0",
    ),
    cmd!(
        "client|id", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 5.0.0",
    ),
    cmd!(
        "client|info", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        tips: "nondeterministic_output",
        docs: "connection 6.2.0",
    ),
    cmd!(
        "client|kill", -3, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 2.4.0",
        args: "filter:oneof(ip:port:string!2.8.12 *new-format:oneof(?client-id:integer=ID@2.8.12 ?normal_master_slave_pubsub:oneof=TYPE@2.8.12(normal:pure-token=NORMAL master:pure-token=MASTER@3.2.0 slave:pure-token=SLAVE replica:pure-token=REPLICA@5.0.0 pubsub:pure-token=PUBSUB) ?username:string=USER ?ip:port:string=ADDR ?ip:port:string=LADDR@6.2.0 ?yes/no:string=SKIPME))",
    ),
    cmd!(
        "client|list", -2, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output",
        docs: "connection 2.4.0",
        args: "?normal_master_replica_pubsub:oneof=TYPE@5.0.0(normal:pure-token=NORMAL master:pure-token=MASTER replica:pure-token=REPLICA pubsub:pure-token=PUBSUB) ?id:block=ID@6.2.0(*client-id:integer)",
    ),
    cmd!(
        "client|no-evict", 3, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 7.0.0",
        args: "enabled:oneof(on:pure-token=ON off:pure-token=OFF)",
    ),
    cmd!(
        "client|no-touch", 3, NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 7.2.0",
        args: "enabled:oneof(on:pure-token=ON off:pure-token=OFF)",
    ),
    cmd!(
        "client|pause", -3, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 2.9.50",
        args: "timeout:integer ?mode:oneof@6.2.0(write:pure-token=WRITE all:pure-token=ALL)",
    ),
    cmd!(
        "client|reply", 3, NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 3.2.0",
        args: "on_off_skip:oneof(on:pure-token=ON off:pure-token=OFF skip:pure-token=SKIP)",
    ),
    cmd!(
        "client|setinfo", 4, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 7.2.0",
        args: "attr:oneof(libname:string=LIB-NAME libver:string=LIB-VER)",
    ),
    cmd!(
        "client|setname", 3, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 2.6.9",
        args: "connection-name:string",
    ),
    cmd!(
        "client|tracking", -3, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 6.0.0",
        args: "status:oneof(on:pure-token=ON off:pure-token=OFF) ?client-id:integer=REDIRECT ?*+prefix:string=PREFIX ?bcast:pure-token=BCAST ?optin:pure-token=OPTIN ?optout:pure-token=OPTOUT ?noloop:pure-token=NOLOOP",
    ),
    cmd!(
        "client|trackinginfo", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 6.2.0",
    ),
    // Answered by the client's node (its own blocked clients; see docs/commands.md).
    cmd!(
        "client|unblock", -3, CONNECTION, 0, 0, 0, Session,
        flags: "admin noscript loading stale",
        docs: "connection 5.0.0",
        args: "client-id:integer ?timeout_error:oneof(timeout:pure-token=TIMEOUT error:pure-token=ERROR)",
    ),
    cmd!(
        "client|unpause", 2, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 6.2.0",
    ),
];

/// SLOWLOG's subcommands: the node's log of slow commands, answered by the session.
static SLOWLOG: &[CommandSpec] = &[
    cmd!(
        "slowlog|get", -2, ADMIN | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "request_policy:all_nodes nondeterministic_output",
        docs: "server 2.2.12",
        args: "?count:integer",
    ),
    cmd!(
        "slowlog|help", 2, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 6.2.0",
    ),
    cmd!(
        "slowlog|len", 2, ADMIN | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
        docs: "server 2.2.12",
    ),
    cmd!(
        "slowlog|reset", 2, ADMIN | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        docs: "server 2.2.12",
    ),
];

/// LATENCY's subcommands: the node's latency events and per-command histograms, answered by
/// the session (GRAPH is not served).
static LATENCY: &[CommandSpec] = &[
    cmd!(
        "latency|doctor", 2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        docs: "server 2.8.13",
    ),
    cmd!(
        "latency|help", 2, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.8.13",
    ),
    cmd!(
        "latency|histogram", -2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        docs: "server 7.0.0",
        args: "?*command:string",
    ),
    cmd!(
        "latency|history", 3, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        docs: "server 2.8.13",
        args: "event:string",
    ),
    cmd!(
        "latency|latest", 2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        docs: "server 2.8.13",
    ),
    cmd!(
        "latency|reset", -2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        docs: "server 2.8.13",
        args: "?*event:string",
    ),
];

/// The flags of CLIENT's administrative subcommands (KILL, LIST, PAUSE ...), as in Redis 7.0.
const CLIENT_ADMIN: u32 = ADMIN | NOSCRIPT | CONNECTION;

/// RAFT's subcommands: membership changes and status, answered by the server.
static RAFT: &[CommandSpec] = &[
    cmd!(
        "raft|addlearner", 4, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        args: "id:integer raft-address:string",
    ),
    cmd!("raft|digest", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster, docs: "cluster 0.1.0"),
    cmd!("raft|help", 2, CONNECTION, 0, 0, 0, Session, docs: "cluster 0.1.0"),
    cmd!("raft|members", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster, docs: "cluster 0.1.0"),
    cmd!(
        "raft|promote", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        args: "id:integer",
    ),
    cmd!(
        "raft|remove", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        args: "id:integer",
    ),
    cmd!("raft|status", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster, docs: "cluster 0.1.0"),
    cmd!(
        "raft|transfer", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        args: "id:integer",
    ),
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
        .partition(|pair| args::is(&pair[0], REQUIREPASS));
    if let [_, second, ..] = passwords.as_slice() {
        return Err(set_failed(&second[0], "duplicate parameter"));
    }
    let config = ctx.keyspace.encoding.with_pairs(&others.concat())?;
    ctx.keyspace.set_config(config);
    if let Some(pair) = passwords.first() {
        std::sync::Arc::make_mut(&mut ctx.keyspace.users).set_default_password(&pair[1]);
    }
    Ok(Reply::ok())
}

/// Commands that only the log carries; a client that sends one is told it is unknown.
pub(crate) static INTERNAL: &[CommandSpec] = &[cmd!(
    "config-set-initial",
    -3,
    0,
    0,
    0,
    0,
    Write(config_set_initial)
)];

/// Applies `config-set-initial`: 0 when the configuration or the users were set before, else
/// as CONFIG SET.
fn config_set_initial(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let fresh = ctx.keyspace.encoding == crate::config::EncodingConfig::default()
        && *ctx.keyspace.users == crate::acl::users::Users::default();
    if !fresh {
        return Ok(Reply::Integer(0));
    }
    let set = [b"config".to_vec(), b"set".to_vec()];
    let set: Vec<Vec<u8>> = set.into_iter().chain(argv[1..].iter().cloned()).collect();
    config_set(ctx, &set)
}

/// A parameter and its value.
type Pair<'a> = &'a [Vec<u8>];

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
