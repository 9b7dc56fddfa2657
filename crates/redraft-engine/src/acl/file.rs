//! The ACL file (Redis's `aclfile`): one `user <name> <rule> ...` line per user, as ACL LIST
//! writes them. ACL LOAD replaces every user with the file's, all or nothing: a node reads its
//! own file and puts its text in the log (`acl-load`), so that every replica parses the same
//! bytes into the same users, or refuses them alike with Redis 7.0's error. ACL SAVE writes
//! [`print`]'s text.

use super::catalog::Catalog;
use super::selector::RuleError;
use super::user::{merge_selector_args, User};
use super::users::{Users, DEFAULT_USER};
use crate::args::text;
use crate::event::Event;
use crate::reply::{CmdResult, Reply};
use crate::spec::{cmd, CommandSpec, Kind::Write, WriteCtx};
use std::sync::Arc;

/// The internal command that carries a node's ACL file through the log:
/// `acl-load <file name, for errors> <file text> [initial]`. With `initial` (a node started
/// with an ACL file) it loads only while the users are still as a new cluster starts, so
/// that the first node to propose it wins and a later start changes nothing.
pub const ACL_LOAD_COMMAND: &str = "acl-load";

/// Commands that only the log carries; a client that sends one is told it is unknown.
pub(crate) static INTERNAL: &[CommandSpec] = &[cmd!("acl-load", -3, 0, 0, 0, 0, Write(acl_load))];

/// `acl-load`'s last argument when a node proposes it at start.
pub const INITIAL: &str = "initial";

/// What ends every refusal of a file, as Redis 7.0 words it.
const NO_CHANGE: &str =
    "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";

/// Applies `acl-load`: the file's users replace every user (a file without the default user
/// gets a new default one), and every login but the default user's ends, as in Redis 7.0.
fn acl_load(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let initial = match argv.get(3) {
        None => false,
        Some(flag) if argv.len() == 4 && flag.as_slice() == INITIAL.as_bytes() => true,
        Some(_) => return Err(Reply::error("ERR syntax error")),
    };
    // Loaded at start: only into a cluster whose users were never set.
    if initial && *ctx.keyspace.users != Users::default() {
        return Ok(Reply::Integer(0));
    }
    let users = parse(ctx.catalog, &text(&argv[1]), &argv[2])
        .map_err(|errors| Reply::error(format!("ERR {errors}{NO_CHANGE}")))?;
    let revoked = ctx.keyspace.users.iter().map(|(name, _)| name.clone());
    let revoked = revoked.filter(|name| name != DEFAULT_USER).collect();
    ctx.keyspace.users = Arc::new(users);
    ctx.keyspace
        .events
        .push(Event::LoginsRevoked { users: revoked });
    Ok(Reply::ok())
}

/// The users of an ACL file, or Redis 7.0's account of every error in it (each ending in
/// ". "). Lines are split at single spaces, as Redis splits them: no quoting, no comments.
pub fn parse(catalog: &Catalog, file: &str, content: &[u8]) -> Result<Users, String> {
    let mut users = Users::empty();
    let mut errors = String::new();
    for (at, line) in content.split(|&b| b == b'\n').enumerate() {
        let number = at + 1;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let words: Vec<Vec<u8>> = line.split(|&b| b == b' ').map(<[u8]>::to_vec).collect();
        let [keyword, name, rules @ ..] = words.as_slice() else {
            errors += &format!(
                "{file}:{number} should start with user keyword followed by the username. "
            );
            continue;
        };
        if keyword.as_slice() != b"user" {
            errors += &format!(
                "{file}:{number} should start with user keyword followed by the username. "
            );
            continue;
        }
        if name.iter().any(|b| b.is_ascii_whitespace()) {
            errors += &format!(
                "'{file}:{number}: username '{}' contains invalid characters. ",
                text(name)
            );
            continue;
        }
        let user = match parse_rules(catalog, rules) {
            Ok(user) => user,
            Err(line_errors) => {
                for error in line_errors {
                    errors += &format!("{file}:{number}: {error}. ");
                }
                continue;
            }
        };
        if !errors.is_empty() {
            continue;
        }
        if users.get(name).is_some() {
            errors += &format!(
                "WARNING: Duplicate user '{}' found on line {number}. ",
                text(name)
            );
            continue;
        }
        users.put(name, user);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if users.get(DEFAULT_USER).is_none() {
        users.put(DEFAULT_USER, User::default_user());
    }
    Ok(users)
}

/// A new user with `rules` applied (selectors spanning words joined first), or the errors of
/// the rules that failed: every unknown command, and the first other error only (Redis 7.0
/// names no more, as that error may cause the next).
fn parse_rules(catalog: &Catalog, rules: &[Vec<u8>]) -> Result<User, Vec<String>> {
    let rules = merge_selector_args(rules).map_err(|open| {
        vec![format!(
            "Unmatched parenthesis in acl selector starting at '{}'",
            text(&open)
        )]
    })?;
    let mut user = User::new();
    let mut errors = Vec::new();
    let mut other_error = false;
    for rule in &rules {
        let rule = rule.trim_ascii_end();
        match user.apply(catalog, rule) {
            Ok(()) => {}
            Err(RuleError::UnknownCommand) => errors.push(format!(
                "Error in applying operation '{}': {}",
                text(rule),
                RuleError::UnknownCommand.text()
            )),
            Err(_) if other_error => {}
            Err(error) => {
                other_error = true;
                errors.push(error.text().to_string());
            }
        }
    }
    match errors.is_empty() {
        true => Ok(user),
        false => Err(errors),
    }
}

/// Whether `content` is an ACL file that ACL LOAD would take: None, or Redis's account of
/// its errors (a node refuses to start with a bad one, as Redis does).
pub fn file_errors(file: &str, content: &[u8]) -> Option<String> {
    parse(crate::table::catalog(), file, content).err()
}

/// One user as an ACL file (and ACL LIST) holds it: `user <name> <rule> ...`.
pub fn user_line(catalog: &Catalog, name: &[u8], user: &User) -> Vec<u8> {
    let mut line = [b"user ", name].concat();
    for rule in user.describe(catalog) {
        line.push(b' ');
        line.extend_from_slice(&rule);
    }
    line
}

/// The ACL file of `users` (ACL SAVE): each user's line, in name order, each ending in a
/// newline.
pub fn print(catalog: &Catalog, users: &Users) -> Vec<u8> {
    let mut file = Vec::new();
    for (name, user) in users.iter() {
        file.extend_from_slice(&user_line(catalog, name, user));
        file.push(b'\n');
    }
    file
}
