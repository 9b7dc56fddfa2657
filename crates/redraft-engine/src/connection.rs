//! Commands the client's session answers itself (connection state and server information).
//! They are in the table so that the dispatcher knows their arity and COMMAND lists them; the
//! server crate implements them. CONFIG is in config.rs: its SET is replicated.

use crate::table::{cmd, CommandSpec, Kind::Session, ADMIN, CONNECTION, FAST};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("client", -2, CONNECTION, 0, 0, 0, Session),
    cmd!("command", -1, CONNECTION, 0, 0, 0, Session),
    cmd!("echo", 2, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("hello", -1, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("info", -1, CONNECTION, 0, 0, 0, Session),
    cmd!("ping", -1, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("quit", -1, CONNECTION | FAST, 0, 0, 0, Session),
    // redraft's own: membership administration and Raft status (see docs/operations.md).
    cmd!("raft", -2, ADMIN | CONNECTION, 0, 0, 0, Session),
    cmd!("select", 2, CONNECTION | FAST, 0, 0, 0, Session),
    cmd!("time", 1, CONNECTION | FAST, 0, 0, 0, Session),
];
