//! The ACL subcommands the state machine runs: SETUSER and DELUSER through the log, the
//! others on the read path.

use super::catalog::Catalog;
use super::category::{self, CATEGORIES};
use super::check::{self, Call};
use super::file::user_line;
use super::selector::Selector;
use super::user::{self, User};
use super::users::DEFAULT_USER;
use crate::args::{self, text};
use crate::event::Event;
use crate::reply::{CmdResult, Reply};
use crate::spec::{CommandSpec, ReadCtx, WriteCtx};

/// ACL SETUSER username [rule ...]: all rules or none, as Redis applies them to a copy.
pub fn setuser(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let name = &argv[2];
    let mut user = ctx
        .keyspace
        .users
        .get(name)
        .cloned()
        .unwrap_or_else(User::new);
    let rules = user::merge_selector_args(&argv[3..]).map_err(|open| {
        Reply::error(format!(
            "ERR Unmatched parenthesis in acl selector starting at '{}'.",
            text(&open)
        ))
    })?;
    for rule in &rules {
        user.apply(ctx.catalog, rule).map_err(|error| {
            Reply::error(format!(
                "ERR Error in ACL SETUSER modifier '{}': {}",
                text(rule),
                error.text()
            ))
        })?;
    }
    std::sync::Arc::make_mut(&mut ctx.keyspace.users).put(name, user);
    Ok(Reply::ok())
}

/// ACL DELUSER username [username ...]: how many were removed; none if one is the default.
pub fn deluser(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let names = &argv[2..];
    if names.iter().any(|name| name == DEFAULT_USER) {
        return Err(Reply::error("ERR The 'default' user cannot be removed"));
    }
    let present = names
        .iter()
        .filter(|name| ctx.keyspace.users.get(name).is_some());
    if present.count() == 0 {
        return Ok(Reply::count(0));
    }
    let users = std::sync::Arc::make_mut(&mut ctx.keyspace.users);
    let mut removed: Vec<Vec<u8>> = Vec::new();
    for name in names {
        if users.remove(name) {
            removed.push(name.clone());
        }
    }
    let count = removed.len();
    let revoked = Event::LoginsRevoked { users: removed };
    ctx.keyspace.events.push(revoked);
    Ok(Reply::count(count))
}

/// ACL GETUSER username: Redis 7.0's map of flags, passwords, commands, keys, channels and
/// selectors; nil for no such user.
pub fn getuser(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let Some(user) = ctx.keyspace.users.get(&argv[2]) else {
        return Ok(Reply::Nil);
    };
    let flags = user.flag_names().into_iter().map(Reply::bulk).collect();
    let passwords = user.passwords.iter().map(|hash| Reply::bulk(hash.as_str()));
    let mut fields = vec![
        (Reply::bulk("flags"), Reply::Array(flags)),
        (Reply::bulk("passwords"), Reply::Array(passwords.collect())),
    ];
    fields.extend(selector_fields(ctx.catalog, &user.root));
    let selectors = user.selectors.iter();
    let selectors = selectors.map(|selector| Reply::Map(selector_fields(ctx.catalog, selector)));
    fields.push((Reply::bulk("selectors"), Reply::Array(selectors.collect())));
    Ok(Reply::Map(fields))
}

/// A selector's commands, keys and channels as GETUSER shows them, each one string.
fn selector_fields(catalog: &Catalog, selector: &Selector) -> Vec<(Reply, Reply)> {
    let joined = |parts: Vec<Vec<u8>>| Reply::Bulk(parts.join(&b' '));
    vec![
        (
            Reply::bulk("commands"),
            joined(selector.commands.describe(catalog)),
        ),
        (Reply::bulk("keys"), joined(selector.describe_keys())),
        (
            Reply::bulk("channels"),
            joined(selector.describe_channels()),
        ),
    ]
}

/// ACL LIST: each user as the line an ACL file would hold, by name.
pub fn list(ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    let users = ctx.keyspace.users.iter();
    let lines = users.map(|(name, user)| Reply::Bulk(user_line(ctx.catalog, name, user)));
    Ok(Reply::Array(lines.collect()))
}

/// ACL USERS: the users' names, in order.
pub fn users(ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    let names = ctx
        .keyspace
        .users
        .iter()
        .map(|(name, _)| Reply::bulk(name.as_slice()));
    Ok(Reply::Array(names.collect()))
}

/// ACL CAT [category]: the categories, or the commands and subcommands of one (by name;
/// Redis follows its hash table).
pub fn cat(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let Some(name) = argv.get(2) else {
        let names = CATEGORIES.iter().map(|(name, _)| Reply::bulk(*name));
        return Ok(Reply::Array(names.collect()));
    };
    args::Args::new(argv, 3).finish()?;
    let bit = category::by_name(name)
        .ok_or_else(|| Reply::error(format!("ERR Unknown category '{}'", text(name))))?;
    let names = ctx
        .catalog
        .in_category(bit)
        .map(|entry| Reply::bulk(entry.name));
    Ok(Reply::Array(names.collect()))
}

/// The largest password ACL GENPASS draws, in bits.
const GENPASS_BITS_MAX: i64 = 4096;

/// ACL GENPASS [bits]: a password of `bits` (default 256) bits in hex, from random bytes the
/// caller draws with `fill` (the client's node, from the operating system's generator: the
/// engine draws no randomness of its own, and a log entry's seed is no secret). Served by the
/// node as a session command, so also inside MULTI, never through the log.
pub fn genpass(argv: &[Vec<u8>], fill: &mut dyn FnMut(&mut [u8])) -> Reply {
    if let Err(reply) = args::Args::new(argv, 3).finish() {
        return reply;
    }
    let bits = match argv.get(2).map(|bits| args::int_arg(bits)) {
        None => 256,
        Some(Ok(bits)) => bits,
        Some(Err(reply)) => return reply,
    };
    if !(1..=GENPASS_BITS_MAX).contains(&bits) {
        return Reply::error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
    }
    let digits = (bits as usize).div_ceil(4);
    let mut random = vec![0u8; digits.div_ceil(2)];
    fill(&mut random);
    let mut hex = String::with_capacity(random.len() * 2);
    for byte in random {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    hex.truncate(digits);
    Reply::bulk(hex)
}

/// ACL DRYRUN username command [arg ...]: whether the user may run the command, and if not
/// why, as Redis 7.0 words it.
pub fn dryrun(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let user = ctx
        .keyspace
        .users
        .get(&argv[2])
        .ok_or_else(|| Reply::error(format!("ERR User '{}' not found", text(&argv[2]))))?;
    let command = &argv[3..];
    let spec = (ctx.resolve)(command).map_err(|error| match error {
        Reply::Error(line) if line.starts_with("ERR unknown") => {
            Reply::error(format!("ERR Command '{}' not found", text(&command[0])))
        }
        other => other,
    })?;
    match check::check(user, &call_for(spec, command)) {
        Ok(()) => Ok(Reply::ok()),
        Err(denied) => Ok(Reply::bulk(denied.explained(spec.name))),
    }
}

/// How the check sees `argv`, a call of `spec`: its keys by the table's positions, read or
/// written as the command reads or writes, and the channels it publishes or subscribes to.
pub fn call_for<'a>(spec: &'a CommandSpec, argv: &'a [Vec<u8>]) -> Call<'a> {
    let (channels, channel_patterns) = check::channels_of(spec.name, argv);
    Call {
        name: spec.name,
        first_arg: argv.get(1).map(Vec::as_slice),
        keys: spec.keys(argv),
        writes: spec.is_write(),
        channels,
        channel_patterns,
    }
}

pub fn help(_ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::help(&[
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ]))
}
