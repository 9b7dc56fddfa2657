//! Pub/sub in the state machine. PUBLISH and SPUBLISH are writes: applied, they count the
//! message's receivers in the replicated registry of subscriptions ([`Subscriptions`]) and hand
//! the message to every node as an event, which each node delivers to its own subscribers.
//! The SUBSCRIBE family is the client's session's (it keeps the connection in subscribed
//! mode), which sends each request through the log as `subscribe-client` or
//! `unsubscribe-client` with the client's identity: applied, the registry changes and the
//! confirmation goes out as an event to the client's node, in order with the messages.

pub(crate) mod registry;

use crate::args::{self, parse_digits_u64};
use crate::event::{ChannelKind, Event, Subscriber, SubscriptionChange};
use crate::glob::glob_match;
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Container, Read, Session, Write},
    ReadCtx, WriteCtx, FAST, NOSCRIPT, PUBSUB,
};

/// This module's entries in the command table (see [`crate::table`]).
pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "psubscribe", -2, PUBSUB | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "pubsub 2.0.0",
        summary: "Listens to the channels whose names match the patterns",
        complexity: "O(N), N being the number of patterns",
        args: "*pattern:block(pattern:pattern)",
    ),
    cmd!(
        "publish", 3, PUBSUB | FAST, 0, 0, 0, Write(publish),
        flags: "loading stale",
        docs: "pubsub 2.0.0",
        summary: "Sends a message to a channel's subscribers",
        complexity: "O(N+M): N subscribers of the channel, M pattern subscriptions",
        args: "channel:string message:string",
    ),
    cmd!(
        "pubsub", -2, 0, 0, 0, 0, Container(PUBSUB_SUBCOMMANDS),
        docs: "pubsub 2.8.0",
        summary: "Container of the commands that inspect publish/subscribe state",
        complexity: "Given by each subcommand",
    ),
    cmd!(
        "punsubscribe", -1, PUBSUB | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "pubsub 2.0.0",
        summary: "Stops listening to patterns, or to all of them",
        complexity: "O(N), N being the number of patterns",
        args: "?*pattern:pattern",
    ),
    cmd!(
        "spublish", 3, PUBSUB | FAST, 1, 1, 1, Write(spublish),
        flags: "loading stale",
        keys: "not_key @1",
        docs: "pubsub 7.0.0",
        summary: "Sends a message to a shard channel's subscribers",
        complexity: "O(N), N being the channel's subscribers",
        args: "shardchannel:string message:string",
    ),
    cmd!(
        "ssubscribe", -2, PUBSUB | NOSCRIPT, 1, -1, 1, Session,
        flags: "loading stale",
        keys: "not_key @1 -1/1/0",
        docs: "pubsub 7.0.0",
        summary: "Listens to shard channels",
        complexity: "O(N), N being the number of channels",
        args: "*shardchannel:string",
    ),
    cmd!(
        "subscribe", -2, PUBSUB | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "pubsub 2.0.0",
        summary: "Listens to channels",
        complexity: "O(N), N being the number of channels",
        args: "*channel:string",
    ),
    cmd!(
        "sunsubscribe", -1, PUBSUB | NOSCRIPT, 1, -1, 1, Session,
        flags: "loading stale",
        keys: "not_key @1 -1/1/0",
        docs: "pubsub 7.0.0",
        summary: "Stops listening to shard channels, or to all of them",
        complexity: "O(N), N being the number of channels",
        args: "?*shardchannel:string",
    ),
    cmd!(
        "unsubscribe", -1, PUBSUB | NOSCRIPT, 0, 0, 0, Session,
        flags: "loading stale",
        docs: "pubsub 2.0.0",
        summary: "Stops listening to channels, or to all of them",
        complexity: "O(N), N being the number of channels",
        args: "?*channel:string",
    ),
];

static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    cmd!(
        "pubsub|channels", -2, PUBSUB, 0, 0, 0, Read(channels),
        flags: "loading stale",
        docs: "pubsub 2.8.0",
        summary: "Lists the channels that have subscribers, optionally filtered by a pattern",
        complexity: "O(N), N being the number of channels",
        args: "?pattern:pattern",
    ),
    cmd!(
        "pubsub|help", 2, 0, 0, 0, 0, Read(help),
        flags: "loading stale",
        docs: "pubsub 6.2.0",
        summary: "Lists PUBSUB's subcommands",
        complexity: "O(1)",
    ),
    cmd!(
        "pubsub|numpat", 2, PUBSUB, 0, 0, 0, Read(numpat),
        flags: "loading stale",
        docs: "pubsub 2.8.0",
        summary: "Counts the patterns clients subscribe to",
        complexity: "O(1)",
    ),
    cmd!(
        "pubsub|numsub", -2, PUBSUB, 0, 0, 0, Read(numsub),
        flags: "loading stale",
        docs: "pubsub 2.8.0",
        summary: "Counts the subscribers of each named channel",
        complexity: "O(N), N being the channels named",
        args: "?*channel:string",
    ),
    cmd!(
        "pubsub|shardchannels", -2, PUBSUB, 0, 0, 0, Read(shardchannels),
        flags: "loading stale",
        docs: "pubsub 7.0.0",
        summary: "Lists the shard channels that have subscribers, optionally by pattern",
        complexity: "O(N), N being the number of shard channels",
        args: "?pattern:pattern",
    ),
    cmd!(
        "pubsub|shardnumsub", -2, PUBSUB, 0, 0, 0, Read(shardnumsub),
        flags: "loading stale",
        docs: "pubsub 7.0.0",
        summary: "Counts the subscribers of each named shard channel",
        complexity: "O(N), N being the channels named",
        args: "?*shardchannel:string",
    ),
];

/// The commands of a subscribed connection's session (SUBSCRIBE ... SUNSUBSCRIBE).
pub const SUBSCRIPTION_COMMANDS: [&str; 6] = [
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
];

/// The internal command of a subscription request: `subscribe-client <node> <incarnation>
/// <client> <seq> <channel|pattern|shard> <name>...`.
pub const SUBSCRIBE_COMMAND: &str = "subscribe-client";
/// `unsubscribe-client <node> <incarnation> <client> <seq> <channel|pattern|shard|all>
/// [name...]`: no name unsubscribes from every name of the kind; `all` (when the client
/// leaves) from everything, confirming nothing.
pub const UNSUBSCRIBE_COMMAND: &str = "unsubscribe-client";

/// Commands that only the log carries.
pub(crate) static INTERNAL: &[CommandSpec] = &[
    cmd!("subscribe-client", -7, 0, 0, 0, 0, Write(subscribe_client)),
    cmd!(
        "unsubscribe-client",
        -6,
        0,
        0,
        0,
        0,
        Write(unsubscribe_client)
    ),
];

/// The kind's name in the internal commands.
pub fn kind_name(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Channel => "channel",
        ChannelKind::Pattern => "pattern",
        ChannelKind::Shard => "shard",
    }
}

fn parse_kind(arg: &[u8]) -> Option<ChannelKind> {
    ChannelKind::ALL
        .into_iter()
        .find(|kind| arg.eq_ignore_ascii_case(kind_name(*kind).as_bytes()))
}

fn malformed() -> Reply {
    Reply::error("ERR malformed subscription command")
}

/// The subscriber and request number at the start of an internal command's arguments.
fn parse_client(args: &[Vec<u8>]) -> Result<(Subscriber, u64), Reply> {
    let number = |i: usize| {
        args.get(i)
            .and_then(|arg| parse_digits_u64(arg))
            .ok_or_else(malformed)
    };
    let who = Subscriber {
        node: number(0)?,
        incarnation: number(1)?,
        client: number(2)?,
    };
    Ok((who, number(3)?))
}

fn publish(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::count(
        ctx.keyspace.publish(false, &argv[1], &argv[2]),
    ))
}

fn spublish(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::count(ctx.keyspace.publish(true, &argv[1], &argv[2])))
}

/// subscribe-client: subscribes the client to each name; the count after each.
fn subscribe_client(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (who, seq) = parse_client(&argv[1..])?;
    let kind = parse_kind(&argv[5]).ok_or_else(malformed)?;
    let registry = &mut ctx.keyspace.subscriptions;
    let mut names = Vec::new();
    for name in &argv[6..] {
        registry.subscribe(who, kind, name);
        names.push((Some(name.clone()), registry.count_of(who, kind)));
    }
    confirm(ctx, who, seq, kind, true, names)
}

/// unsubscribe-client: unsubscribes the client from the names given, or from all of the
/// kind; the count after each.
fn unsubscribe_client(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let (who, seq) = parse_client(&argv[1..])?;
    let registry = &mut ctx.keyspace.subscriptions;
    if args::is(&argv[5], "all") {
        registry.remove_client(who);
        return Ok(Reply::ok());
    }
    let kind = parse_kind(&argv[5]).ok_or_else(malformed)?;
    let given = &argv[6..];
    let targets = match given.is_empty() {
        true => registry.names_of(who, kind),
        false => given.to_vec(),
    };
    let mut names = Vec::new();
    for name in targets {
        registry.unsubscribe(who, kind, &name);
        names.push((Some(name), registry.count_of(who, kind)));
    }
    if names.is_empty() {
        names.push((None, registry.count_of(who, kind)));
    }
    confirm(ctx, who, seq, kind, false, names)
}

fn confirm(
    ctx: &mut WriteCtx,
    subscriber: Subscriber,
    seq: u64,
    kind: ChannelKind,
    subscribe: bool,
    names: Vec<(Option<Vec<u8>>, usize)>,
) -> CmdResult {
    let count = names.last().map_or(0, |(_, count)| *count);
    ctx.keyspace
        .events
        .push(Event::Subscriptions(SubscriptionChange {
            subscriber,
            seq,
            kind,
            subscribe,
            names,
        }));
    Ok(Reply::count(count))
}

/// PUBSUB CHANNELS / SHARDCHANNELS [pattern]: the names with subscribers, cluster-wide.
fn active(ctx: &ReadCtx, argv: &[Vec<u8>], kind: ChannelKind) -> CmdResult {
    if argv.len() > 3 {
        return Err(Reply::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(&argv[1])
        )));
    }
    let pattern = argv.get(2);
    let names = ctx.keyspace.subscriptions.active(kind);
    Ok(Reply::Array(
        names
            .filter(|name| pattern.is_none_or(|pattern| glob_match(pattern, name)))
            .map(|name| Reply::Bulk(name.clone()))
            .collect(),
    ))
}

fn channels(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    active(ctx, argv, ChannelKind::Channel)
}

fn shardchannels(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    active(ctx, argv, ChannelKind::Shard)
}

/// PUBSUB NUMSUB / SHARDNUMSUB [name ...]: each name and its subscriber count, flat (an
/// array in RESP3 too, as Redis answers).
fn counts(ctx: &ReadCtx, argv: &[Vec<u8>], kind: ChannelKind) -> CmdResult {
    let registry = &ctx.keyspace.subscriptions;
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .flat_map(|name| {
                let count = registry.subscribers(kind, name);
                [Reply::Bulk(name.clone()), Reply::count(count)]
            })
            .collect(),
    ))
}

fn numsub(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    counts(ctx, argv, ChannelKind::Channel)
}

fn shardnumsub(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    counts(ctx, argv, ChannelKind::Shard)
}

/// PUBSUB NUMPAT: the number of distinct patterns subscribed to.
fn numpat(ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    let patterns = ctx.keyspace.subscriptions.active(ChannelKind::Pattern);
    Ok(Reply::count(patterns.count()))
}

fn help(_ctx: &ReadCtx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::help(&[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ]))
}

#[cfg(test)]
mod tests;
