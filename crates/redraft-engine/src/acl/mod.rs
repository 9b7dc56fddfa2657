//! ACL users as replicated state (Redis 7.0's ACL): who may log in with which password, and
//! which commands, keys and channels each user may touch. ACL SETUSER and DELUSER are writes
//! (a user created on one node logs in on every node); the server authenticates its clients
//! and checks each command against this table on the client's node, through [`Access`] over
//! the users the last applied entry left (`Engine::users`), without holding the engine.

pub(crate) mod caller;
pub(crate) mod catalog;
pub(crate) mod category;
pub(crate) mod check;
pub(crate) mod commands;
pub(crate) mod derive;
pub(crate) mod file;
pub(crate) mod selector;
pub(crate) mod user;
pub(crate) mod users;

use crate::spec::{
    cmd, CommandSpec,
    Kind::{Container, Read, Session, Write},
    ADMIN, NOSCRIPT,
};
use commands::{cat, deluser, dryrun, getuser, help, list, setuser, users};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[cmd!(
    "acl", -2, 0, 0, 0, 0, Container(ACL),
    docs: "server 6.0.0",
    summary: "Container of the commands that manage users and their permissions",
    complexity: "Given by each subcommand",
)];

/// ACL's subcommands. WHOAMI and LOG are the client's node's (its connection's user, its
/// refusals), and GENPASS (the node's randomness, [`commands::genpass`]); so are SAVE and LOAD (each node has its own ACL file: LOAD puts the file's text
/// in the log, see [`file`]).
static ACL: &[CommandSpec] = &[
    cmd!(
        "acl|cat", -2, NOSCRIPT, 0, 0, 0, Read(cat),
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Names the ACL categories, or the commands in one of them",
        complexity: "O(1)",
        args: "?categoryname:string",
    ),
    cmd!(
        "acl|deluser", -3, ADMIN | NOSCRIPT, 0, 0, 0, Write(deluser),
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Removes users and closes their connections",
        complexity: "O(1) per user removed (plus their connections)",
        args: "*username:string",
    ),
    cmd!(
        "acl|dryrun", -4, ADMIN | NOSCRIPT, 0, 0, 0, Read(dryrun),
        flags: "loading stale",
        docs: "server 7.0.0",
        summary: "Tells whether a user may run a command line, without running it",
        complexity: "O(1)",
        args: "username:string command:string ?*arg:string",
    ),
    cmd!(
        "acl|genpass", -2, NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Makes a random password from the operating system's entropy source",
        complexity: "O(N), N being the bits asked for",
        args: "?bits:integer",
    ),
    cmd!(
        "acl|getuser", 3, ADMIN | NOSCRIPT, 0, 0, 0, Read(getuser),
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Describes a user's rules",
        complexity: "O(N), N being the user's rules",
        history: "6.2.0 Pub/Sub channel patterns were introduced.; 7.0.0 Selectors were introduced, and key and channel patterns are shown as rule text, no longer as lists.",
        args: "username:string",
    ),
    cmd!(
        "acl|help", 2, 0, 0, 0, 0, Read(help),
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Lists ACL's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "acl|list", 2, ADMIN | NOSCRIPT, 0, 0, 0, Read(list),
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Lists every user's rules in ACL file syntax",
        complexity: "O(N), N being the number of users",
    ),
    cmd!(
        "acl|load", 2, ADMIN | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Replaces the users with those of the ACL file",
        complexity: "O(N), N being the number of users",
    ),
    cmd!(
        "acl|log", -2, ADMIN | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Lists recent refusals by the access rules, or empties that log",
        complexity: "O(N), N being the entries listed",
        args: "?operation:oneof(count:integer reset:pure-token=RESET)",
    ),
    cmd!(
        "acl|save", 2, ADMIN | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Writes the users to the ACL file",
        complexity: "O(N), N being the number of users",
    ),
    cmd!(
        "acl|setuser", -3, ADMIN | NOSCRIPT, 0, 0, 0, Write(setuser),
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Creates a user or changes its rules",
        complexity: "O(N), N being the rules given",
        history: "6.2.0 Pub/Sub channel patterns were introduced.; 7.0.0 Selectors and read or write key permissions were introduced.",
        args: "username:string ?*rule:string",
    ),
    cmd!(
        "acl|users", 2, ADMIN | NOSCRIPT, 0, 0, 0, Read(users),
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Lists the users' names",
        complexity: "O(N), N being the number of users",
    ),
    cmd!(
        "acl|whoami", 2, NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "server 6.0.0",
        summary: "Gives the name of the user this connection runs as",
        complexity: "O(1)",
    ),
];

/// The checks a node makes for its connections, over a shared copy of the users.
#[derive(Clone, Default)]
pub struct Access(pub std::sync::Arc<users::Users>);

impl Access {
    /// Whether `password` logs in as `user` (AUTH, HELLO AUTH): the user exists, is on, and
    /// has no password (nopass) or `password` is one of its passwords.
    pub fn authenticate(&self, user: &[u8], password: &[u8]) -> bool {
        self.0
            .get(user)
            .is_some_and(|found| found.accepts(password))
    }

    /// The users as an ACL file holds them (ACL SAVE).
    pub fn acl_file(&self) -> Vec<u8> {
        file::print(crate::table::catalog(), &self.0)
    }

    /// Whether `user` exists (a connection authenticated as a user that was deleted since is
    /// closed).
    pub fn has_user(&self, user: &[u8]) -> bool {
        self.0.get(user).is_some()
    }

    /// Whether a new connection must authenticate before anything else (NOAUTH): the default
    /// user is off or has no nopass.
    pub fn default_user_requires_password(&self) -> bool {
        let default = self.0.get(users::DEFAULT_USER);
        !default.is_some_and(|user| user.enabled && user.nopass)
    }

    /// Whether `user` may run `argv` (Redis 7.0's ACL check): the command, its keys (read or
    /// written as the command reads or writes) and its channels, in the root selector or any
    /// other. Errors are Redis's NOPERM lines; a command the table does not know answers its
    /// unknown-command error, and a user that no longer exists may run nothing.
    pub fn check_permission(&self, user: &[u8], argv: &[Vec<u8>]) -> Result<(), crate::Reply> {
        let spec = crate::table::resolve(argv)?;
        self.check_command(user, spec, argv)
    }

    /// [`Access::check_permission`] of `argv` already resolved to `spec` (the server resolves
    /// each command once to route it).
    pub fn check_command(
        &self,
        user: &[u8],
        spec: &CommandSpec,
        argv: &[Vec<u8>],
    ) -> Result<(), crate::Reply> {
        caller::check(&self.0, user, spec, argv, caller::Caller::Client)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod file_tests;

#[cfg(test)]
mod caller_tests;
