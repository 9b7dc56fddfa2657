//! Commands the client's session answers itself (connection state and server information) and
//! RAFT, which the server answers against the cluster. They are in the table so that the
//! dispatcher knows their arity and subcommands and COMMAND lists them; the server crate
//! implements them. CONFIG is in config.rs: its SET is replicated.

use crate::table::{
    cmd, CommandSpec,
    Kind::{Cluster, Container, Session},
    ADMIN, CONNECTION, FAST,
};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("client", -2, CONNECTION, 0, 0, 0, Container(CLIENT)),
    cmd!("command", -1, CONNECTION, 0, 0, 0, Session),
    cmd!("echo", 2, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("hello", -1, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("info", -1, CONNECTION, 0, 0, 0, Session),
    cmd!("ping", -1, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("quit", -1, CONNECTION | FAST, 0, 0, 0, Session),
    // redraft's own: membership administration and Raft status (see docs/operations.md).
    cmd!("raft", -2, ADMIN | CONNECTION, 0, 0, 0, Container(RAFT)),
    cmd!("select", 2, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("time", 1, CONNECTION | FAST, 0, 0, 0, Session),
];

/// CLIENT's subcommands. LIST takes no filter yet (it shows only the calling connection).
static CLIENT: &[CommandSpec] = &[
    cmd!("client|getname", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("client|id", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("client|info", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("client|list", 2, CONNECTION, 0, 0, 0, Session),
    cmd!("client|setinfo", 4, CONNECTION, 0, 0, 0, Session),
    cmd!("client|setname", 3, CONNECTION, 0, 0, 0, Session),
];

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
