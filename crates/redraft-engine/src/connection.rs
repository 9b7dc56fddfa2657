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
        summary: "Proves the connection's identity with a password, or a user name and password",
        complexity: "O(N) in the number of passwords the user has",
        history: "6.0.0 A user name may precede the password.",
        args: "?username:string@6.0.0 password:string",
    ),
    // A Raft snapshot of this node's replica, in the background (docs/commands.md, bgsave).
    cmd!(
        "bgsave", -1, ADMIN | NOSCRIPT, 0, 0, 0, Session,
        flags: "no_async_loading",
        docs: "server 1.0.0",
        summary: "Starts writing the node's snapshot in the background",
        complexity: "O(1) to start; the snapshot itself is O(N) in the dataset",
        history: "3.2.2 SCHEDULE was introduced.",
        args: "?schedule:pure-token=SCHEDULE@3.2.2",
    ),
    cmd!(
        "client", -2, CONNECTION, 0, 0, 0, Container(CLIENT),
        docs: "connection 2.4.0",
        summary: "Container of the commands about client connections",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "command", -1, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output_order",
        docs: "server 2.8.13",
        summary: "Describes the commands the server knows",
        complexity: "O(N), N being the number of commands in the table",
    ),
    cmd!(
        "config", -2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Container(CONFIG),
        docs: "server 2.0.0",
        summary: "Container of the commands that read and change server parameters",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "discard", 1, CONNECTION | FAST, 0, 0, 0, Transaction,
        flags: "noscript loading stale allow_busy",
        docs: "transactions 2.0.0",
        summary: "Drops the commands queued since MULTI and leaves the transaction",
        complexity: "O(N) in the number of queued commands",
    ),
    cmd!(
        "echo", 2, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 1.0.0",
        summary: "Replies with its argument",
        complexity: "O(1)",
        args: "message:string",
    ),
    cmd!(
        "exec", 1, CONNECTION, 0, 0, 0, Transaction,
        flags: "noscript loading stale skip_slowlog",
        docs: "transactions 1.2.0",
        summary: "Runs every command queued since MULTI, as one unit",
        complexity: "The sum of the queued commands' own costs",
    ),
    cmd!(
        "hello", -1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "noscript loading stale no_auth allow_busy",
        docs: "connection 6.0.0",
        summary: "Negotiates the protocol version, optionally authenticating and naming the client",
        complexity: "O(1)",
        history: "6.2.0 The protocol version became optional, and without arguments the reply describes the connection.",
        args: "?arguments:block(protover:integer ?username_password:block=AUTH(username:string password:string) ?clientname:string=SETNAME)",
    ),
    cmd!(
        "info", -1, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        docs: "server 1.0.0",
        summary: "Reports the server's state and statistics, section by section",
        complexity: "O(1)",
        history: "7.0.0 Takes several sections at once.",
        args: "?*section:string",
    ),
    // The node's own save time: that of its last Raft snapshot (docs/commands.md).
    cmd!(
        "lastsave", 1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output",
        docs: "server 1.0.0",
        summary: "Gives the Unix time of the last successful snapshot",
        complexity: "O(1)",
    ),
    // This node's latency monitor and histograms (docs/commands.md, latency).
    cmd!(
        "latency", -2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Container(LATENCY),
        docs: "server 2.8.13",
        summary: "Container of the latency-monitor commands",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "lolwut", -1, FAST, 0, 0, 0, Read(lolwut),
        docs: "server 5.0.0",
        summary: "Shows a small piece of art together with the server's version",
        args: "?version:integer=VERSION",
    ),
    // The node's own commands, as answered by it (docs/commands.md).
    cmd!(
        "monitor", 1, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 1.0.0",
        summary: "Streams back every command the server processes, as it processes it",
    ),
    cmd!(
        "multi", 1, CONNECTION | FAST, 0, 0, 0, Transaction,
        flags: "noscript loading stale allow_busy",
        docs: "transactions 1.2.0",
        summary: "Opens a transaction: later commands are queued until EXEC",
        complexity: "O(1)",
    ),
    cmd!(
        "ping", -1, CONNECTION | FAST, 0, 0, 0, Session,
        tips: "request_policy:all_shards response_policy:all_succeeded",
        docs: "connection 1.0.0",
        summary: "Checks that the connection is alive, optionally echoing a message",
        complexity: "O(1)",
        args: "?message:string",
    ),
    cmd!(
        "quit", -1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "noscript loading stale no_auth allow_busy",
        docs: "connection 1.0.0",
        summary: "Asks the server to close this connection",
        complexity: "O(1)",
    ),
    // redraft's own: membership administration and Raft status (see docs/operations.md).
    cmd!(
        "raft", -2, ADMIN | CONNECTION, 0, 0, 0, Container(RAFT),
        docs: "cluster 0.1.0",
        summary: "Container of redraft's Raft membership and status commands",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "reset", 1, CONNECTION | FAST | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale no_auth allow_busy",
        docs: "connection 6.2.0",
        summary: "Returns the connection to its initial state",
        complexity: "O(1)",
    ),
    // The node's place in Raft, in the shape of Redis's replication roles.
    cmd!(
        "role", 1, CONNECTION | FAST | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.8.12",
        summary: "Tells whether this node leads or follows, in the shape of a replication role",
        complexity: "O(1)",
    ),
    // A Raft snapshot of this node's replica, answered once it is stored.
    cmd!(
        "save", 1, ADMIN | NOSCRIPT, 0, 0, 0, Session,
        flags: "no_async_loading no_multi",
        docs: "server 1.0.0",
        summary: "Writes the node's snapshot now, in the foreground",
        complexity: "O(N), N being the number of keys",
    ),
    cmd!(
        "select", 2, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 1.0.0",
        summary: "Switches the connection to another numbered database",
        complexity: "O(1)",
        args: "index:integer",
    ),
    // This node's slow log (docs/commands.md, slowlog).
    cmd!(
        "slowlog", -2, ADMIN | CONNECTION, 0, 0, 0, Container(SLOWLOG),
        docs: "server 2.2.12",
        summary: "Container of the commands that read and reset the slow log",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "time", 1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output",
        docs: "server 2.6.0",
        summary: "Gives the server's clock as seconds and microseconds",
        complexity: "O(1)",
    ),
    cmd!(
        "unwatch", 1, CONNECTION | FAST, 0, 0, 0, Session,
        flags: "noscript loading stale allow_busy",
        docs: "transactions 2.2.0",
        summary: "Stops watching every key this connection watches",
        complexity: "O(1)",
    ),
    cmd!(
        "wait", 3, CONNECTION | NOSCRIPT, 0, 0, 0, Session,
        tips: "request_policy:all_shards response_policy:agg_min",
        docs: "generic 3.0.0",
        summary: "Waits until earlier writes are acknowledged by a number of replicas, or a timeout passes",
        complexity: "O(1)",
        args: "numreplicas:integer timeout:integer",
    ),
    cmd!(
        "watch", -2, CONNECTION | FAST, 1, -1, 1, Transaction,
        flags: "noscript loading stale allow_busy",
        keys: "RO @1 -1/1/0",
        docs: "transactions 2.2.0",
        summary: "Marks keys whose change before EXEC aborts the transaction",
        complexity: "O(1) per key named",
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
        summary: "Reads the parameters whose names match the patterns given",
        complexity: "O(N), N being the number of parameters",
        history: "7.0.0 Takes several patterns at once.",
        args: "*parameter:block(parameter:string)",
    ),
    cmd!(
        "config|help", 2, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 5.0.0",
        summary: "Lists CONFIG's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "config|resetstat", 2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.0.0",
        summary: "Sets the server's statistics counters back to zero",
        complexity: "O(1)",
    ),
    cmd!(
        "config|rewrite", 2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.8.0",
        summary: "Writes the running parameters back to the configuration file",
        complexity: "O(1)",
    ),
    cmd!(
        "config|set", -4, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Write(config_set),
        flags: "loading stale",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        docs: "server 2.0.0",
        summary: "Changes one or more parameters at run time",
        complexity: "O(N), N being the number of parameters given",
        history: "7.0.0 Takes several parameter-value pairs at once.",
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
        summary: "Tells client-side tracking whether to track the next command's keys",
        complexity: "O(1)",
        args: "mode:oneof(yes:pure-token=YES no:pure-token=NO)",
    ),
    cmd!(
        "client|getname", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 2.6.9",
        summary: "Gives the name this connection set for itself",
        complexity: "O(1)",
    ),
    cmd!(
        "client|getredir", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 6.0.0",
        summary: "Gives the id of the client tracking invalidations go to",
        complexity: "O(1)",
    ),
    cmd!(
        "client|id", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 5.0.0",
        summary: "Gives this connection's unique id",
        complexity: "O(1)",
    ),
    cmd!(
        "client|info", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        tips: "nondeterministic_output",
        docs: "connection 6.2.0",
        summary: "Describes this connection in CLIENT LIST's format",
        complexity: "O(1)",
    ),
    cmd!(
        "client|kill", -3, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 2.4.0",
        summary: "Closes the connections that match a filter",
        complexity: "O(N), N being the number of connections",
        history: "2.8.12 Filters given as name-value pairs were introduced.; 2.8.12 The ID filter was introduced.; 3.2.0 TYPE accepts master.; 5.0.0 TYPE takes replica for slave, which still works.; 6.2.0 The LADDR filter was introduced.",
        args: "filter:oneof(ip:port:string!2.8.12 *new-format:oneof(?client-id:integer=ID@2.8.12 ?normal_master_slave_pubsub:oneof=TYPE@2.8.12(normal:pure-token=NORMAL master:pure-token=MASTER@3.2.0 slave:pure-token=SLAVE replica:pure-token=REPLICA@5.0.0 pubsub:pure-token=PUBSUB) ?username:string=USER ?ip:port:string=ADDR ?ip:port:string=LADDR@6.2.0 ?yes/no:string=SKIPME))",
    ),
    cmd!(
        "client|list", -2, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output",
        docs: "connection 2.4.0",
        summary: "Describes the open connections, one line each",
        complexity: "O(N), N being the number of connections",
        history: "2.8.12 Lines show the client's id.; 5.0.0 The TYPE filter was introduced.; 6.0.0 Lines show the user.; 6.2.0 Lines show argv-mem, tot-mem, laddr and redir, and the ID filter was introduced.; 7.0.0 Lines show resp, multi-mem, rbs and rbp.; 7.0.3 Lines show ssub.",
        args: "?normal_master_replica_pubsub:oneof=TYPE@5.0.0(normal:pure-token=NORMAL master:pure-token=MASTER replica:pure-token=REPLICA pubsub:pure-token=PUBSUB) ?id:block=ID@6.2.0(*client-id:integer)",
    ),
    cmd!(
        "client|no-evict", 3, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 7.0.0",
        summary: "Sets whether this connection is exempt from client eviction",
        complexity: "O(1)",
        args: "enabled:oneof(on:pure-token=ON off:pure-token=OFF)",
    ),
    cmd!(
        "client|no-touch", 3, NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 7.2.0",
        summary: "Sets whether this connection's reads leave keys' access times alone",
        complexity: "O(1)",
        args: "enabled:oneof(on:pure-token=ON off:pure-token=OFF)",
    ),
    cmd!(
        "client|pause", -3, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 2.9.50",
        summary: "Holds back clients' commands (all, or only writes) for a while",
        complexity: "O(1)",
        history: "6.2.0 The WRITE mode was introduced.",
        args: "timeout:integer ?mode:oneof@6.2.0(write:pure-token=WRITE all:pure-token=ALL)",
    ),
    cmd!(
        "client|reply", 3, NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 3.2.0",
        summary: "Turns the server's replies to this connection on, off, or off for one command",
        complexity: "O(1)",
        args: "on_off_skip:oneof(on:pure-token=ON off:pure-token=OFF skip:pure-token=SKIP)",
    ),
    cmd!(
        "client|setinfo", 4, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 7.2.0",
        summary: "Records the client library's name or version on the connection",
        complexity: "O(1)",
        args: "attr:oneof(libname:string=LIB-NAME libver:string=LIB-VER)",
    ),
    cmd!(
        "client|setname", 3, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 2.6.9",
        summary: "Gives this connection a name",
        complexity: "O(1)",
        args: "connection-name:string",
    ),
    cmd!(
        "client|tracking", -3, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 6.0.0",
        summary: "Turns client-side caching invalidation messages on or off",
        complexity: "O(1), or O(N) in the prefixes given",
        args: "status:oneof(on:pure-token=ON off:pure-token=OFF) ?client-id:integer=REDIRECT ?*+prefix:string=PREFIX ?bcast:pure-token=BCAST ?optin:pure-token=OPTIN ?optout:pure-token=OPTOUT ?noloop:pure-token=NOLOOP",
    ),
    cmd!(
        "client|trackinginfo", 2, CONNECTION, 0, 0, 0, Session,
        flags: "noscript loading stale",
        docs: "connection 6.2.0",
        summary: "Describes this connection's client-side tracking settings",
        complexity: "O(1)",
    ),
    // Answered by the client's node (its own blocked clients; see docs/commands.md).
    cmd!(
        "client|unblock", -3, CONNECTION, 0, 0, 0, Session,
        flags: "admin noscript loading stale",
        docs: "connection 5.0.0",
        summary: "Wakes a client blocked in a blocking command, with a timeout or an error",
        complexity: "O(log N), N being the number of connections",
        args: "client-id:integer ?timeout_error:oneof(timeout:pure-token=TIMEOUT error:pure-token=ERROR)",
    ),
    cmd!(
        "client|unpause", 2, CLIENT_ADMIN, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "connection 6.2.0",
        summary: "Ends a CLIENT PAUSE early",
        complexity: "O(N), N being the number of paused clients",
    ),
];

/// SLOWLOG's subcommands: the node's log of slow commands, answered by the session.
static SLOWLOG: &[CommandSpec] = &[
    cmd!(
        "slowlog|get", -2, ADMIN | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "request_policy:all_nodes nondeterministic_output",
        docs: "server 2.2.12",
        summary: "Gives the newest entries of the slow log",
        complexity: "O(N), N being the number of entries given",
        history: "4.0.0 Entries show the client's address and name.",
        args: "?count:integer",
    ),
    cmd!(
        "slowlog|help", 2, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 6.2.0",
        summary: "Lists SLOWLOG's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "slowlog|len", 2, ADMIN | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
        docs: "server 2.2.12",
        summary: "Counts the entries in the slow log",
        complexity: "O(1)",
    ),
    cmd!(
        "slowlog|reset", 2, ADMIN | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        docs: "server 2.2.12",
        summary: "Empties the slow log",
        complexity: "O(N), N being the number of entries",
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
        summary: "Reads the latency monitor's samples and reports on them in prose",
        complexity: "O(1)",
    ),
    cmd!(
        "latency|help", 2, CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 2.8.13",
        summary: "Lists LATENCY's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "latency|histogram", -2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        docs: "server 7.0.0",
        summary: "Gives per-command latency histograms",
        complexity: "O(N), N being the number of commands asked for",
        args: "?*command:string",
    ),
    cmd!(
        "latency|history", 3, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        docs: "server 2.8.13",
        summary: "Gives the recorded samples of one latency event",
        complexity: "O(1)",
        args: "event:string",
    ),
    cmd!(
        "latency|latest", 2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
        docs: "server 2.8.13",
        summary: "Gives the latest sample of every latency event",
        complexity: "O(1)",
    ),
    cmd!(
        "latency|reset", -2, ADMIN | NOSCRIPT | CONNECTION, 0, 0, 0, Session,
        flags: "loading stale",
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        docs: "server 2.8.13",
        summary: "Drops the samples of some or all latency events",
        complexity: "O(1)",
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
        summary: "Adds a node to the Raft cluster as a learner that receives the log but does not vote",
        complexity: "O(1)",
        args: "id:integer raft-address:string",
    ),
    cmd!(
        "raft|digest", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        summary: "Gives a digest of this node's applied state, for comparing replicas",
        complexity: "O(N), N being the number of keys",
    ),
    cmd!(
        "raft|help", 2, CONNECTION, 0, 0, 0, Session,
        docs: "cluster 0.1.0",
        summary: "Lists RAFT's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "raft|members", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        summary: "Lists the Raft cluster's voters and learners",
        complexity: "O(N), N being the number of members",
    ),
    cmd!(
        "raft|promote", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        summary: "Makes a learner a voting member of the Raft cluster",
        complexity: "O(1)",
        args: "id:integer",
    ),
    cmd!(
        "raft|remove", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        summary: "Takes a node out of the Raft cluster",
        complexity: "O(1)",
        args: "id:integer",
    ),
    cmd!(
        "raft|status", 2, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        summary: "Reports this node's Raft state: term, leader, log indexes",
        complexity: "O(1)",
    ),
    cmd!(
        "raft|transfer", 3, ADMIN | CONNECTION, 0, 0, 0, Cluster,
        docs: "cluster 0.1.0",
        summary: "Hands leadership to another voting member",
        complexity: "O(1)",
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
