//! ACL users as replicated state (Redis 7.0's ACL): who may log in with which password, and
//! which commands, keys and channels each user may touch. ACL SETUSER and DELUSER are writes
//! (a user created on one node logs in on every node); the server authenticates its clients
//! and checks each command against this table on the client's node, through
//! `Engine::authenticate` and `Engine::check_permission`.

pub(crate) mod catalog;
pub(crate) mod category;
pub(crate) mod check;
pub(crate) mod commands;
pub(crate) mod derive;
pub(crate) mod selector;
pub(crate) mod user;
pub(crate) mod users;

use crate::spec::{
    cmd, CommandSpec,
    Kind::{Container, Read, Session, Write},
    ADMIN, NOSCRIPT,
};
use commands::{cat, deluser, dryrun, genpass, getuser, help, list, setuser, users};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[cmd!("acl", -2, 0, 0, 0, 0, Container(ACL))];

/// ACL's subcommands. WHOAMI and LOG are the client's node's (its connection's user, its
/// refusals); SAVE and LOAD (an ACL file per node) are not served.
static ACL: &[CommandSpec] = &[
    cmd!("acl|cat", -2, NOSCRIPT, 0, 0, 0, Read(cat)),
    cmd!("acl|deluser", -3, ADMIN | NOSCRIPT, 0, 0, 0, Write(deluser)),
    cmd!("acl|dryrun", -4, ADMIN | NOSCRIPT, 0, 0, 0, Read(dryrun)),
    cmd!("acl|genpass", -2, NOSCRIPT, 0, 0, 0, Read(genpass)),
    cmd!("acl|getuser", 3, ADMIN | NOSCRIPT, 0, 0, 0, Read(getuser)),
    cmd!("acl|help", 2, 0, 0, 0, 0, Read(help)),
    cmd!("acl|list", 2, ADMIN | NOSCRIPT, 0, 0, 0, Read(list)),
    cmd!("acl|log", -2, ADMIN | NOSCRIPT, 0, 0, 0, Session),
    cmd!("acl|setuser", -3, ADMIN | NOSCRIPT, 0, 0, 0, Write(setuser)),
    cmd!("acl|users", 2, ADMIN | NOSCRIPT, 0, 0, 0, Read(users)),
    cmd!("acl|whoami", 2, NOSCRIPT, 0, 0, 0, Session),
];

#[cfg(test)]
mod tests;
